"""One sync cycle of a connection: fetch what is new since the cursor, then transfer.

Only one cycle per connection runs at a time, held by a conditional UPDATE on
the connection row (works across processes and machines, on SQLite and
PostgreSQL). The hold is a lease (``BELEGSYNC_CYCLE_LEASE_SECONDS``) renewed
before every claim, so a killed worker's connection is free again soon, and a
worker that lost it stops claiming. The cursor is saved after the page it
covers is stored, never before, so a crash re-reads a page rather than losing
one. Every cycle that ran leaves a :class:`~belegsync.sync.models.CycleRecord`.
"""

from __future__ import annotations

import datetime as dt
import logging
import time
from dataclasses import dataclass, field

from django.conf import settings
from django.db.models import Q
from django.utils import timezone

from belegsync.connectors.base import Cursor
from belegsync.connectors.errors import AuthError, ConfigError, ConnectorError, FailureReason
from belegsync.connectors.reasons import Reason, as_json
from belegsync.connectors.registry import UnknownKind, fetching_kinds
from belegsync.documents.models import Connection, Document
from belegsync.documents.states import IllegalTransition, State, transition

from . import notify, scheduler
from .adapters import source_for, target_for
from .ingest import IngestReport, store_all
from .lease import cycle_lease
from .models import CycleRecord
from .months import deliver_due_months, delivers_month_files
from .transfer import claim_next, transfer

log = logging.getLogger("belegsync.sync")


def pause_after() -> int:
    """Failed cycles in a row that pause a connection (BELEGSYNC_PAUSE_AFTER_FAILED_CYCLES)."""
    return int(getattr(settings, "BELEGSYNC_PAUSE_AFTER_FAILED_CYCLES", 5))


@dataclass
class CycleReport:
    connection_id: int
    ran: bool = True
    fetched: IngestReport = field(default_factory=IngestReport)
    transferred: int = 0
    failed: int = 0
    retried: int = 0
    seconds: float = 0.0
    note: str = ""
    #: The cycle as a whole failed (its note says why); documents are untouched.
    failed_cycle: bool = False


def _acquire(connection_id: int, owner: str, now: dt.datetime) -> bool:
    free = Q(sync_owner="") | Q(sync_lease_until__lt=now)
    return (
        Connection.objects.filter(Q(pk=connection_id) & free).update(
            sync_owner=owner, sync_lease_until=now + cycle_lease()
        )
        == 1
    )


def _renew(connection_id: int, owner: str) -> bool:
    """Extend this worker's hold on the connection; False when it was lost meanwhile."""
    return (
        Connection.objects.filter(pk=connection_id, sync_owner=owner).update(
            sync_lease_until=timezone.now() + cycle_lease()
        )
        == 1
    )


def _release(connection_id: int, owner: str) -> None:
    Connection.objects.filter(pk=connection_id, sync_owner=owner).update(
        sync_owner="", sync_lease_until=None
    )


def fetch(connection: Connection, now: dt.datetime, actor: str) -> IngestReport:
    report = IngestReport()
    source = source_for(connection)
    cursor_value = connection.cursor
    for page in source.fetch(Cursor(cursor_value), now):
        report.add(store_all(connection, page.documents, actor))
        Connection.objects.filter(pk=connection.pk).update(cursor=page.cursor.value)
    return report


def requeue_unavailable(connection: Connection, now: dt.datetime) -> int:
    """Documents failed as 'target unavailable' go back to waiting once their retry time came."""
    due = Document.objects.filter(
        connection=connection,
        state=State.FAILED,
        failure_reason=FailureReason.UNAVAILABLE,
        retry_at__lte=now,
    )
    count = 0
    for document in due:
        try:
            transition(
                document,
                "reset",
                actor="system",
                message="retrying: target unavailable",
                attempts=0,
                retry_at=None,
            )
            count += 1
        except IllegalTransition:
            continue  # the merchant acted on it meanwhile
    return count


def transfer_waiting(
    connection: Connection, worker: str, *, budget_seconds: float = 600
) -> tuple[int, int, int]:
    """Transfer this connection's claimable documents until none is left or time is up."""
    source, target = source_for(connection), target_for(connection)
    done = failed = retried = 0
    deadline = time.monotonic() + budget_seconds
    while time.monotonic() < deadline:
        if not _renew(connection.pk, worker):
            log.warning("cycle lease lost connection=%s worker=%s", connection.pk, worker)
            break
        document = claim_next(worker, connection_id=connection.pk)
        if document is None:
            break
        # After a takeover the dead worker may have created the voucher a moment
        # before it died: ask a fresh target instance, with no cached look-ups.
        fresh = target_for(connection) if getattr(document, "taken_over", False) else target
        result = transfer(document, source, fresh, worker)
        if result.state == "done":
            done += 1
        elif result.state == "failed":
            failed += 1
        else:
            retried += 1
        if Connection.objects.filter(pk=connection.pk).exclude(paused_reason="").exists():
            break
    return done, failed, retried


def _setup(error: Exception) -> list[Reason]:
    """Why a connection cannot run yet: the adapter's own reason, else "not set up"."""
    own = error.reasons if isinstance(error, ConfigError) else []
    return own or [Reason("connection.incomplete")]


