from __future__ import annotations

import datetime as dt
import random
import threading

import pytest
from django.db import close_old_connections, transaction
from django.db import connection as db
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from belegsync.connectors.base import SourceDocument
from belegsync.documents.models import Connection, Document
from belegsync.documents.states import State
from belegsync.sources.memory import STORE
from belegsync.sync import scheduler
from belegsync.sync.cycle import run_cycle
from belegsync.sync.models import CycleRecord
from belegsync.sync.scheduler import START_ALLOWANCE, due_now, next_fetch_at, sync_now, tick
from tests.conftest import make_voucher

pytestmark = pytest.mark.django_db


def test_a_due_connection_is_enqueued_once_and_moved_forward(connection):
    now = timezone.now()
    first, second = [], []
    tick(first.append, now)
    tick(second.append, now)  # a second scheduler at the same moment
    assert (first, second) == ([connection.pk], [])
    connection.refresh_from_db()
    assert connection.next_sync_at == now + dt.timedelta(seconds=connection.sync_interval)


def test_disabled_paused_or_switched_off_connections_are_not_due(connection, org):
    for enabled, paused in ((False, ""), (True, "key revoked")):
        Connection.objects.update(enabled=enabled, paused_reason=paused)
        assert tick(lambda pk: None) == []
    Connection.objects.update(enabled=True, paused_reason="")
    org.sync_enabled = False
    org.save()
    assert tick(lambda pk: None) == []


def test_sync_now_makes_a_connection_due_at_the_next_tick(connection):
    tick(lambda pk: None)
    assert tick(lambda pk: None) == []
    sync_now(connection)
    assert tick(lambda pk: None, timezone.now() + dt.timedelta(seconds=1)) == [connection.pk]


def _uploads(org, count: int) -> list[Connection]:
    """Connections whose documents only come by upload: nothing to fetch."""
    return Connection.objects.bulk_create(
        Connection(
            organisation=org, name=f"upload {i}", source_kind="afterbuy_csv", target_kind="memory"
        )
        for i in range(count)
    )


def _document(connection: Connection, number: str, **fields) -> Document:
    return Document.objects.create(
        connection=connection, source_number=number, voucher={}, **fields
    )


def test_an_idle_upload_connection_is_checked_without_a_cycle(org):
    """GIVEN upload connections, one with a waiting document, one with a document a dead
    worker left, one failed as unavailable whose retry time came, one with nothing
    WHEN the scheduler ticks THEN only those with work get a cycle, and every one is
    checked (last_sync_at) and moved forward."""
    waiting, abandoned, retry, idle = _uploads(org, 4)
    now = timezone.now()
    past = now - dt.timedelta(minutes=1)
    _document(waiting, "W-1", state=State.WAITING)
    _document(abandoned, "P-1", state=State.PROCESSING, lease_until=past)
    _document(retry, "F-1", state=State.FAILED, failure_reason="unavailable", retry_at=past)
    _document(idle, "D-1", state=State.DONE)
    _document(idle, "L-1", state=State.WAITING, retry_at=now + dt.timedelta(minutes=5))
    _document(idle, "F-2", state=State.FAILED, failure_reason="rejected", retry_at=past)
    enqueued: list[int] = []
    assert tick(enqueued.append, now) == enqueued == sorted([waiting.pk, abandoned.pk, retry.pk])
    idle.refresh_from_db()
    assert idle.last_sync_at == now
    assert idle.next_sync_at == now + dt.timedelta(seconds=idle.sync_interval)
    waiting.refresh_from_db()
    assert waiting.last_sync_at is None  # its cycle sets it when it ran
    assert tick(enqueued.append, now) == []  # claimed: not due again until its interval


def test_a_source_that_fetches_gets_its_cycle_every_interval(connection):
    assert tick(lambda pk: None) == [connection.pk]


def test_a_tick_costs_the_same_queries_for_ten_or_a_hundred_idle_connections(org):
    def queries(count: int) -> int:
        Connection.objects.all().delete()
        _uploads(org, count)
        with CaptureQueriesContext(db) as captured:
            assert tick(lambda pk: None) == []
        assert Connection.objects.filter(last_sync_at__isnull=True).count() == 0
        return len(captured)

    assert queries(10) == queries(100)


