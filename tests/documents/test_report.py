"""The month report: complete only when every document is booked and no number is missing."""

from __future__ import annotations

import datetime as dt
import io
import re
from decimal import Decimal

import pytest
from django.core.management import call_command

from belegsync.bookkeeping import VoucherKind
from belegsync.documents.models import Document
from belegsync.documents.report import CurrencyTotal, StateSum, month_report
from belegsync.documents.states import State
from tests.documents.test_states import make_document
from tests.web.helpers import make_document as make_stored

pytestmark = pytest.mark.django_db

NOVEMBER = dt.date(2026, 11, 1)


def documents(connection, *numbers_and_states):
    for number, state in numbers_and_states:
        document = make_document(connection, state, number)
        Document.objects.filter(pk=document.pk).update(invoice_date=dt.date(2026, 11, 2))


def test_a_month_with_everything_booked_and_no_gap_is_complete(org, connection):
    documents(connection, ("RE-1", State.DONE), ("RE-2", State.MANUAL), ("RE-3", State.DONE))
    report = month_report(org, NOVEMBER)
    assert report.complete
    assert (report.total, report.booked) == (3, 3)
    assert report.counts == {"done": 2, "manual": 1}


def test_a_failed_document_or_a_missing_number_makes_it_incomplete(org, connection):
    documents(connection, ("RE-1", State.DONE), ("RE-2", State.FAILED), ("RE-5", State.DONE))
    report = month_report(org, NOVEMBER)
    assert not report.complete
    assert [o.number for o in report.outstanding] == ["RE-2"]
    assert [str(g) for g in report.gaps] == ["RE-3 … RE-4 (2)"]


def test_other_months_and_other_organisations_do_not_count(org, other_org, connection):
    documents(connection, ("RE-1", State.DONE))
    assert month_report(org, dt.date(2026, 10, 1)).total == 0
    assert month_report(other_org, NOVEMBER).total == 0
    assert not month_report(org, dt.date(2026, 10, 1)).complete, "an empty month proves nothing"


def test_the_command_exits_1_when_the_month_is_not_complete(org, connection):
    documents(connection, ("RE-1", State.DONE), ("RE-2", State.WAITING))
    out = io.StringIO()
    with pytest.raises(SystemExit) as exit_info:
        call_command("report", "--month", "2026-11", stdout=out)
    assert exit_info.value.code == 1
    assert "not booked: RE-2 (waiting)" in out.getvalue()
    Document.objects.filter(source_number="RE-2").update(state=State.DONE)
    out = io.StringIO()
    call_command("report", "--month", "2026-11", stdout=out)
    assert "complete: every document is in the bookkeeping" in out.getvalue()


def test_skipped_documents_are_listed_but_do_not_make_the_month_incomplete(org, connection):
    documents(
        connection,
        ("RE-1", State.DONE),
        ("RE-2", State.SKIPPED),
        ("RE-3", State.DONE),
        ("B-00001", State.SKIPPED),
        ("B-00009", State.SKIPPED),
    )
    report = month_report(org, NOVEMBER)
    assert report.complete
    assert report.gaps == [], "skipped numbers fill gaps and make no sequence of their own"
    assert {o.number for o in report.outstanding} == {"RE-2", "B-00001", "B-00009"}


def test_credit_notes_count_negative_in_the_sums_and_the_command_speaks_german(org, connection):
    """GIVEN an invoice of 44,95 € and a credit note of 20,00 € in November
    WHEN the month is reported (web and command line, German)
    THEN the sum is 24,95 €, the credit note -20,00 €, amounts as the bookkeeping shows them."""
    make_stored(connection, "RE-1", State.DONE)
    make_stored(
        connection,
        "GS-1",
        State.DONE,
        kind="credit_note",
        total_gross=Decimal("20.00"),
        voucher_fields={"kind": VoucherKind.CREDIT_NOTE, "refers_to": "RE-1"},
    )
    report = month_report(org, NOVEMBER)
    assert report.gross("done") == Decimal("24.95")
    out = io.StringIO()
    call_command("report", "--month", "2026-11", "--language", "de", stdout=out)
    text = out.getvalue()
    assert "24,95\xa0€" in text and "fertig" in text and "2 Belege" in text
    assert "24.95" not in text and "000000" not in text


def test_credit_notes_are_negative_in_lists_and_detail(client, alice, connection):
    note = make_stored(
        connection,
        "GS-7",
        State.DONE,
        kind="credit_note",
        voucher_fields={"kind": VoucherKind.CREDIT_NOTE, "refers_to": "RE-1"},
    )
    client.force_login(alice)
    assert "-€44.95" in client.get("/documents/?state=done").content.decode()
    detail = client.get(f"/documents/{note.pk}/").content.decode()
    assert "-€44.95" in detail and "-€37.77" in detail


