"""Migration documents/0020: the blocks of numbers are filled from the documents already
there, kept from then on by the triggers, and gone again (with their triggers) backwards."""

from __future__ import annotations

import datetime as dt

import pytest

from tests.migrating import back_to_the_newest, before, migrate  # noqa: F401 (fixture)

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.usefixtures("back_to_the_newest"),
]

MIGRATION = ("documents", "0020_document_number_blocks")
NOVEMBER = dt.date(2026, 11, 1)


def _document(Document, connection, number, **fields):
    fields = {"kind": "invoice", "invoice_date": dt.date(2026, 11, 2), "state": "done", **fields}
    return Document.objects.create(connection=connection, source_number=number, **fields)


def test_existing_numbers_are_put_in_blocks_and_the_blocks_go_back():
    """GIVEN invoices RE-1, RE-2, RE-33 (next block) and a skipped RE-3, a credit note,
    one without a date and one numbered with a leading space WHEN the migration runs
    THEN each block has its numbers' bits and the count of those not skipped, the odd
    number is unsplit, and a number added afterwards gets its bit; reversed, the table
    and its triggers are gone and documents can still be written."""
    old = migrate([before(MIGRATION)], others_at_newest=True)
    Document = old.get_model("documents", "Document")
    org = old.get_model("documents", "Organisation").objects.create(name="a", slug="a")
    connection = old.get_model("documents", "Connection").objects.create(
        organisation=org, name="c", source_kind="memory", target_kind="memory"
    )
    for number in ("RE-1", "RE-2", "RE-33"):
        _document(Document, connection, number)
    _document(Document, connection, "RE-3", state="skipped")
    _document(Document, connection, "GS-01", kind="credit_note")
    _document(Document, connection, "RE-4", invoice_date=None)
    _document(Document, connection, " RE-5")

    new = migrate([MIGRATION], others_at_newest=True)
    blocks = new.get_model("documents", "DocumentNumberBlock").objects
    rows = {
        (b.kind, b.prefix, b.width, b.block): (b.bits, b.unskipped, b.unsplit)
        for b in blocks.filter(month=NOVEMBER)
    }
    assert rows == {
        ("invoice", "RE-", 1, 0): (0b1110, 2, 0),
        ("invoice", "RE-", 2, 1): (1 << 1, 1, 0),
        ("credit_note", "GS-", 2, 0): (1 << 1, 1, 0),
        ("invoice", "", 0, 0): (0, 0, 1),
    }
    NewDocument = new.get_model("documents", "Document")
    new_connection = new.get_model("documents", "Connection").objects.get(pk=connection.pk)
    _document(NewDocument, new_connection, "RE-6")
    assert blocks.get(kind="invoice", prefix="RE-", width=1).bits == 0b1001110

    old = migrate([before(MIGRATION)], others_at_newest=True)
    assert "documentnumberblock" not in {m._meta.model_name for m in old.get_models()}
    Document = old.get_model("documents", "Document")
    _document(Document, Document.objects.first().connection, "RE-7")
    Document.objects.filter(source_number="RE-1").update(state="skipped")
    Document.objects.filter(source_number="RE-2").delete()
    assert Document.objects.count() == 8
