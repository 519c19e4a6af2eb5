"""The scheduler: a due-time column per connection, polled by a tick.

A tick is set-based, so its cost does not grow with the number of idle
connections: one ``UPDATE … RETURNING`` claims every due connection (moves its
``next_sync_at`` forward) and tells, per connection, whether it has anything to
do — a source to fetch from, or documents waiting, abandoned by a dead worker,
or due for a retry. Only those get a sync task; the idle rest get their
``last_sync_at`` in the same statement, with no cycle and no task. The claim's
condition is on the connection row itself, so two schedulers running side by
side claim each connection once (PostgreSQL re-checks it on a row another
transaction just updated; SQLite writes one at a time). A connection whose cycle
is running is left due until that cycle ends: what made it due meanwhile (a
webhook, "sync now", a finished import) gets a cycle of its own right after,
instead of a task that finds the connection busy and drops it.

The interval is a promise about documents, not about fetches: a document issued in
the source reaches the target at most one interval later. A document issued just
after a fetch's window closed (the cycle's start: Billbee's ``modifiedAtMax``) waits
for the next fetch, and then for the vouchers of that fetch ahead of it at the
target's pace. Fetched once an interval, its wait for the fetch alone can use up the
interval. So a cycle that worked makes the next fetch due half an interval after its
own start, less what starting a cycle takes (:func:`next_fetch_at`): a document waits
at most half the interval for its fetch, and the other half is for that fetch and the
transfers ahead of it. A cycle that runs longer than that is followed by the next one
at once. A fetching source is asked twice an interval (each request at the remote's
pace, ``connectors/ratelimit.py``); a cycle that failed leaves the claim's whole
interval, so a source that does not answer is not asked sooner.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Callable

from django.db import connection as db
from django.db import transaction
from django.db.models import Case, DateTimeField, F, Q, Value, When
from django.utils import timezone

from belegsync.connectors.errors import FailureReason
from belegsync.connectors.registry import fetching_kinds
from belegsync.documents.models import Connection, Document, Organisation
from belegsync.documents.states import State

log = logging.getLogger("belegsync.sync")

#: Named in full, not by an alias: SQLite's RETURNING knows no aliases.
CONNECTIONS = Connection._meta.db_table


def _next_sync_sql() -> str:
    """``now`` plus the connection's interval (seconds), in the database's own arithmetic."""
    if db.vendor == "postgresql":
        return "%(now)s + sync_interval * interval '1 second'"
    # Django's own SQLite function for datetime + duration (microseconds), exact to the µs
    return "django_format_dtdelta('+', %(now)s, sync_interval * 1000000)"


def _busy_sql(kinds: list[str]) -> str:
    """True for a connection a cycle has work for (what ``transfer.claimable`` would claim)."""
    fetching = ", ".join(f"%(kind{i})s" for i in range(len(kinds))) or "NULL"
    return f"""({CONNECTIONS}.source_kind IN ({fetching}) OR EXISTS (
        SELECT 1 FROM {Document._meta.db_table} d WHERE d.connection_id = {CONNECTIONS}.id AND (
            (d.state = %(waiting)s AND (d.retry_at IS NULL OR d.retry_at <= %(now)s))
            OR (d.state = %(processing)s AND d.lease_until < %(now)s)
            OR (d.state = %(failed)s AND d.failure_reason = %(unavailable)s
                AND d.retry_at <= %(now)s))))"""  # noqa: S608 (table names, values are parameters)


def claim_due(now: dt.datetime) -> list[tuple[int, bool]]:
    """Claim every due connection in one statement: (id, whether it needs a cycle)."""
    kinds = sorted(fetching_kinds())
    busy = _busy_sql(kinds)
    sql = f"""
        UPDATE {CONNECTIONS}
        SET next_sync_at = {_next_sync_sql()},
            last_sync_at = CASE WHEN {busy} THEN last_sync_at ELSE %(now)s END
        WHERE enabled = %(true)s AND paused_reason = '' AND setup_complete = %(true)s
          AND archived_at IS NULL
          AND (next_sync_at IS NULL OR next_sync_at <= %(now)s)
          AND (sync_owner = '' OR sync_lease_until < %(now)s)
          -- "+ 0": SQLite would walk an organisation's every connection by its index
          -- instead of the few due ones by next_sync_at's (a tick with nothing due
          -- cost 2.8 ms at 10,000 connections in one organisation, 0.28 ms at 1,000)
          AND organisation_id + 0 IN (
              SELECT id FROM {Organisation._meta.db_table} WHERE sync_enabled = %(true)s)
        RETURNING id, {busy}"""  # noqa: S608 (table names, values are parameters)
    params: dict[str, object] = {
        "now": db.ops.adapt_datetimefield_value(now),
        "true": True,
        "waiting": State.WAITING.value,
        "processing": State.PROCESSING.value,
        "failed": State.FAILED.value,
        "unavailable": FailureReason.UNAVAILABLE.value,
        **{f"kind{i}": kind for i, kind in enumerate(kinds)},
    }
    with transaction.atomic(), db.cursor() as cursor:
        cursor.execute(sql, params)
        return [(pk, bool(needs_cycle)) for pk, needs_cycle in cursor.fetchall()]


def tick(enqueue: Callable[[int], None], now: dt.datetime | None = None) -> list[int]:
    """Enqueue a sync for each due connection with work; returns their ids."""
    now = now or timezone.now()
    claimed = claim_due(now)
    enqueued = sorted(pk for pk, needs_cycle in claimed if needs_cycle)
    for pk in enqueued:
        enqueue(pk)
    if claimed:
        log.info("tick due=%s enqueued=%s", len(claimed), len(enqueued))
    return enqueued


#: What starting a cycle takes once its connection is due: the scheduler's tick and a
#: worker's poll (a second each, ``belegsync scheduler --interval`` and ``belegsync
#: worker --interval``). Slower ticks or polls need a larger allowance to keep the promise.
START_ALLOWANCE = dt.timedelta(seconds=2)

#: The share of the interval a document may wait for the fetch that brings it; the
#: rest is for that fetch and the transfers ahead of it.
FETCH_SHARE = 0.5


def next_fetch_at(started: dt.datetime, interval: int) -> dt.datetime:
    """When the next fetch is due after a cycle whose fetch window closed at ``started``.

    The next cycle's window closes by this plus :data:`START_ALLOWANCE`, so a document
    issued just after ``started`` is fetched within half the interval and is at the
    target within the interval as long as the target can take what is issued in half
    an interval within the other half (lexoffice, at 2 requests a second and three
    requests a voucher: about 20 vouchers in 30 s). Counted from the start, not the end:
    the cycle's own transfers are already inside the other half."""
    return started + dt.timedelta(seconds=interval * FETCH_SHARE) - START_ALLOWANCE