def test_a_tick_finds_the_due_connections_by_their_next_sync_time(org):
    """GIVEN many connections of one organisation, none due WHEN the scheduler ticks
    (every second) THEN the database seeks next_sync_at's index instead of walking the
    organisation's connections: an empty tick costs the same for 10 or 10,000."""
    _uploads(org, 20)
    tick(lambda pk: None)
    statements: list[tuple[str, object]] = []

    def capture(execute, sql, params, many, context):
        statements.append((sql, params))
        return execute(sql, params, many, context)

    with db.execute_wrapper(capture):
        assert tick(lambda pk: None) == []
    (sql, params), *_ = [(q, p) for q, p in statements if q.lstrip().startswith("UPDATE")]
    with transaction.atomic(), db.cursor() as cursor:
        if db.vendor == "sqlite":
            cursor.execute(f"EXPLAIN QUERY PLAN {sql}", params)
            plan = " ".join(str(row[-1]) for row in cursor.fetchall()).lower()
            assert "documents_connection using index documents_connection_next_sync_at" in plan
        else:  # a small test table is scanned anyway: ask how it would use an index
            cursor.execute("SET LOCAL enable_seqscan = off")
            cursor.execute(f"EXPLAIN {sql}", params)
            plan = " ".join(row[0] for row in cursor.fetchall()).lower()
            assert "next_sync_at" in plan and "index" in plan, plan
        assert "organisation_id (organisation_id=?)" not in plan


@pytest.mark.django_db(transaction=True)
def test_schedulers_side_by_side_claim_each_due_connection_exactly_once(org):
    connections = _uploads(org, 60)
    for c in connections:
        _document(c, "W-1", state=State.WAITING)
    enqueued: list[int] = []
    errors: list[BaseException] = []
    start = threading.Barrier(4)

    def schedule() -> None:
        try:
            start.wait()
            for _ in range(5):
                tick(enqueued.append)
        except BaseException as exc:  # reported below, never swallowed
            errors.append(exc)
        finally:
            close_old_connections()

    schedulers = [threading.Thread(target=schedule) for _ in range(4)]
    for s in schedulers:
        s.start()
    for s in schedulers:
        s.join(60)
    assert errors == []
    assert sorted(enqueued) == sorted(c.pk for c in connections)


def test_a_connection_made_due_while_its_cycle_runs_gets_a_cycle_after_it(connection):
    """GIVEN a connection whose cycle is running (another worker holds its lease)
    WHEN something makes it due meanwhile (a webhook, "sync now")
    THEN no tick claims it while the cycle runs (its task would find it busy and drop
    the call), and the first tick after the cycle ends does."""
    now = timezone.now()
    assert tick(lambda pk: None, now) == [connection.pk]
    Connection.objects.filter(pk=connection.pk).update(
        sync_owner="worker-1", sync_lease_until=now + dt.timedelta(minutes=10)
    )
    sync_now(connection)
    later = timezone.now() + dt.timedelta(seconds=1)
    assert tick(lambda pk: None, later) == []
    assert Connection.objects.get(pk=connection.pk).next_sync_at <= later
    Connection.objects.filter(pk=connection.pk).update(sync_owner="", sync_lease_until=None)
    assert tick(lambda pk: None, later) == [connection.pk]


def test_a_dead_workers_connection_is_claimed_once_its_lease_ran_out(connection):
    now = timezone.now()
    Connection.objects.filter(pk=connection.pk).update(
        sync_owner="dead", sync_lease_until=now - dt.timedelta(seconds=1)
    )
    assert tick(lambda pk: None, now) == [connection.pk]


def test_a_burst_of_due_calls_writes_once(connection):
    from belegsync.sync.scheduler import due_now

    tick(lambda pk: None)
    with CaptureQueriesContext(db) as queries:
        made = [due_now(connection.pk) for _ in range(20)]
    assert made == [True] + [False] * 19
    writes = [q["sql"] for q in queries.captured_queries if q["sql"].startswith("UPDATE")]
    assert len(writes) == 1


def _on_create(monkeypatch: pytest.MonkeyPatch, also) -> None:
    """The memory target calls ``also`` before each voucher it creates."""
    from belegsync.targets.memory import MemoryTarget

    create = MemoryTarget.create

    def calling(self, voucher):
        also()
        return create(self, voucher)

    monkeypatch.setattr(MemoryTarget, "create", calling)


def test_a_cycle_that_fetched_makes_the_next_fetch_due_half_an_interval_after_its_start(
    connection,
):
    """GIVEN a connection at a 60 s interval whose cycle fetches and transfers two
    documents WHEN the cycle ends THEN its next fetch is due half an interval after this
    one's start, less the start allowance: a document issued just after this fetch waits
    at most 30 s for the one that brings it (not the whole minute the claim set)."""
    Connection.objects.filter(pk=connection.pk).update(sync_interval=60)
    STORE.add(connection.pk, *(SourceDocument(make_voucher(n), n) for n in ("RE-1", "RE-2")))
    claimed = timezone.now()
    tick(lambda pk: None, claimed)
    assert run_cycle(connection.pk, "worker-1").transferred == 2
    started = CycleRecord.objects.get(connection=connection).started_at
    connection.refresh_from_db()
    assert connection.next_sync_at == started + dt.timedelta(seconds=30) - START_ALLOWANCE
    assert tick(lambda pk: None, connection.next_sync_at) == [connection.pk]


