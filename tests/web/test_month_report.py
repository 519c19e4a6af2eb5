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
