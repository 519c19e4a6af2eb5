"""How long a new invoice in Billbee takes to become a voucher in lexoffice, end to end.

    .venv/bin/python bench/bench_latency.py [--orders 10 40] [--window 120] [--interval 60]

belegsync runs as it is deployed (``belegsync run``: the web server, one worker and
the scheduler at its tick) against Billbee's and lexoffice's doubles over real
HTTP, with their rate limits (Billbee 2 calls/s per endpoint, lexoffice 2/s). One
Billbee → lexoffice connection at the shortest interval (60 s). Invoiced orders are
added to the Billbee double at random moments within ``--window`` seconds; the
latency of each is from its adding to its voucher appearing in the lexoffice
double. Measured twice in the same process for each size:

- **webhooks on**: the connection registered its webhook (``BELEGSYNC_PUBLIC_URL``
  is the web server), so each order's call makes the connection due at once;
- **webhooks off** (the baseline): the connection is asked at its interval.

Reported per size: p50, p95 and max of both, and on/off. Runs on a fresh SQLite
file in a temporary directory (or DATABASE_URL).

Each measurement is followed by where the slowest invoice's seconds went (from the
documents' events and the cycle records): its wait for the fetch that brought it
(added → that cycle's start, the fetch's ``modifiedAtMax``), the fetch, the vouchers of
that cycle claimed before it, its own transfer, and the time between that cycle's start
and the one before it (the period the schedule kept).
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import random
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
os.environ.setdefault("BELEGSYNC_DATA_DIR", tempfile.mkdtemp(prefix="belegsync-bench-"))
os.environ["DJANGO_SETTINGS_MODULE"] = "belegsync.settings"
os.environ["BELEGSYNC_TASK_BACKEND"] = "database"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


PORT = free_port()
os.environ["BELEGSYNC_PUBLIC_URL"] = f"http://127.0.0.1:{PORT}"

from belegsync.connectors import egress  # noqa: E402
from belegsync.fakes.base import serve_in_thread  # noqa: E402
from belegsync.fakes.billbee import BillbeeFake  # noqa: E402
from belegsync.fakes.billbee.seed import JANA, SHOPS, Item, OrderSpec, make_order  # noqa: E402
from belegsync.fakes.lexoffice import build as build_lexoffice  # noqa: E402

KEY, USER, PASSWORD, LEXOFFICE_KEY = "bench-key", "shop@example.org", "api-pw", "bench-lex"
BILLBEE = BillbeeFake(api_key=KEY, user=USER, password=PASSWORD, bulk=0)
BILLBEE_RUNNING = serve_in_thread(BILLBEE)
LEXOFFICE_RUNNING = serve_in_thread(build_lexoffice(["--api-key", LEXOFFICE_KEY]))
LEXOFFICE = LEXOFFICE_RUNNING.app
remotes = egress.with_remote("", "billbee", BILLBEE_RUNNING.url)
os.environ[egress.ENV] = egress.with_remote(remotes, "lexoffice", LEXOFFICE_RUNNING.url)

import django  # noqa: E402

django.setup()

from django.conf import settings  # noqa: E402
from django.core.management import call_command  # noqa: E402
from django.utils import timezone  # noqa: E402

from belegsync.connectors.base import AdapterContext  # noqa: E402
from belegsync.documents.models import Connection, Document, Event, Organisation  # noqa: E402
from belegsync.sources.billbee import models as hooks  # noqa: E402
from belegsync.sources.billbee.source import GENERAL_STEP, PAYMENT_STEP, BillbeeSource  # noqa: E402
from belegsync.sync.models import CycleRecord  # noqa: E402

_invoice = iter(range(70000, 10**9))


def child_env() -> dict[str, str]:
    env = dict(os.environ)
    env.pop("DJANGO_SETTINGS_MODULE", None)
    env.update(
        BELEGSYNC_SECRET_KEY=settings.SECRET_KEY,
        BELEGSYNC_FERNET_KEYS=",".join(settings.FERNET_KEYS),
        PYTHONPATH=str(ROOT),
    )
    return env


def start_belegsync() -> subprocess.Popen[bytes]:
    process = subprocess.Popen(
        [sys.executable, "-m", "belegsync.cli", "run", "--port", str(PORT)],
        cwd=ROOT,
        env=child_env(),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            with socket.create_connection(("127.0.0.1", PORT), timeout=1):
                return process
        except OSError:
            time.sleep(0.2)
    process.terminate()
    raise TimeoutError("belegsync run did not listen within 60 s")


def connection_for(name: str, interval: int) -> Connection:
    """A set-up Billbee → lexoffice connection that starts at its first cycle now."""
    Connection.objects.update(enabled=False)  # the runs before this one rest
    org, _ = Organisation.objects.get_or_create(slug="bench", defaults={"name": "Bench"})
    checked = timezone.now().isoformat()
    return Connection.objects.create(
        organisation=org,
        name=name,
        source_kind="billbee",
        target_kind="lexoffice",
        sync_interval=interval,
        credentials={
            "source": {"api_key": KEY, "user": USER, "password": PASSWORD},
            "target": {"api_key": LEXOFFICE_KEY},
        },
        settings={
            "policy": {"start_date": "2020-01-01", "mark_paid": False},
            "source": {"state_ids": ["3", "4", "7"]},
        },
        steps_done=[GENERAL_STEP, PAYMENT_STEP],
        credentials_checked={"source": checked, "target": checked},
        setup_complete=True,
        cursor=timezone.now().isoformat(),
        next_sync_at=timezone.now(),
    )


def invoiced_order(number: int) -> dict[str, object]:
    """A paid, invoiced order of now, as the shop imports it into Billbee."""
    now = dt.datetime.now(dt.UTC) - dt.timedelta(hours=20)  # make_order invoices 20 h later
    order = make_order(
        OrderSpec(
            900000000000 + number,
            f"L-{number}",
            SHOPS[0],
            3,
            now,
            [Item("Earl Grey 100 g", "EG-100", 2, 6.5, tax_index=2), Item("Teesieb", "TS", 1, 9.9)],
            JANA,
            invoice_number=number,
            invoice_prefix="RE-L-",
        )
    )
    order["ShippedAt"] = None
    return order


def arrived() -> dict[str, float]:
    with LEXOFFICE.lock:
        return {str(v["voucherNumber"]): 0.0 for v in LEXOFFICE.vouchers.values()}


def run(
    orders: int, window: float, interval: int, webhooks: bool, seed: int
) -> tuple[list[float], str]:
    """Latencies (s) of ``orders`` invoices added at random moments within ``window``,
    and where the slowest one's seconds went."""
    BILLBEE.reset_state()
    connection = connection_for(f"{'on' if webhooks else 'off'} {orders} {seed}", interval)
    if webhooks:
        client = BillbeeSource.make_client(
            AdapterContext(credentials=connection.credentials["source"])
        )
        with client:
            hooks.register(connection, client)
    rng = random.Random(seed)
    moments = sorted(rng.uniform(0, window) for _ in range(orders))
    added: dict[str, float] = {}
    seen: dict[str, float] = {}
    stop = threading.Event()

    def watch() -> None:
        while not stop.is_set():
            now = time.monotonic()
            for number in arrived():
                if number in added and number not in seen:
                    seen[number] = now
            time.sleep(0.05)

    watcher = threading.Thread(target=watch, daemon=True)
    watcher.start()
    start = time.monotonic()
    for moment in moments:
        time.sleep(max(0.0, start + moment - time.monotonic()))
        number = next(_invoice)
        added[f"RE-L-{number}"] = time.monotonic()
        BILLBEE.add_order(invoiced_order(number))
    deadline = time.monotonic() + 3 * interval + 60
    while len(seen) < len(added) and time.monotonic() < deadline:
        time.sleep(0.2)
    stop.set()
    watcher.join()
    missing = sorted(set(added) - set(seen))
    if missing:
        raise SystemExit(f"not transferred within the deadline: {missing[:5]} …")
    latencies = {n: seen[n] - added[n] for n in added}
    slowest = max(latencies, key=latencies.__getitem__)
    wall = time.time() - time.monotonic()  # the monotonic clock on the database's (UTC) one
    return list(latencies.values()), explain(
        connection, slowest, added[slowest] + wall, seen[slowest] + wall
    )


