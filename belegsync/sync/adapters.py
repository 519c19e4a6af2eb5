"""Build a connection's source and target adapters with their credentials and pacing."""

from __future__ import annotations

from belegsync.connectors import registry
from belegsync.connectors.base import AdapterContext, Source, Target
from belegsync.documents.models import Connection

from .ratelimit import limiter_for


def _context(connection: Connection, side: str) -> AdapterContext:
    return AdapterContext(
        connection_id=connection.pk,
        credentials=dict(connection.credentials.get(side, {})),
        settings=dict(connection.settings),
        limiter=limiter_for(connection, side),
    )


def source_for(connection: Connection) -> Source:
    return registry.make_source(connection.source_kind, _context(connection, "source"))


def target_for(connection: Connection) -> Target:
    return registry.make_target(connection.target_kind, _context(connection, "target"))
