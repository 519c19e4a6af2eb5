"""Search by number finds a part of the number anywhere in it, in any case and any
state, and asks an index for it instead of reading every number."""

from __future__ import annotations

import pytest
from django.db import connection as db
from django.db import transaction

from belegsync.documents.listing import Filters, filtered, number_contains
from belegsync.documents.models import Document
from belegsync.documents.states import State

pytestmark = pytest.mark.django_db


def _make(connection, number: str, state: str = State.WAITING) -> Document:
    return Document.objects.create(
        connection=connection, source_number=number, voucher={}, state=state
    )


def _numbers(connection, text: str, state: str = "") -> list[str]:
    found = filtered(Document.objects.all(), [connection.pk], Filters(state=state, number=text))
    return sorted(found.values_list("source_number", flat=True))


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
    found = filtered(Document.objects.all(), [connection.pk], Filters(number="E-001"))
    sql, params = found.query.sql_with_params()
    with transaction.atomic(), db.cursor() as cursor:
        if db.vendor == "sqlite":
            cursor.execute(f"EXPLAIN QUERY PLAN {sql}", params)
            plan = " ".join(str(row[-1]) for row in cursor.fetchall()).lower()
            assert "document_number_search virtual table" in plan, plan
        else:  # a 40-row table's statistics prefer the connection index: ask for the number
            sql, params = number_contains(Document.objects.all(), "E-001").query.sql_with_params()
            cursor.execute("SET LOCAL enable_seqscan = off")
            cursor.execute(f"EXPLAIN {sql}", params)
            plan = " ".join(row[0] for row in cursor.fetchall()).lower()
            assert "document_number_trgm" in plan, plan
