"""A connection's switches and "sync now"; the organisation's global switch."""

from __future__ import annotations

from belegsync.documents.models import Connection, Organisation
from belegsync.sync import scheduler

from .actor import Actor


def sync_now(actor: Actor, connection: Connection) -> bool:
    """Make the connection due at once; True when it will run (enabled, not paused)."""
    actor.require_connection(connection)
    scheduler.sync_now(connection)
    return connection.is_active


def set_enabled(actor: Actor, connection: Connection, enabled: bool) -> None:
    """The connection's own "sync enabled" switch: off stops new claims at once."""
    actor.require_connection(connection)
    Connection.objects.filter(pk=connection.pk).update(enabled=enabled)
    connection.enabled = enabled


def set_organisation_sync(actor: Actor, organisation: Organisation, enabled: bool) -> None:
    """The global switch of all the organisation's connections; documents keep their state."""
    actor.require_organisation(organisation)
    Organisation.objects.filter(pk=organisation.pk).update(sync_enabled=enabled)
    organisation.sync_enabled = enabled
