"""Search by number finds a part of the number anywhere in it, in any case and any
state, and asks an index for it instead of reading every number."""

from __future__ import annotations

import pytest
from django.db import connection as db
from django.db import transaction
from django.test.utils import CaptureQueriesContext

from belegsync.documents import listing
from belegsync.documents.listing import Filters, filtered
from belegsync.documents.models import Document
from belegsync.documents.states import State

pytestmark = pytest.mark.django_db


def _make(connection, number: str, state: str = State.WAITING) -> Document:
    return Document.objects.create(
        connection=connection, source_number=number, voucher={}, state=state
    )


def _numbers(connection, text: str, state: str = "") -> list[str]:
    """The numbers the list finds (on SQLite by walking the FTS5 table)."""
    filters = Filters(state=state, number=text)
    found = filtered(Document.objects.all(), [connection.pk], filters)
    ids = listing.ids(found, filters, 1000)
    return sorted(Document.objects.filter(id__in=ids).values_list("source_number", flat=True))


def test_it_finds_a_part_of_the_number_in_any_case_and_state(connection):
    _make(connection, "RE-2026-1234", State.DONE)
    _make(connection, "RE-2026-1235", State.FAILED)
    _make(connection, "GS-2026-1234", State.SKIPPED)
    _make(connection, "re_2026_9")
    assert _numbers(connection, "1234") == ["GS-2026-1234", "RE-2026-1234"]
    assert _numbers(connection, "re-2026") == ["RE-2026-1234", "RE-2026-1235"]
    assert _numbers(connection, "12") == ["GS-2026-1234", "RE-2026-1234", "RE-2026-1235"]
    assert _numbers(connection, "1234", State.SKIPPED) == ["GS-2026-1234"]
    # "_" is a character here, not LIKE's "any character"
    assert _numbers(connection, "e_2026") == ["re_2026_9"]
    assert _numbers(connection, "1239") == []


def test_it_finds_a_renamed_and_forgets_a_deleted_number(connection):
    document = _make(connection, "RE-1001")
    _make(connection, "RE-1002").delete()
    Document.objects.filter(pk=document.pk).update(source_number="RE-7001")
    assert _numbers(connection, "E-100") == []
    assert _numbers(connection, "E-700") == ["RE-7001"]


def test_a_number_search_is_answered_from_an_index(connection):
    for n in range(40):
        _make(connection, f"RE-{n:04d}")
    filters = Filters(number="E-001")
    found = filtered(Document.objects.all(), [connection.pk], filters)
    if db.vendor == "sqlite":
        # the FTS5 table is the outer loop of the walk, read in the list's order
        with CaptureQueriesContext(db) as queries:
            assert len(listing.ids(found, filters, 5)) == 5
        (sql,) = [q["sql"] for q in queries.captured_queries]
        with db.cursor() as cursor:
            cursor.execute(f"EXPLAIN QUERY PLAN {sql}")
            plan = [str(row[-1]).lower() for row in cursor.fetchall()]
        assert plan[0].startswith("scan document_number_search virtual table"), plan
        assert not any("temp b-tree" in step or "list subquery" in step for step in plan), plan
        return
    # a 40-row table's statistics prefer the connection index: ask for the number alone
    number = Document.objects.filter(source_number__icontains="E-001")
    sql, params = number.query.sql_with_params()
    with transaction.atomic(), db.cursor() as cursor:
        cursor.execute("SET LOCAL enable_seqscan = off")
        cursor.execute(f"EXPLAIN {sql}", params)
        plan = " ".join(row[0] for row in cursor.fetchall()).lower()
        assert "document_number_trgm" in plan, plan
