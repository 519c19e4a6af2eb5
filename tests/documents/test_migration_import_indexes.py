"""Migrations documents/0024–0026: an imported document is written into fewer indexes
(the document's connection alone, the event's document alone, the event's user only
where it has one), the look-ups they served keep an index, and backwards they are back."""

from __future__ import annotations

import pytest
from django.db import connection as db

from tests.migrating import back_to_the_newest, before, migrate  # noqa: F401 (fixture)

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.usefixtures("back_to_the_newest"),
]

FIRST, LAST = (
    ("documents", "0024_document_connection_index"),
    ("documents", "0026_event_user_index"),
)
GONE = {
    "documents_document_connection_id_92505177",
    "documents_event_document_id_3e7daa9e",
    "documents_event_user_id_0d71b509",
}


def _indexes() -> set[str]:
    with db.cursor() as cursor:
        return {
            name
            for table in ("documents_document", "documents_event")
            for name in db.introspection.get_constraints(cursor, table)
        }


def _plan(sql: str) -> str:
    with db.cursor() as cursor:
        cursor.execute(("EXPLAIN " if db.vendor == "postgresql" else "EXPLAIN QUERY PLAN ") + sql)
        return "\n".join(str(row[-1]) for row in cursor.fetchall())


def test_the_three_indexes_go_their_look_ups_keep_one_and_they_come_back():
    """GIVEN the indexes before 0024 WHEN migrated THEN the three are gone, event_user is
    partial, a user's events and a document's events are found by index, and deleting a
    user clears its events' user; reversed, the three indexes are there again."""
    migrate([before(FIRST)], others_at_newest=True)
    assert _indexes() >= GONE

    apps = migrate([LAST], others_at_newest=True)
    assert not GONE & _indexes()
    assert "event_user" in _indexes()
    with db.cursor() as cursor:
        if db.vendor == "postgresql":
            cursor.execute("SET enable_seqscan = off")
        assert "event_user" in _plan("SELECT id FROM documents_event WHERE user_id = 1")
        assert "event_doc_at" in _plan("SELECT id FROM documents_event WHERE document_id = 1")
        if db.vendor == "postgresql":
            cursor.execute("RESET enable_seqscan")
    User = apps.get_model("auth", "User")
    user = User.objects.create(username="merchant")
    org = apps.get_model("documents", "Organisation").objects.create(name="a", slug="a")
    connection = apps.get_model("documents", "Connection").objects.create(
        organisation=org, name="c", source_kind="memory", target_kind="memory"
    )
    document = apps.get_model("documents", "Document").objects.create(
        connection=connection, source_number="RE-1"
    )
    Event = apps.get_model("documents", "Event")
    Event.objects.create(document=document, actor="merchant", user=user, action="reset")
    Event.objects.create(document=document, actor="system", action="import")
    user.delete()
    assert list(Event.objects.order_by("id").values_list("user_id", flat=True)) == [None, None]

    migrate([before(FIRST)], others_at_newest=True)
    assert _indexes() >= GONE
    assert "event_user" not in _indexes()


def test_the_documents_a_dead_worker_left_are_found_by_the_partial_lease_index():
    """GIVEN the newest migrations (0027: the lease index holds documents in processing
    only) WHEN the claim looks for documents waiting or with a lease run out THEN
    PostgreSQL reads the lease branch from doc_processing_lease; SQLite, which does not
    match Django's bound 'processing' to the index's condition, from doc_state_retry's
    state (the few documents in processing), by index either way; reversed, the index of
    every document's (state, lease_until) is back."""
    from django.utils import timezone

    from belegsync.documents.models import Document
    from belegsync.sync.transfer import claimable

    claim = Document.objects.filter(claimable(timezone.now())).order_by("id")
    with db.cursor() as cursor:
        if db.vendor == "postgresql":
            cursor.execute("SET enable_seqscan = off")
        try:
            plan = claim.explain()
            if db.vendor == "postgresql":
                assert "doc_processing_lease" in plan
            else:
                assert "SCAN documents_document" not in plan
                assert plan.count("SEARCH documents_document USING INDEX") == 2
        finally:
            if db.vendor == "postgresql":
                cursor.execute("RESET enable_seqscan")

    migrate([("documents", "0026_event_user_index")], others_at_newest=True)
    assert "doc_state_lease" in _indexes()
    assert "doc_processing_lease" not in _indexes()
