"""Migration documents/0023: PostgreSQL's gross-per-rate and number-block triggers check
each line and split each number once; what they keep is what 0019's and 0020's kept,
row for row, for inserts, updates and deletions, and backwards the old functions are back."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.db import connection as db
from django.db.models import F, Value
from django.db.models.functions import Concat

from tests.migrating import back_to_the_newest, before, migrate  # noqa: F401 (fixture)

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.usefixtures("back_to_the_newest"),
    pytest.mark.skipif("db.vendor != 'postgresql'", reason="0023 changes PostgreSQL's triggers"),
]

MIGRATION = ("documents", "0023_counting_once_per_line")
DAYS = [dt.date(2026, 10, 31), dt.date(2026, 11, 2), None]
#: numbers each path of the split takes: plain, zero-padded, the next block, no digits,
#: a leading or trailing space, not ASCII, 18 and 19 trailing digits, digits only, empty
NUMBERS = ["RE-1", "RE-007", "RE-33", "RE-", "X", " RE-3", "RE-4 ", "RÉ-5", "A" + "9" * 18]
NUMBERS += ["B" + "9" * 19, "12345", ""]
#: lines in the form the sources write and in every form the triggers must leave out or
#: count as unsplit
LINES = [
    {"tax_rate": "19", "gross": "40.00"},
    {"tax_rate": "7", "gross": "-3.333333"},
    {"tax_rate": "5.5", "gross": "0"},
    {"tax_rate": "19.0", "gross": "1.00"},
    {"tax_rate": "19", "gross": "0.0000001"},
    {"tax_rate": "19", "gross": "123456789.00"},
    {"tax_rate": 19, "gross": "1.00"},
    {"tax_rate": "19", "gross": 4.95},
    {"tax_rate": None, "gross": "1.00"},
    {"tax_rate": "19"},
    {"gross": "1.00"},
    "not an object",
]
#: one connection in each run: its id is left out
KEPT = {
    "documents_documentrategross": "day, currency, rate, lines, gross_millionths, unsplit",
    "documents_documentnumberblock": "kind, month, prefix, width, block, bits, unskipped, unsplit",
}


def _vouchers() -> list[dict[str, object]]:
    vouchers: list[dict[str, object]] = [{"lines": "not a list"}, {}]
    vouchers += [{"lines": LINES[i : i + 3]} for i in range(len(LINES))]
    return vouchers


def _kept_after_changes(apps: Any, slug: str) -> dict[str, list[tuple[Any, ...]]]:
    """Insert, update and delete documents of every shape (through the ORM of ``apps``,
    in statements of one and of many rows) and read the kept tables."""
    Document = apps.get_model("documents", "Document")
    org = apps.get_model("documents", "Organisation").objects.create(name=slug, slug=slug)
    connection = apps.get_model("documents", "Connection").objects.create(
        organisation=org, name="c", source_kind="memory", target_kind="memory"
    )
    vouchers = _vouchers()
    Document.objects.bulk_create(
        Document(
            connection=connection,
            source_number=number,
            kind=("invoice", "credit_note")[i % 2],
            invoice_date=DAYS[i % len(DAYS)],
            currency=("EUR", "CHF")[i % 3 == 0],
            state=("waiting", "skipped", "done")[i % 3],
            voucher=vouchers[i % len(vouchers)],
        )
        for i, number in enumerate(NUMBERS)
    )
    documents = Document.objects.order_by("source_number")
    documents.filter(source_number__startswith="RE").update(state="skipped")
    documents.filter(kind="invoice").update(voucher={"lines": LINES[:2]})
    documents.filter(state="waiting").update(
        invoice_date=DAYS[0], source_number=Concat(F("source_number"), Value("0"))
    )
    for document in documents[:3]:
        document.voucher = {"lines": LINES[3:7]}
        document.save()
    documents.filter(source_number__in=["X", "12345"]).delete()
    with db.cursor() as cursor:
        kept = {}
        for table, columns in KEPT.items():
            cursor.execute(f"SELECT {columns} FROM {table} ORDER BY {columns}")  # noqa: S608
            kept[table] = cursor.fetchall()
        cursor.execute(f"TRUNCATE {', '.join(KEPT)}, documents_document CASCADE")
    return kept


def _function(name: str) -> str:
    with db.cursor() as cursor:
        cursor.execute("SELECT pg_get_functiondef(%s::regproc)", [name])
        return cursor.fetchone()[0]


def test_the_kept_rows_are_those_of_the_triggers_before_and_the_old_ones_come_back():
    """GIVEN documents of every number and line shape, inserted, updated and deleted
    WHEN counted by 0023's functions and by 0019's and 0020's THEN the kept rows are the
    same; reversed, the functions are those of 0019 and 0020 again."""
    old = migrate([before(MIGRATION)], others_at_newest=True)
    functions = {
        f: _function(f) for f in ("document_rate_gross_apply", "document_number_block_apply")
    }
    before_rows = _kept_after_changes(old, "before")

    new = migrate([MIGRATION], others_at_newest=True)
    assert all(_function(f) != body for f, body in functions.items())
    assert _kept_after_changes(new, "after") == before_rows
    assert any(before_rows.values())

    migrate([before(MIGRATION)], others_at_newest=True)
    assert {f: _function(f) for f in functions} == functions
