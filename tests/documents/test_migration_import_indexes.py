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
