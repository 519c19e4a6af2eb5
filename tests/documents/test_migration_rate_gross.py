"""Migration documents/0019: the gross per rate is filled from the vouchers already
there, kept from then on by the triggers, and gone again (with its triggers) backwards."""

from __future__ import annotations

import datetime as dt

import pytest

from tests.migrating import back_to_the_newest, before, migrate  # noqa: F401 (fixture)

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.usefixtures("back_to_the_newest"),
]

MIGRATION = ("documents", "0019_document_rate_gross")
DAY = dt.date(2026, 11, 2)


def _lines(*rates_and_gross):
    return {"lines": [{"tax_rate": rate, "gross": gross} for rate, gross in rates_and_gross]}


def _document(Document, connection, number, voucher, **fields):
    fields = {"kind": "invoice", "invoice_date": DAY, "currency": "EUR", **fields}
    return Document.objects.create(
        connection=connection, source_number=number, voucher=voucher, **fields
    )


def test_existing_vouchers_are_added_per_rate_and_the_rows_go_back():
    """GIVEN vouchers with lines at 19 % and 7 % (one with sub-cent places), a credit
    note, one in francs, one without a date and one line in a form no source writes
    WHEN the migration runs THEN each day, currency and rate has its lines and gross in
    millionths, the odd line is counted as unsplit, and a document added afterwards is
    added; reversed, the table and its triggers are gone and documents can be written."""
    old = migrate([before(MIGRATION)], others_at_newest=True)
    Document = old.get_model("documents", "Document")
    org = old.get_model("documents", "Organisation").objects.create(name="a", slug="a")
    connection = old.get_model("documents", "Connection").objects.create(
        organisation=org, name="c", source_kind="memory", target_kind="memory"
    )
    _document(Document, connection, "RE-1", _lines(("19", "40.00"), ("7", "20.00")))
    _document(Document, connection, "RE-2", _lines(("19", "4.950001")))
    _document(Document, connection, "GS-1", _lines(("19", "10.00")), kind="credit_note")
    _document(Document, connection, "RE-3", _lines(("19", "71.90")), currency="CHF")
    _document(Document, connection, "RE-4", _lines(("19", "1.00")), invoice_date=None)
    _document(Document, connection, "RE-5", _lines(("19.0", "1.00"), ("7", None)))

    new = migrate([MIGRATION], others_at_newest=True)
    rates = new.get_model("documents", "DocumentRateGross").objects
    rows = {(r.currency, r.rate): (r.lines, r.gross_millionths, r.unsplit) for r in rates.all()}
    assert rows == {
        ("EUR", "19"): (3, 34_950_001, 0),
        ("EUR", "7"): (1, 20_000_000, 0),
        ("CHF", "19"): (1, 71_900_000, 0),
        ("EUR", ""): (0, 0, 1),
    }
    NewDocument = new.get_model("documents", "Document")
    new_connection = new.get_model("documents", "Connection").objects.get(pk=connection.pk)
    _document(NewDocument, new_connection, "RE-6", _lines(("7", "5.00")))
    assert rates.get(currency="EUR", rate="7").gross_millionths == 25_000_000

    old = migrate([before(MIGRATION)], others_at_newest=True)
    assert "documentrategross" not in {m._meta.model_name for m in old.get_models()}
    Document = old.get_model("documents", "Document")
    _document(Document, Document.objects.first().connection, "RE-7", _lines(("19", "1.00")))
    Document.objects.filter(source_number="RE-1").update(voucher=_lines(("7", "1.00")))
    Document.objects.filter(source_number="RE-2").delete()
    assert Document.objects.count() == 7
