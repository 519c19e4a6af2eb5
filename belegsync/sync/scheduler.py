"""The scheduler: a due-time column per connection, polled by a tick.

Each tick enqueues one sync task per due connection and moves its
``next_sync_at`` forward in the same conditional UPDATE, so two schedulers
running side by side enqueue each connection once.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Callable

from django.db.models import Q
from django.utils import timezone

from belegsync.documents.models import Connection

log = logging.getLogger("belegsync.sync")


def due_connections(now: dt.datetime) -> list[tuple[int, int, dt.datetime | None]]:
    return list(
        Connection.objects.filter(
            Q(next_sync_at__isnull=True) | Q(next_sync_at__lte=now),
            enabled=True,
            paused_reason="",
            setup_complete=True,
            organisation__sync_enabled=True,
        ).values_list("pk", "sync_interval", "next_sync_at")
    )


def tick(enqueue: Callable[[int], None], now: dt.datetime | None = None) -> list[int]:
    """Enqueue a sync for each due connection; returns their ids."""
    now = now or timezone.now()
    enqueued = []
    for pk, interval, seen in due_connections(now):
        claimed = Connection.objects.filter(pk=pk, next_sync_at=seen).update(
            next_sync_at=now + dt.timedelta(seconds=interval)
        )
        if claimed:
            enqueue(pk)
            enqueued.append(pk)
    return enqueued


def sync_now(connection: Connection) -> None:
    """Make the connection due at the next tick ("sync now")."""
    Connection.objects.filter(pk=connection.pk).update(next_sync_at=timezone.now())


def resume(connection: Connection) -> None:
    """The merchant fixed what paused the connection (e.g. a new API key): run it again now."""
    Connection.objects.filter(pk=connection.pk).update(
        paused_reason="", pause_details=None, next_sync_at=timezone.now()
    )
    log.info("connection resumed connection=%s", connection.pk)