def recorded_cycles(connection: Connection, stored: float) -> list[CycleRecord]:
    """The connection's cycle records once the one that stored ``stored`` is written
    (at its end, after the last voucher's steps in Billbee)."""
    deadline = time.monotonic() + 60
    while True:
        cycles = list(CycleRecord.objects.filter(connection=connection).order_by("started_at"))
        if time.monotonic() > deadline or any(
            c.started_at.timestamp() <= stored <= c.started_at.timestamp() + c.seconds
            for c in cycles
        ):
            return cycles
        time.sleep(0.5)


def explain(connection: Connection, number: str, added_at: float, seen_at: float) -> str:
    """Where the seconds of one invoice went, from its events and the cycle records."""
    document = Document.objects.get(connection=connection, source_number=number)
    moments = dict(
        Event.objects.filter(document=document, action__in=["claim", "complete"]).values_list(
            "action", "at"
        )
    )
    stored = document.created_at.timestamp()
    cycles = recorded_cycles(connection, stored)
    starts = [c.started_at.timestamp() for c in cycles]
    index = max((i for i, start in enumerate(starts) if start <= stored), default=None)
    if index is None or "claim" not in moments:
        return f"{number}: no cycle record before it was stored"
    cycle, start = cycles[index], starts[index]
    claimed = moments["claim"].timestamp()
    ahead = Event.objects.filter(
        document__connection=connection,
        action="claim",
        at__gte=cycle.started_at,
        at__lt=moments["claim"],
    ).count()
    period = f", {start - starts[index - 1]:.1f} s after the recorded one before" if index else ""
    return (
        f"slowest {number} {seen_at - added_at:.1f} s: fetched {start - added_at:.1f} s after "
        f"it was added (recorded cycle {index + 1} of {len(cycles)}{period}; it took "
        f"{cycle.seconds:.1f} s, {cycle.fetched} fetched, {cycle.transferred} transferred), stored "
        f"{stored - start:.1f} s into the cycle, {ahead} vouchers claimed before it in "
        f"{claimed - stored:.1f} s, its voucher {seen_at - claimed:.1f} s after its claim"
    )