def test_credit_notes_without_an_original_invoice_are_booked_and_listed(
    client, alice, org, connection
):
    """GIVEN two booked credit notes in November, one naming no original invoice
    WHEN the month is reported and the document opened (German)
    THEN the month is complete, the report lists GS-2 for a look, and its page warns."""
    make_stored(connection, "RE-1", State.DONE)
    for number, refers_to in (("GS-1", "RE-1"), ("GS-2", "")):
        make_stored(
            connection,
            number,
            State.DONE,
            kind="credit_note",
            voucher_fields={"kind": VoucherKind.CREDIT_NOTE, "refers_to": refers_to},
        )
    report = month_report(org, NOVEMBER)
    assert report.unreferenced == ["GS-2"]
    assert report.complete  # a warning, never a reason the month is incomplete
    client.force_login(alice)
    page = client.get("/reports/month/?month=2026-11", HTTP_ACCEPT_LANGUAGE="de").content.decode()
    assert "Gutschriften ohne Originalrechnung" in page and "<li>GS-2</li>" in page
    note = Document.objects.get(source_number="GS-2")
    detail = client.get(f"/documents/{note.pk}/", HTTP_ACCEPT_LANGUAGE="de").content.decode()
    assert "Keine Originalrechnung genannt" in detail
    other = Document.objects.get(source_number="GS-1")
    assert "Keine Originalrechnung" not in client.get(f"/documents/{other.pk}/").content.decode()


def eur_and_chf_month(connection):
    """November: RE-1 done and RE-2 failed at 44,95 € each; RE-3 and RE-4 failed at
    44,95 CHF each and the credit note GS-1 of 44,95 CHF done (as in the demo's December,
    where two CHF invoices failed beside euro ones)."""
    chf = {"currency": "CHF"}
    make_stored(connection, "RE-1", State.DONE)
    make_stored(connection, "RE-2", State.FAILED)
    make_stored(connection, "RE-3", State.FAILED, voucher_fields=chf)
    make_stored(connection, "RE-4", State.FAILED, voucher_fields=chf)
    make_stored(
        connection,
        "GS-1",
        State.DONE,
        kind="credit_note",
        voucher_fields={**chf, "kind": VoucherKind.CREDIT_NOTE, "refers_to": "RE-3"},
    )


def test_each_currency_has_its_own_sums_and_no_franc_is_added_to_the_euros(org, connection):
    """GIVEN a month with EUR and CHF documents WHEN it is reported
    THEN every state and the month have one sum per currency, euro first, the credit
    note negative, and the euro sums hold only the euro documents."""
    eur_and_chf_month(connection)
    report = month_report(org, NOVEMBER)
    assert report.sums == [
        StateSum("done", "EUR", 1, Decimal("44.95")),
        StateSum("done", "CHF", 1, Decimal("-44.95")),
        StateSum("failed", "EUR", 1, Decimal("44.95")),
        StateSum("failed", "CHF", 2, Decimal("89.90")),
    ]
    assert report.totals == [
        CurrencyTotal("EUR", 2, Decimal("89.90")),
        CurrencyTotal("CHF", 3, Decimal("44.95")),
    ]
    assert report.counts == {"done": 2, "failed": 3}
    assert report.gross("failed") == Decimal("44.95")


def test_the_command_prints_one_line_per_state_and_currency(org, connection):
    """GIVEN the EUR + CHF month WHEN `belegsync report` prints it in German
    THEN the failed euros are 44,95 € (not 134,85 €) and the francs have their own lines."""
    eur_and_chf_month(connection)
    out = io.StringIO()
    with pytest.raises(SystemExit):
        call_command("report", "--month", "2026-11", "--language", "de", stdout=out)
    lines = [re.sub(" +", " ", line.strip()) for line in out.getvalue().splitlines()]
    assert "fehlerhaft 1 44,95\xa0€" in lines
    assert "fehlerhaft 2 89,90\xa0CHF" in lines
    assert "fertig 1 44,95\xa0€" in lines and "fertig 1 -44,95\xa0CHF" in lines
    assert not any("134,85" in line for line in lines)


def test_a_month_in_euros_only_prints_as_before(org, connection):
    make_stored(connection, "RE-1", State.DONE)
    make_stored(connection, "RE-2", State.DONE)
    out = io.StringIO()
    call_command("report", "--month", "2026-11", "--language", "en", stdout=out)
    rows = [line for line in out.getvalue().splitlines() if "done" in line and "€" in line]
    assert rows == [f"  {'done':<20} {2:>7}  {'€89.90':>16}"]