def no_later_than(moment: dt.datetime) -> Case:
    """``next_sync_at`` as an update's value: ``moment``, unless the connection was
    made due earlier meanwhile (a webhook, "sync now", an upload during the cycle)."""
    return Case(
        When(next_sync_at__lt=moment, then=F("next_sync_at")),
        default=Value(moment),
        output_field=DateTimeField(),
    )


def due_now(connection_id: int) -> bool:
    """Make the connection due at the next tick, unless it is due already; True when
    this call made it due. A burst of calls (Billbee's webhooks) writes once: the
    others only read, so they wait for no writer (SQLite's write lock)."""
    now = timezone.now()
    # NULL is due as well, but it is stamped: pages and the API show when it was asked for
    later = Connection.objects.filter(
        Q(next_sync_at__isnull=True) | Q(next_sync_at__gt=now), pk=connection_id
    )
    return later.exists() and later.update(next_sync_at=now) == 1


def sync_now(connection: Connection) -> None:
    """Make the connection due at the next tick ("sync now")."""
    due_now(connection.pk)


def resume(connection: Connection) -> None:
    """The merchant fixed what paused the connection (e.g. a new API key): run it again now."""
    Connection.objects.filter(pk=connection.pk).update(
        paused_reason="", pause_details=None, next_sync_at=timezone.now(), failed_cycles=0
    )
    log.info("connection resumed connection=%s", connection.pk)
