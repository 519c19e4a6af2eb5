from __future__ import annotations

import datetime as dt
import threading

import pytest
from django.db import close_old_connections, transaction
from django.db import connection as db
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from belegsync.documents.models import Connection, Document
from belegsync.documents.states import State
from belegsync.sync.scheduler import sync_now, tick

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
