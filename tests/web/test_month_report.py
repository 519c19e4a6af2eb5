from __future__ import annotations

import datetime as dt

import pytest

from belegsync.documents.models import Document
from belegsync.documents.states import State
from tests.documents.test_states import make_document

pytestmark = pytest.mark.django_db


def test_the_page_says_what_is_missing(client, alice, connection):
    for number, state in (("RE-1", State.DONE), ("RE-3", State.FAILED)):
        document = make_document(connection, state, number)
        Document.objects.filter(pk=document.pk).update(invoice_date=dt.date(2026, 11, 5))
    client.force_login(alice)
    page = client.get("/reports/month/?month=2026-11").content.decode()
    assert "Not complete yet" in page
    assert "RE-2" in page and "RE-3" in page


def test_another_organisations_connection_is_not_found(client, bob, connection):
    client.force_login(bob)
    response = client.get(f"/reports/month/?month=2026-11&connection={connection.pk}")
    assert response.status_code == 404


def test_the_states_table_ends_with_the_months_total(client, alice, connection):
    """GIVEN a month with an invoice (44,95 €), a credit note (40,00 €) and a failed invoice
    (10,00 €) WHEN its report is read in German THEN the table's last row is the total:
    3 documents, 14,95 € (the credit note counted negative)."""
    from decimal import Decimal

    rows = (("RE-1", State.DONE, "invoice", "44.95"), ("GS-1", State.DONE, "credit_note", "40.00"))
    for number, state, kind, gross in (*rows, ("RE-2", State.FAILED, "invoice", "10.00")):
        document = make_document(connection, state, number)
        Document.objects.filter(pk=document.pk).update(
            invoice_date=dt.date(2026, 11, 5), kind=kind, total_gross=Decimal(gross)
        )
    client.force_login(alice)
    client.post("/i18n/setlang/", {"language": "de", "next": "/"})
    page = client.get("/reports/month/?month=2026-11").content.decode()
    table = page.split('id="month-states"')[1].split("</table>")[0]
    total = table.split('<tr class="total">')[1]
    assert "Summe" in total and ">3<" in total and "14,95\xa0€" in total


def test_the_page_sums_each_currency_on_its_own(client, alice, org, connection):
    """GIVEN a month with EUR and CHF documents WHEN its report is read in German
    THEN "fehlerhaft" has a row of 44,95 € and one of 89,90 CHF, the month a total per
    currency, and the charts keep the currencies apart; no 134,85 € anywhere."""
    from tests.documents.test_report import eur_and_chf_month

    eur_and_chf_month(connection)
    client.force_login(alice)
    client.post("/i18n/setlang/", {"language": "de", "next": "/"})
    page = client.get("/reports/month/?month=2026-11").content.decode()
    table = page.split('id="month-states"')[1].split("</table>")[0]
    rows = [row.split("</tr>")[0] for row in table.split("<tr")[2:]]
    failed = [row for row in rows if "fehlerhaft" in row]
    assert len(failed) == 2
    assert "44,95\xa0€" in failed[0] and ">1<" in failed[0]
    assert "89,90\xa0CHF" in failed[1] and ">2<" in failed[1]
    totals = [row for row in rows if 'class="total"' in row]
    assert len(totals) == 2
    assert "89,90\xa0€" in totals[0] and ">2<" in totals[0]
    assert "44,95\xa0CHF" in totals[1] and ">3<" in totals[1]
    assert "134,85" not in page and "179,75" not in page
    per_rate = page.split('id="chart-per-rate"')[1].split("</figure>")[0]
    assert "19\xa0% (EUR)" in per_rate and "89,90\xa0€" in per_rate
    assert "19\xa0% (CHF)" in per_rate and "44,95\xa0CHF" in per_rate
    per_state = page.split('id="chart-per-state"')[1].split("</figure>")[0]
    assert "fehlerhaft (CHF)" in per_state and "89,90\xa0CHF" in per_state