def quantiles(latencies: list[float]) -> tuple[float, float, float]:
    ordered = sorted(latencies)
    p95 = ordered[min(len(ordered) - 1, max(0, round(0.95 * len(ordered)) - 1))]
    return statistics.median(ordered), p95, ordered[-1]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--orders", type=int, nargs="+", default=[10, 40])
    parser.add_argument("--window", type=float, default=120.0, help="seconds orders arrive in")
    parser.add_argument("--interval", type=int, default=60, help="the connection's interval")
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()
    call_command("migrate", verbosity=0)
    belegsync = start_belegsync()
    try:
        for size in args.orders:
            on_latencies, on_slowest = run(size, args.window, args.interval, True, args.seed)
            off_latencies, off_slowest = run(size, args.window, args.interval, False, args.seed)
            on, off = quantiles(on_latencies), quantiles(off_latencies)
            print(
                f"{size} invoices in {args.window:.0f} s, interval {args.interval} s: "
                f"webhooks on p50 {on[0]:.1f} s, p95 {on[1]:.1f} s, max {on[2]:.1f} s; "
                f"off p50 {off[0]:.1f} s, p95 {off[1]:.1f} s, max {off[2]:.1f} s; "
                f"on/off p50 {on[0] / off[0]:.2f}, p95 {on[1] / off[1]:.2f}",
                flush=True,
            )
            print(f"  webhooks on, {on_slowest}", flush=True)
            print(f"  webhooks off, {off_slowest}", flush=True)
    finally:
        belegsync.terminate()
        belegsync.wait(60)


if __name__ == "__main__":
    main()
