"""Build a connection's source and target adapters with their credentials and pacing."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from belegsync.connectors import registry
from belegsync.connectors.base import AdapterContext, Source, Target
from belegsync.documents.models import Connection, Document

from .ratelimit import limiter_for


def remembered_meta(connection_id: int) -> Callable[[list[str]], dict[str, Mapping[str, Any]]]:
    """The stored meta of a connection's documents by source id, merged per id."""

    def lookup(source_ids: list[str]) -> dict[str, Mapping[str, Any]]:
        merged: dict[str, dict[str, Any]] = {}
        rows = Document.objects.filter(
            connection_id=connection_id, source_id__in=source_ids
        ).values_list("source_id", "meta")
        for source_id, meta in rows:
            merged.setdefault(source_id, {}).update(meta or {})
        return dict(merged)

    return lookup


def _context(connection: Connection, side: str) -> AdapterContext:
    return AdapterContext(
        connection_id=connection.pk,
        credentials=dict(connection.credentials.get(side, {})),
        settings=connection.settings_of(side),
        policy=connection.policy,
        advisor=connection.advisor,
        limiter=limiter_for(connection, side),
        remembered=remembered_meta(connection.pk),
    )


def source_for(connection: Connection) -> Source:
    return registry.make_source(connection.source_kind, _context(connection, "source"))


def target_for(connection: Connection) -> Target:
    return registry.make_target(connection.target_kind, _context(connection, "target"))
