"""Faults, switches and revoked keys: the engine against the lexoffice fake, in process."""

from __future__ import annotations

import threading
import time

import httpx
import pytest
from django.db import close_old_connections

from belegsync.connectors.base import SourceDocument
from belegsync.documents.models import Connection, Document
from belegsync.documents.states import State
from belegsync.sources.memory import STORE
from belegsync.sync.cycle import run_cycle
from belegsync.sync.models import CycleRecord
from belegsync.sync.scheduler import resume, tick
from tests.conftest import make_voucher

from . import harness as h

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture(autouse=True)
def quick_retries(settings):
    """Backoff in tenths of seconds instead of 30 s … 1 h."""
    settings.BELEGSYNC_BACKOFF_BASE_SECONDS = 0.05
    settings.BELEGSYNC_BACKOFF_MAX_SECONDS = 0.2


def feed(connection: Connection, start: int, count: int) -> list[str]:
    numbers = [f"SW-{connection.pk}-{i:05d}" for i in range(start, start + count)]
    STORE.add(connection.pk, *[SourceDocument(make_voucher(n), source_id=n) for n in numbers])
    return numbers


def cycle_in_thread(connection: Connection) -> threading.Thread:
    def run() -> None:
        try:
            run_cycle(connection.pk, "thread-worker")
        finally:
            close_old_connections()

    thread = threading.Thread(target=run)
    thread.start()
    return thread


def done_count(connection: Connection) -> int:
    return Document.objects.filter(connection=connection, state=State.DONE).count()


def cycles_until_done(connection: Connection, total: int) -> int:
    # a cycle paces at 19/s and backs off on every fault: at full size (500 documents)
    # one cycle alone takes 130-160 s, so the bound grows with the count
    cycles, deadline = 0, time.monotonic() + 60 + total * 0.6
    while done_count(connection) < total and time.monotonic() < deadline:
        run_cycle(connection.pk, "w")
        cycles += 1
        time.sleep(0.05)
    return cycles


def test_with_20_percent_faults_every_document_ends_done_once(run_fake, capsys):
    """GIVEN the fake answering 20 % of requests with 429/500/503, timeouts or drops
    THEN after enough cycles every document is done and each voucher exists once."""
    total = h.scaled(500, 40)
    fake = h.lexoffice_fake(run_fake, ["fault-key"], rate=20)
    [connection] = h.seed(
        fake, connections=1, documents=total, keys=["fault-key"], rate=19, name="fault"
    )
    fake.app.configure_faults(
        probability=0.2, kinds=["429", "500", "503", "timeout", "drop"], timeout_seconds=0.3, seed=3
    )
    fake.app.fail_next_write_with_504(5)  # created, but the answer is lost: the hard case
    started = time.monotonic()
    cycles = cycles_until_done(connection, total)
    fake.app.configure_faults(probability=0)
    assert h.states([connection]) == {State.DONE: total}
    assert set(h.copies(fake, h.numbers([connection])).values()) == {1}
    injected = sum(n for k, n in fake.app.stats.items() if k.startswith("fault_"))
    assert injected > 0
    own = fake.app.stats["rate_limited"]
    with capsys.disabled():
        print(
            f"\nfault test: {total} documents, {injected} injected faults "
            f"({dict((k, n) for k, n in fake.app.stats.items() if k.startswith('fault_'))}), "
            f"{cycles} cycles, {time.monotonic() - started:.1f} s, "
            f"429 caused by belegsync's own pacing: {own}"
        )


@pytest.mark.parametrize("switch", ["connection", "organisation"])
def test_disabling_stops_new_claims_and_enabling_resumes_from_the_cursor(run_fake, switch):
    """GIVEN a running cycle
    WHEN sync is disabled mid-run (per connection or for the organisation)
    THEN no document is claimed any more and nothing is fetched; documents added
    meanwhile are fetched from the stored cursor after enabling: no gap, no duplicate."""
    fake = h.lexoffice_fake(run_fake, ["switch-key"], rate=20)
    [connection] = h.seed(fake, connections=1, documents=0, keys=["switch-key"], rate=10)
    first = feed(connection, 0, 30)
    thread = cycle_in_thread(connection)
    assert h.wait_until(lambda: done_count(connection) >= 5, timeout=30, step=0.02)
    if switch == "connection":
        Connection.objects.filter(pk=connection.pk).update(enabled=False)
    else:
        type(connection.organisation).objects.filter(pk=connection.organisation_id).update(
            sync_enabled=False
        )
    thread.join(timeout=30)
    stopped_at = done_count(connection)
    assert 5 <= stopped_at < 30
    assert not Document.objects.filter(state=State.PROCESSING).exists()  # in-flight finished
    claims = Document.objects.filter(connection=connection).exclude(attempts=0).count()

    second = feed(connection, 30, 20)  # the shop keeps selling while sync is off
    report = run_cycle(connection.pk, "w")
    assert not report.ran
    assert tick(lambda pk: None) == []
    assert Document.objects.filter(connection=connection).exclude(attempts=0).count() == claims
    assert Document.objects.filter(connection=connection).count() == 30  # nothing fetched
    assert Connection.objects.get(pk=connection.pk).cursor == "30"

    Connection.objects.filter(pk=connection.pk).update(enabled=True)
    type(connection.organisation).objects.filter(pk=connection.organisation_id).update(
        sync_enabled=True
    )
    report = run_cycle(connection.pk, "w")
    assert report.fetched.created == 20
    assert Connection.objects.get(pk=connection.pk).cursor == "50"
    assert h.states([connection]) == {State.DONE: 50}
    assert h.copies(fake, first + second) == {n: 1 for n in first + second}


def test_a_revoked_key_pauses_the_connection_and_restoring_it_resumes(run_fake):
    """GIVEN a running cycle
    WHEN lexoffice stops accepting the key (revoked in the fake's control API)
    THEN the connection pauses with a message saying so, no document fails;
    restoring the key and resuming transfers the rest, each voucher once."""
    fake = h.lexoffice_fake(run_fake, ["auth-key"], rate=20)
    [connection] = h.seed(fake, connections=1, documents=0, keys=["auth-key"], rate=10)
    numbers = feed(connection, 0, 30)
    thread = cycle_in_thread(connection)
    assert h.wait_until(lambda: done_count(connection) >= 5, timeout=30, step=0.02)
    httpx.post(f"{fake.url}/__fake__/credentials", json={"api_keys": []}).raise_for_status()
    thread.join(timeout=30)
    connection.refresh_from_db()
    assert "did not accept the credentials" in connection.paused_reason
    assert "API key" in connection.paused_reason
    assert "auth-key" not in connection.paused_reason  # never the secret
    assert not Document.objects.filter(state__in=[State.FAILED, State.PROCESSING]).exists()
    assert done_count(connection) < 30
    assert tick(lambda pk: None) == []  # a paused connection is not scheduled
    assert CycleRecord.objects.filter(connection=connection).exists()

    httpx.post(f"{fake.url}/__fake__/credentials", json={"api_keys": ["auth-key"]})
    resume(connection)
    assert tick(lambda pk: None) == [connection.pk]
    run_cycle(connection.pk, "w")
    assert h.states([connection]) == {State.DONE: 30}
    assert h.copies(fake, numbers) == {n: 1 for n in numbers}