def test_a_cycle_that_ran_past_half_its_interval_is_followed_at_once(connection):
    """GIVEN a cycle whose fetch window closed longer than half an interval ago (its
    transfers took that long) WHEN it ends THEN its connection is due at once: the first
    tick after it claims it (while it ran, its lease kept the tick away)."""
    Connection.objects.filter(pk=connection.pk).update(sync_interval=60)
    long_ago = timezone.now() - dt.timedelta(seconds=40)
    assert next_fetch_at(long_ago, 60) == long_ago + dt.timedelta(seconds=28)
    Connection.objects.filter(pk=connection.pk).update(
        next_sync_at=scheduler.no_later_than(next_fetch_at(long_ago, 60))
    )
    assert tick(lambda pk: None) == [connection.pk]


def test_a_connection_made_due_during_its_cycle_stays_due(connection, monkeypatch):
    """GIVEN a cycle running WHEN a webhook makes its connection due meanwhile THEN the
    cycle's end does not move that call's cycle back to half the interval."""
    STORE.add(connection.pk, SourceDocument(make_voucher("RE-1"), "RE-1"))
    _on_create(monkeypatch, lambda: due_now(connection.pk))
    tick(lambda pk: None)
    run_cycle(connection.pk, "worker-1")
    connection.refresh_from_db()
    assert connection.next_sync_at <= timezone.now()
    assert tick(lambda pk: None) == [connection.pk]


def test_an_upload_connection_keeps_its_interval(org):
    """Nothing to fetch, nothing to promise: its cycle leaves the claim's interval."""
    (upload,) = _uploads(org, 1)
    _document(upload, "W-1", state=State.WAITING)
    now = timezone.now()
    assert tick(lambda pk: None, now) == [upload.pk]
    run_cycle(upload.pk, "worker-1")
    upload.refresh_from_db()
    assert upload.next_sync_at == now + dt.timedelta(seconds=upload.sync_interval)


def test_a_cycle_that_fails_keeps_the_interval(connection):
    """A source that does not answer is not asked sooner than its interval."""
    from belegsync.connectors.errors import RetryableError

    now = timezone.now()
    tick(lambda pk: None, now)

    def broken(self, cursor, now):
        raise RetryableError("billbee does not answer")
        yield

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr("belegsync.sources.memory.MemorySource.fetch", broken)
        assert run_cycle(connection.pk, "worker-1").failed_cycle
    connection.refresh_from_db()
    assert connection.next_sync_at == now + dt.timedelta(seconds=connection.sync_interval)


def test_a_document_reaches_the_target_within_one_interval_of_its_issue():
    """GIVEN 40 invoices issued at random moments within two minutes, a 60 s interval, a
    target that takes 1.5 s a voucher, a fetch of 0.5 s, a tick and a poll of up to a
    second each WHEN the cycles follow :func:`next_fetch_at` THEN every invoice is at the
    target within 60 s of its issue; fetched once an interval (from the claim), some
    take longer: up to the interval for the fetch, then the vouchers ahead of them."""
    interval, fetch, per_voucher = 60, 0.5, 1.5
    t0 = dt.datetime(2026, 12, 3, tzinfo=dt.UTC)

    def worst(half: bool, seed: int) -> float:
        rng = random.Random(seed)
        issued = sorted(rng.uniform(0, 120) for _ in range(40))
        due = end = 0.0  # the first cycle at once, as a new connection's
        latencies: list[float] = []
        while len(latencies) < len(issued):
            claimed = max(due, end) + rng.uniform(0, 1)  # the tick after it is due and free
            due = claimed + interval  # what the claim sets
            start = claimed + rng.uniform(0, 1)  # the worker's poll; the fetch window closes
            end = start + fetch
            for moment in issued[len(latencies) :]:
                if moment > start:
                    break
                end += per_voucher
                latencies.append(end - moment)
            if half:
                brought = next_fetch_at(t0 + dt.timedelta(seconds=start), interval)
                due = min(due, (brought - t0).total_seconds())
        return max(latencies)

    for seed in range(20):
        assert worst(half=True, seed=seed) <= interval
    assert max(worst(half=False, seed=seed) for seed in range(20)) > interval
