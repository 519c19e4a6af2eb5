"""The engine's promises, proven with real worker processes and the lexoffice fake.

Counts scale with ``BELEGSYNC_PROOF_SCALE`` (0.1 by default; 1 is the issue's
full size: 1,000 documents). Run on both databases:

    .venv/bin/pytest -q tests/sync/test_proofs.py
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/belegsync \
        .venv/bin/pytest -q tests/sync/test_proofs.py
"""

from __future__ import annotations

import random
import time

import pytest

from belegsync.documents.models import Document
from belegsync.documents.states import State
from belegsync.sync.transfer import CRASH_POINTS

from . import harness as h

pytestmark = [pytest.mark.slow, pytest.mark.django_db(transaction=True)]

#: Short leases, so a killed worker's claims come back within seconds.
LEASES = {"BELEGSYNC_LEASE_SECONDS": "3", "BELEGSYNC_CYCLE_LEASE_SECONDS": "4"}


def test_it_transfers_every_document_exactly_once_while_workers_are_killed(run_fake, capsys):
    """GIVEN documents over 10 connections (5 lexoffice accounts) and N worker processes
    WHEN a harness SIGKILLs a random worker every 1–3 s and restarts it
    THEN every voucher number exists exactly once in lexoffice and every document is done."""
    total = h.scaled(1000, 60)
    size = 4 if h.on_postgres() else 2
    keys = [f"kill-key-{i}" for i in range(5)]
    fake = h.lexoffice_fake(run_fake, keys, rate=20)
    connections = h.seed(fake, connections=10, documents=total, keys=keys, rate=19, name="kill")
    h.every_connection_due_often(connections)
    fleet = h.Fleet(h.child_env(**LEASES), size).start()
    rng = random.Random(7)
    started = time.monotonic()
    try:
        done = h.all_done(connections, total)
        deadline = started + 120 + total * 0.6
        while not done() and time.monotonic() < deadline:
            time.sleep(rng.uniform(1, 3))
            fleet.kill_one(rng)
    finally:
        fleet.stop()
    seconds = time.monotonic() - started
    held = h.copies(fake, h.numbers(connections))
    twice = {n: c for n, c in held.items() if c != 1}
    assert h.states(connections) == {State.DONE: total}
    assert twice == {}
    for document in Document.objects.filter(connection__in=connections):
        assert fake.app.vouchers[document.remote_id]["voucherNumber"] == document.source_number
    files = sum(len(v.get("files") or []) for v in fake.app.vouchers.values())
    with capsys.disabled():
        print(
            f"\nkill test: {total} documents, {size} workers, {fleet.kills} SIGKILLs, "
            f"{seconds:.0f} s, {len(held)} vouchers each once, {files} files, "
            f"429 from own pacing: {fake.app.stats['rate_limited']}"
        )


def test_a_crash_at_every_step_boundary_loses_nothing_and_books_nothing_twice(run_fake):
    """GIVEN one document per crash point, on a partner key (so 'mark paid' runs too)
    WHEN a worker dies by SIGKILL right after that point
    THEN the next worker finishes the document: one voucher, done, every step recorded."""
    fake = h.lexoffice_fake(run_fake, ["crash-key"], rate=50)
    fake.app.partner_keys = {"crash-key"}
    connections = h.seed(
        fake,
        connections=len(CRASH_POINTS),
        documents=len(CRASH_POINTS),
        keys=["crash-key"],
        rate=40,
        name="crash",
        policy={"mark_paid": True},
    )
    env = {"BELEGSYNC_LEASE_SECONDS": "1", "BELEGSYNC_CYCLE_LEASE_SECONDS": "1"}
    crashing = [
        h.belegsync(
            "sync",
            "--connection",
            str(conn.pk),
            env=h.child_env(BELEGSYNC_CRASH_AFTER=point, **env),
        )
        for point, conn in zip(CRASH_POINTS, connections, strict=True)
    ]
    codes = [process.wait(timeout=60) for process in crashing]
    assert codes == [-9] * len(CRASH_POINTS)  # every point was reached and killed there
    time.sleep(1.2)  # the dead workers' leases run out
    recovery = h.belegsync("sync", env=h.child_env(**env))
    assert recovery.wait(timeout=120) == 0
    assert set(h.copies(fake, h.numbers(connections)).values()) == {1}
    for point, conn in zip(CRASH_POINTS, connections, strict=True):
        document = Document.objects.get(connection=conn)
        assert document.state == State.DONE, (point, document.failure_message)
        assert set(document.steps) == {"remote", "attach", "mark_paid", "mark_transferred"}, point
        voucher = fake.app.vouchers[document.remote_id]
        assert len(voucher["files"]) == 1, point
        hints = [hint for hint in fake.app.hints.values() if hint.get("voucherId") == voucher["id"]]
        assert len(hints) == 1, point


def test_four_workers_on_one_account_stay_under_its_limit_together(run_fake, capsys):
    """GIVEN 4 connections on ONE lexoffice account (limit 10/s) and 4 worker processes
    WHEN they transfer at once through the shared database bucket
    THEN lexoffice never answers 429 (a per-process bucket would, at 4 × 9.5/s)."""
    total = h.scaled(200, 40)
    fake = h.lexoffice_fake(run_fake, ["one-account"], rate=10)
    connections = h.seed(
        fake, connections=4, documents=total, keys=["one-account"], rate=9.5, name="shared"
    )
    h.every_connection_due_often(connections)
    fleet = h.Fleet(h.child_env(BELEGSYNC_SHARED_LIMITER="database"), 4).start()
    started = time.monotonic()
    try:
        assert h.wait_until(h.all_done(connections, total), timeout=60 + total)
    finally:
        fleet.stop()
    seconds = time.monotonic() - started
    sent = sum(1 for _m, path, _s in fake.app.requests if path.startswith("/v1/"))
    assert fake.app.stats["rate_limited"] == 0
    assert set(h.copies(fake, h.numbers(connections)).values()) == {1}
    with capsys.disabled():
        print(
            f"\nshared limit: {total} documents, 4 workers, one account at 10/s: "
            f"{sent} requests in {seconds:.1f} s = {sent / seconds:.1f}/s, 0 × 429"
        )