def _pause(report: CycleReport, reason: str, reasons: list[Reason]) -> CycleReport:
    """Stop the connection with a reason shown on the dashboard, not one failure per document.

    ``reason`` is the English note for the log; the dashboard renders ``reasons``.
    """
    Connection.objects.filter(pk=report.connection_id).update(
        paused_reason=reason, pause_details=as_json(reasons) or None
    )
    log.warning("connection paused connection=%s", report.connection_id)
    notify.connection_paused(report.connection_id)
    report.note = reason
    return report


def _failed(report: CycleReport, connection: Connection, error: Exception) -> CycleReport:
    """A cycle that failed as a whole: counted, shown with its reasons and since when;
    ``pause_after()`` of them in a row pause the connection like refused credentials."""
    reasons = error.reasons if isinstance(error, ConnectorError) else []
    reasons = reasons or [Reason(f"category.{FailureReason.INTERNAL.value}")]
    now = timezone.now()
    count = connection.failed_cycles + 1
    Connection.objects.filter(pk=connection.pk).update(
        failed_cycles=count,
        failing_since=connection.failing_since or now,
        failure_details=as_json(reasons),
    )
    report.failed_cycle, report.note = True, f"cycle failed: {error}"
    log.warning("cycle failed connection=%s count=%s: %s", connection.pk, count, error)
    if count >= pause_after():
        since = connection.failing_since or now
        why = [Reason("connection.failing", {"count": count, "since": since}), *reasons]
        _pause(report, f"paused after {count} failed cycles: {error}", why)
        report.note = f"cycle failed: {error}"
    return report


def _succeeded(connection: Connection, next_fetch: dt.datetime | None) -> None:
    """Clear the failures; after a fetch, the next one is due half an interval after this
    cycle's start (:func:`scheduler.next_fetch_at`), in the same statement."""
    due = {} if next_fetch is None else {"next_sync_at": scheduler.no_later_than(next_fetch)}
    Connection.objects.filter(pk=connection.pk).update(
        last_sync_at=timezone.now(),
        failed_cycles=0,
        failing_since=None,
        failure_details=None,
        **due,
    )


def _next_fetch(connection: Connection, fetched: bool, now: dt.datetime) -> dt.datetime | None:
    """When the next fetch is due, for a cycle that fetched from a fetching source."""
    if not fetched or connection.source_kind not in fetching_kinds():
        return None
    return scheduler.next_fetch_at(now, connection.sync_interval)


def run_cycle(connection_id: int, worker: str, *, fetch_first: bool = True) -> CycleReport:
    started = time.monotonic()
    now = timezone.now()
    report = CycleReport(connection_id)
    if not _acquire(connection_id, worker, now):
        report.ran, report.note = False, "another cycle of this connection is running"
        return report
    try:
        connection = Connection.objects.select_related("organisation").get(pk=connection_id)
        if not connection.is_active:
            report.ran, report.note = False, "sync disabled, paused or not set up"
            return report
        try:
            if fetch_first:
                report.fetched = fetch(connection, now, worker)
            requeue_unavailable(connection, now)
            if delivers_month_files(connection):
                delivered = deliver_due_months(
                    connection, worker, now, renew=lambda: _renew(connection_id, worker)
                )
                report.transferred, report.failed = delivered.done, delivered.failed
            else:
                done = transfer_waiting(connection, worker)
                report.transferred, report.failed, report.retried = done
        except AuthError as error:
            return _pause(report, error.message, error.reasons)
        except (UnknownKind, ConfigError) as error:
            return _pause(report, f"not set up completely: {error}", _setup(error))
        except ConnectorError as error:
            return _failed(report, connection, error)
        except Exception as error:
            # a bug of belegsync: the cycle is recorded as failed and the worker goes on
            log.exception("cycle crashed connection=%s", connection_id)
            return _failed(report, connection, error)
        _succeeded(connection, _next_fetch(connection, fetch_first, now))
    finally:
        _release(connection_id, worker)
        report.seconds = time.monotonic() - started
        if report.ran and (
            report.fetched.created
            or report.fetched.updated
            or report.note
            or (report.transferred + report.failed + report.retried)
        ):
            # An idle cycle leaves only last_sync_at: 10,000 idle connections an hour
            # would otherwise write 10,000 rows that say nothing.
            _record(report, worker, now)
        log.info(
            "cycle connection=%s fetched=%s transferred=%s failed=%s retried=%s seconds=%.2f",
            connection_id,
            report.fetched.created + report.fetched.updated,
            report.transferred,
            report.failed,
            report.retried,
            report.seconds,
        )
    return report


def _record(report: CycleReport, worker: str, started_at: dt.datetime) -> None:
    CycleRecord.objects.create(
        connection_id=report.connection_id,
        worker=worker[:150],
        started_at=started_at,
        seconds=report.seconds,
        fetched=report.fetched.created + report.fetched.updated,
        transferred=report.transferred,
        failed=report.failed,
        retried=report.retried,
        note=report.note,
    )
