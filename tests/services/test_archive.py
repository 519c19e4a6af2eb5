"""Archived connections: nothing is scheduled, synced or sent through them; their
documents stay readable; restored, they sync again from their cursor."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.management import call_command
from django.utils import timezone

from belegsync.connectors.base import SourceDocument
from belegsync.documents.models import Connection, ConnectionEvent, Document
from belegsync.documents.states import State
from belegsync.services import Actor
from belegsync.services import connections as services
from belegsync.services import documents as document_services
from belegsync.services.actor import NotAllowed, RoleForbids
from belegsync.sources.memory import STORE
from belegsync.sync import transfer
from belegsync.sync.cycle import run_cycle
from belegsync.sync.scheduler import tick
from belegsync.targets.memory import Account, MemoryTarget
from tests.conftest import make_voucher

pytestmark = pytest.mark.django_db


def feed(connection: Connection, *numbers: str) -> None:
    STORE.add(connection.pk, *[SourceDocument(make_voucher(n), source_id=n) for n in numbers])


def books() -> Account:
    """The memory target account of the ``connection`` fixture."""
    return MemoryTarget.accounts.setdefault("alice-books", Account())


def test_an_archived_connection_is_never_scheduled_claimed_or_synced(alice, connection):
    """GIVEN a connection with a waiting document, archived
    WHEN the scheduler ticks, a worker looks for work and a cycle is started anyway
    THEN nothing is enqueued, claimed, fetched or sent."""
    feed(connection, "RE-1")
    run_cycle(connection.pk, "w", fetch_first=True)
    assert books().creates == ["RE-1"]
    feed(connection, "RE-2")
    Document.objects.create(
        connection=connection, source_number="RE-3", voucher={}, state=State.WAITING
    )
    assert services.archive(Actor.of(alice), connection).changed is True

    assert tick(lambda pk: None, timezone.now() + dt.timedelta(days=1)) == []
    assert transfer.claim_next("w") is None
    report = run_cycle(connection.pk, "w")
    assert not report.ran
    assert books().creates == ["RE-1"]
    assert not Connection.objects.get(pk=connection.pk).is_active


def test_belegsync_sync_leaves_archived_connections_out(alice, connection, capsys):
    services.archive(Actor.of(alice), connection)
    call_command("sync")
    assert capsys.readouterr().out == ""


def test_sync_now_is_refused_for_an_archived_connection(alice, connection):
    services.archive(Actor.of(alice), connection)
    with pytest.raises(services.Archived, match="archived"):
        services.sync_now(Actor.of(alice), connection)


def test_restored_it_syncs_again_at_once_from_its_cursor(alice, connection):
    feed(connection, "RE-1")
    run_cycle(connection.pk, "w")
    services.archive(Actor.of(alice), connection)
    feed(connection, "RE-2")
    assert services.restore(Actor.of(alice), connection).changed is True
    connection.refresh_from_db()
    assert connection.archived_at is None and connection.next_sync_at <= timezone.now()
    assert tick(lambda pk: None) == [connection.pk]
    report = run_cycle(connection.pk, "w")
    assert (report.fetched.created, report.transferred) == (1, 1)
    assert books().creates == ["RE-1", "RE-2"]


def test_archive_and_restore_are_recorded_once_each(alice, connection):
    actor = Actor.of(alice)
    assert services.archive(actor, connection).changed is True
    first = connection.archived_at
    assert services.archive(actor, connection).changed is False  # a second press changes nothing
    assert Connection.objects.get(pk=connection.pk).archived_at == first
    assert services.restore(actor, connection).changed is True
    assert services.restore(actor, connection).changed is False
    events = ConnectionEvent.objects.filter(connection=connection).order_by("id")
    assert [(e.action, e.actor) for e in events] == [("archived", "alice"), ("restored", "alice")]


def test_only_who_manages_connections_archives_and_only_their_own(
    alice, bob, tax_advisor, bookkeeper, connection
):
    with pytest.raises(RoleForbids):
        services.archive(Actor.of(tax_advisor), connection)
    with pytest.raises(NotAllowed):
        services.archive(Actor.of(bob), connection)
    assert Connection.objects.get(pk=connection.pk).archived_at is None
    assert services.archive(Actor.of(bookkeeper), connection).changed is True
    with pytest.raises(RoleForbids):
        services.restore(Actor.of(tax_advisor), connection)
    with pytest.raises(NotAllowed):
        services.restore(Actor.of(bob), connection)
    assert Connection.objects.get(pk=connection.pk).archived_at is not None


def test_actions_that_send_are_refused_for_its_documents_and_the_rest_kept(alice, connection):
    """GIVEN a failed document of an archived connection and one of a connection in use
    WHEN both are reset THEN the archived one's is refused with the reason, the other
    waits; marking as manually imported (sends nothing) still works."""
    other = Connection.objects.create(
        organisation=connection.organisation, name="Other", source_kind="memory",
        target_kind="memory",
    )  # fmt: skip
    archived_doc = Document.objects.create(
        connection=connection, source_number="RE-A", voucher={}, state=State.FAILED
    )
    kept_doc = Document.objects.create(
        connection=other, source_number="RE-B", voucher={}, state=State.FAILED
    )
    actor = Actor.of(alice)
    services.archive(actor, connection)
    archived_doc.refresh_from_db()  # its connection as archived
    outcomes = document_services.act(actor, "reset", [archived_doc, kept_doc])
    assert [(o.document.source_number, o.ok) for o in outcomes] == [("RE-A", False), ("RE-B", True)]
    assert "archived" in outcomes[0].message and "Shop → Books" in outcomes[0].message
    assert Document.objects.get(pk=archived_doc.pk).state == State.FAILED
    assert Document.objects.get(pk=kept_doc.pk).state == State.WAITING
    (reupload,) = document_services.act(actor, "reupload", [archived_doc])
    assert not reupload.ok and "archived" in reupload.message
    assert document_services.actions_for(archived_doc) == (
        document_services.Action.MARK_MANUALLY_IMPORTED,
    )
    (manual,) = document_services.act(actor, "mark_manually_imported", [archived_doc])
    assert manual.ok
    assert Document.objects.get(pk=archived_doc.pk).state == State.MANUAL


def test_its_documents_stay_readable(alice, connection):
    Document.objects.create(connection=connection, source_number="RE-1", voucher={})
    services.archive(Actor.of(alice), connection)
    assert list(Actor.of(alice).documents().values_list("source_number", flat=True)) == ["RE-1"]
