"""Migration documents/0017: the day counts are filled from the documents already there,
kept from then on by the triggers, and gone again (with their triggers) backwards."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest

from tests.migrating import back_to_the_newest, before, migrate  # noqa: F401 (fixture)

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.usefixtures("back_to_the_newest"),
]

MIGRATION = ("documents", "0017_document_day_counts")
DAY = dt.date(2026, 11, 2)


def _document(Document, connection, number, **fields):
    fields = {"kind": "invoice", "invoice_date": DAY, "currency": "EUR", **fields}
    return Document.objects.create(connection=connection, source_number=number, **fields)


def test_existing_documents_are_counted_and_the_counts_go_back():
    """GIVEN documents in two currencies and states, a credit note and one without a date
    WHEN the migration runs THEN each day, state and currency has its count and gross in
    cents, and a document added afterwards is counted; reversed, the table and its
    triggers are gone and documents can still be written."""
    old = migrate([before(MIGRATION)], others_at_newest=True)
    Document = old.get_model("documents", "Document")
    org = old.get_model("documents", "Organisation").objects.create(name="a", slug="a")
    connection = old.get_model("documents", "Connection").objects.create(
        organisation=org, name="c", source_kind="memory", target_kind="memory"
    )
    _document(Document, connection, "RE-1", total_gross=Decimal("44.95"), state="done")
    _document(Document, connection, "RE-2", total_gross=Decimal("0.10"), state="done")
    _document(
        Document, connection, "GS-1", kind="credit_note", total_gross=Decimal("10.05"), state="done"
    )
    _document(
        Document, connection, "RE-3", total_gross=Decimal("71.90"), currency="CHF", state="failed"
    )
    _document(Document, connection, "RE-4", invoice_date=None, total_gross=Decimal("1.00"))

    new = migrate([MIGRATION], others_at_newest=True)
    counts = new.get_model("documents", "DocumentDayCount").objects
    rows = {(r.day, r.state, r.currency): (r.n, r.gross_cents) for r in counts.all()}
    assert rows == {(DAY, "done", "EUR"): (3, 3500), (DAY, "failed", "CHF"): (1, 7190)}
    NewDocument = new.get_model("documents", "Document")
    new_connection = new.get_model("documents", "Connection").objects.get(pk=connection.pk)
    _document(NewDocument, new_connection, "RE-5", total_gross=Decimal("5.00"), state="done")
    assert counts.get(day=DAY, state="done", currency="EUR").gross_cents == 4000

    old = migrate([before(MIGRATION)], others_at_newest=True)
    assert "documentdaycount" not in {m._meta.model_name for m in old.get_models()}
    Document = old.get_model("documents", "Document")
    _document(Document, Document.objects.first().connection, "RE-6", state="done")
    Document.objects.filter(source_number="RE-1").update(state="waiting")
    Document.objects.filter(source_number="RE-2").delete()
    assert Document.objects.count() == 6
