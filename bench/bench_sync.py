"""The sync engine's overhead and throughput.

1. idle: N enabled upload connections (default 10,000, and N/10) with nothing
   new, all due every minute: one scheduler tick that claims them and the
   minute's 59 others (the scheduler ticks every second) that find nothing due —
   their CPU as a share of one core and their queries at both sizes, against one
   cycle per connection (what an idle connection cost before the set-based tick)
   in the same process.
2. throughput: W `belegsync worker` processes (default 4) with T threads each
   (default 1), C connections (default 40) each on its own lexoffice fake
   account: requests/s reached against the sum of the accounts' limits, and
   against W × one account's limit (a cycle holds one connection, so W × T
   worker threads serve at most W × T accounts at a time).

    .venv/bin/python bench/bench_sync.py [--connections 10000] [--accounts 40]
        [--workers 4] [--threads 1] [--documents 400] [--rate 2]

Runs on a fresh SQLite file in a temporary directory, or on DATABASE_URL.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
os.environ.setdefault("BELEGSYNC_DATA_DIR", tempfile.mkdtemp(prefix="belegsync-bench-"))
os.environ["DJANGO_SETTINGS_MODULE"] = "belegsync.settings"
os.environ["BELEGSYNC_TASK_BACKEND"] = "database"

import django  # noqa: E402

django.setup()

from django.core.management import call_command  # noqa: E402
from django.db import connection as db  # noqa: E402

from belegsync.connectors import egress  # noqa: E402
from belegsync.documents.models import Connection, Organisation  # noqa: E402
from belegsync.fakes.base import serve_in_thread  # noqa: E402
from belegsync.sync.cycle import run_cycle  # noqa: E402
from belegsync.sync.scheduler import tick  # noqa: E402
from tests.sync import harness as h  # noqa: E402


class Counter:
    def __init__(self) -> None:
        self.queries = 0

    def __call__(self, execute, sql, params, many, context):  # type: ignore[no-untyped-def]
        self.queries += 1
        return execute(sql, params, many, context)


# the scheduler ticks every second: a minute is one tick that claims every idle
# connection and 59 that find nothing due
EMPTY_TICKS = 59


class Ticks:
    def __init__(self, cpu: float, wall: float, queries: int) -> None:
        self.cpu, self.wall, self.queries = cpu, wall, queries


def empty_ticks(due: list[int]) -> Ticks:
    """The minute's other ticks, run back to back: nothing is due until the interval ends."""
    counter = Counter()
    cpu, wall = time.process_time(), time.perf_counter()
    with db.execute_wrapper(counter):
        for _ in range(EMPTY_TICKS):
            tick(due.append)
    assert due == [], "idle connections get no cycle"
    return Ticks(time.process_time() - cpu, time.perf_counter() - wall, counter.queries)


def idle(count: int) -> None:
    """One minute of schedule for ``count`` idle upload connections, at count/10 and count.

    The baseline in the same process is what the engine did before the set-based
    tick: one cycle per due connection (``run_cycle``), measured over the small size.
    """
    org = Organisation.objects.create(name="idle", slug="idle")
    small = max(1, count // 10)
    for size in (small, count):
        Connection.objects.all().delete()
        Connection.objects.bulk_create(
            Connection(
                organisation=org,
                name=f"idle {i}",
                source_kind="afterbuy_csv",
                target_kind="memory",
                sync_interval=60,
            )
            for i in range(size)
        )
        if db.vendor == "postgresql":  # as autovacuum leaves a running installation's table
            with db.cursor() as cursor:
                cursor.execute(f'ANALYZE "{Connection._meta.db_table}"')
        due: list[int] = []
        counter = Counter()
        cpu = time.process_time()
        with db.execute_wrapper(counter):
            tick(due.append)
        cpu = tick_cpu = time.process_time() - cpu
        assert due == [], "idle connections get no cycle"
        empty = empty_ticks(due)
        print(
            f"idle: {size} connections due: tick {cpu * 1000:.0f} ms CPU, "
            f"{counter.queries} queries, {cpu / 60:.3%} of one core at a 1-minute interval"
        )
        print(
            f"idle: {size} connections, the other {EMPTY_TICKS} ticks of the minute "
            f"(one a second, nothing due): {empty.cpu * 1000 / EMPTY_TICKS:.2f} ms CPU, "
            f"{empty.wall * 1000 / EMPTY_TICKS:.2f} ms wall and {empty.queries / EMPTY_TICKS:.0f} "
            f"queries each; the minute: {(cpu + empty.cpu) / 60:.3%} of one core "
            f"(wall, the database's side included: {(cpu + empty.wall) / 60:.3%})"
        )
    ids = list(Connection.objects.values_list("pk", flat=True)[:small])
    cpu = time.process_time()
    for pk in ids:
        run_cycle(pk, "bench")
    per_cycle = (time.process_time() - cpu) / len(ids)
    print(
        f"idle: baseline one cycle per connection: {per_cycle * 1000:.2f} ms CPU each = "
        f"{per_cycle * count / 60:.1%} of one core for {count}; "
        f"the tick costs {tick_cpu / (per_cycle * count):.2%} of that"
    )


def throughput(accounts: int, workers: int, documents: int, rate: float, threads: int) -> None:
    keys = [f"bench-key-{i}" for i in range(accounts)]
    fake = h.lexoffice_fake(serve_in_thread, keys, rate=rate)
    os.environ[egress.ENV] = egress.with_remote("", "lexoffice", fake.url)
    connections = h.seed(
        fake,
        connections=accounts,
        documents=documents,
        keys=keys,
        rate=rate * 0.95,
        name="bench",
    )
    h.every_connection_due_often(connections)
    fleet = h.Fleet(h.child_env(), workers, threads).start()
    started = time.perf_counter()
    try:
        h.wait_until(h.all_done(connections, documents), timeout=3600, step=0.5)
    finally:
        seconds = time.perf_counter() - started
        fleet.stop()
    sent = sum(1 for _m, path, _s in fake.app.requests if path.startswith("/v1/"))
    per_second = sent / seconds
    print(
        f"throughput: {documents} documents, {accounts} accounts at {rate}/s, {workers} workers "
        f"× {threads} threads: "
        f"{seconds:.1f} s, {documents / seconds:.1f} documents/s, {per_second:.1f} requests/s "
        f"= {per_second / (accounts * rate):.0%} of the accounts' sum ({accounts * rate:.0f}/s), "
        f"{per_second / (workers * rate):.0%} of {workers} × one account; "
        f"429: {fake.app.stats['rate_limited']}, states {h.states(connections)}"
    )


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--connections", type=int, default=10_000)
    parser.add_argument("--accounts", type=int, default=40)
    parser.add_argument("--workers", type=int, default=4)
    parser.add_argument("--threads", type=int, default=1, help="threads per worker")
    parser.add_argument("--documents", type=int, default=400)
    parser.add_argument("--rate", type=float, default=2.0)
    parser.add_argument("--skip-idle", action="store_true")
    parser.add_argument("--skip-throughput", action="store_true")
    args = parser.parse_args()
    call_command("migrate", interactive=False, verbosity=0)
    print(f"database: {db.vendor}")
    if not args.skip_idle:
        idle(args.connections)
    if not args.skip_throughput:
        throughput(args.accounts, args.workers, args.documents, args.rate, args.threads)


if __name__ == "__main__":
    main()
