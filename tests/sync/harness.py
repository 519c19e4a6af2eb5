"""The proofs' rig: real `belegsync worker` processes on the test database, a lexoffice fake.

The test database is shared with child processes (SQLite: the file of
tests/settings.py; PostgreSQL: the test database), so tests that use it need
``transactional_db``. ``BELEGSYNC_PROOF_SCALE`` (default 0.1 in CI, 1 for the
full-size runs) scales the document counts.
"""

from __future__ import annotations

import datetime as dt
import math
import os
import random
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import Any

from django.conf import settings
from django.db import connection as db

from belegsync.bookkeeping import Payment
from belegsync.connectors.base import SourceDocument
from belegsync.documents.models import Connection, Document, DocumentFile, Organisation
from belegsync.documents.states import State
from belegsync.fakes.base import RunningFake
from belegsync.fakes.lexoffice import build as build_lexoffice
from belegsync.sync.ingest import store_all
from tests.conftest import make_voucher

ROOT = Path(__file__).resolve().parents[2]
PDF = b"%PDF-1.4\n%proof\n"


def scale() -> float:
    return float(os.environ.get("BELEGSYNC_PROOF_SCALE", "0.1"))


def scaled(full: int, minimum: int) -> int:
    return max(minimum, round(full * scale()))


def on_postgres() -> bool:
    return db.vendor == "postgresql"


#: How late a paced request may arrive and still find a token: against lexoffice (2 tokens a
#: second, capacity 2, belegsync's bucket 1.9/s with burst 1) one spare token is half a
#: second. The fakes run faster than lexoffice, so their capacity is scaled to keep that
#: half second; a fixed capacity of 2 at 10/s would leave 0.1 s, less than a loaded
#: 2-core machine may stall a process between its token and its request.
LATE_SECONDS = 0.5


def lexoffice_fake(
    run_fake: Callable[[Any], RunningFake], keys: Iterable[str], rate: float
) -> RunningFake:
    burst = 1 + math.ceil(rate * LATE_SECONDS)
    argv = ["--rate-limit", str(rate), "--burst", str(burst)]
    for key in keys:
        argv += ["--api-key", key]
    return run_fake(build_lexoffice(argv))


def database_url() -> str:
    name = db.settings_dict["NAME"]
    if db.vendor == "sqlite":
        return f"sqlite:///{name}"
    d = db.settings_dict
    auth = d["USER"] + (f":{d['PASSWORD']}" if d.get("PASSWORD") else "")
    return f"postgres://{auth}@{d['HOST'] or '127.0.0.1'}:{d['PORT'] or 5432}/{name}"


def child_env(**extra: str) -> dict[str, str]:
    env = dict(os.environ)
    env.pop("DJANGO_SETTINGS_MODULE", None)
    env.update(
        DATABASE_URL=database_url(),
        BELEGSYNC_DATA_DIR=str(settings.DATA_DIR),
        BELEGSYNC_SECRET_KEY=settings.SECRET_KEY,
        BELEGSYNC_FERNET_KEYS=",".join(settings.FERNET_KEYS),
        BELEGSYNC_TASK_BACKEND="database",
        PYTHONPATH=str(ROOT),
    )
    env.update(extra)
    return env


def belegsync(*args: str, env: dict[str, str], **kwargs: Any) -> subprocess.Popen[bytes]:
    return subprocess.Popen(
        [sys.executable, "-m", "belegsync.cli", *args],
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=kwargs.pop("stderr", subprocess.DEVNULL),
        **kwargs,
    )


def seed(
    fake: RunningFake,
    *,
    connections: int,
    documents: int,
    keys: list[str],
    rate: float,
    name: str = "proof",
    policy: dict[str, Any] | None = None,
) -> list[Connection]:
    """``connections`` memory → lexoffice connections (key i % len(keys)), documents spread
    over them, each with a PDF, stored as the ingest stores them."""
    org, _ = Organisation.objects.get_or_create(slug=name, defaults={"name": name})
    made = []
    for i in range(connections):
        made.append(
            Connection.objects.create(
                organisation=org,
                name=f"{name} {i}",
                source_kind="memory",
                target_kind="lexoffice",
                credentials={"target": {"api_key": keys[i % len(keys)]}},
                settings={
                    "policy": policy or {},
                    "target": {"rate_per_second": rate},
                },
            )
        )
    for index in range(documents):
        conn = made[index % connections]
        number = f"{name.upper()}-{conn.pk}-{index:05d}"
        voucher = make_voucher(
            number,
            invoice_date=dt.date(2026, 11, 2) + dt.timedelta(days=index % 5),
            payments=(Payment("paypal", Decimal("44.95"), dt.date(2026, 11, 2), f"TX-{index}"),),
        )
        store_all(conn, [SourceDocument(voucher, source_id=number)], "test")
        DocumentFile.store(Document.objects.get(source_number=number), PDF, f"{number}.pdf")
    return made


def numbers(connections: Iterable[Connection]) -> list[str]:
    return list(
        Document.objects.filter(connection__in=list(connections)).values_list(
            "source_number", flat=True
        )
    )


def copies(fake: RunningFake, wanted: Iterable[str]) -> dict[str, int]:
    """How many vouchers the fake holds per number (exactly once: all 1)."""
    with fake.app.lock:
        held: dict[str, int] = {}
        for voucher in fake.app.vouchers.values():
            held[voucher["voucherNumber"]] = held.get(voucher["voucherNumber"], 0) + 1
    return {n: held.get(n, 0) for n in wanted}


def states(connections: Iterable[Connection]) -> dict[str, int]:
    result: dict[str, int] = {}
    for state in Document.objects.filter(connection__in=list(connections)).values_list(
        "state", flat=True
    ):
        result[state] = result.get(state, 0) + 1
    return result


def wait_until(done: Callable[[], bool], timeout: float, step: float = 0.25) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if done():
            return True
        time.sleep(step)
    return done()


@dataclass
class Fleet:
    """N worker processes and one scheduler; kill and restart at will."""

    env: dict[str, str]
    size: int
    #: Threads per worker process (``belegsync worker --threads``).
    threads: int = 1
    workers: list[subprocess.Popen[bytes]] = field(default_factory=list)
    scheduler: subprocess.Popen[bytes] | None = None
    kills: int = 0

    def start(self) -> Fleet:
        self.workers = [self._worker() for _ in range(self.size)]
        self.scheduler = belegsync("scheduler", "--interval", "0.5", env=self.env)
        return self

    def _worker(self) -> subprocess.Popen[bytes]:
        return belegsync(
            "worker", "--interval", "0.1", "--threads", str(self.threads), env=self.env
        )

    def kill_one(self, rng: random.Random) -> None:
        index = rng.randrange(len(self.workers))
        self.workers[index].send_signal(signal.SIGKILL)
        self.workers[index].wait()
        self.kills += 1
        self.workers[index] = self._worker()

    def stop(self) -> None:
        processes = [*self.workers, *([self.scheduler] if self.scheduler else [])]
        for process in processes:
            if process.poll() is None:
                process.send_signal(signal.SIGTERM)
        for process in processes:
            try:
                process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()


def every_connection_due_often(connections: Iterable[Connection], seconds: int = 1) -> None:
    """Interval below the product's minute: the proofs must not wait for the clock."""
    Connection.objects.filter(pk__in=[c.pk for c in connections]).update(
        sync_interval=seconds, next_sync_at=None
    )


def all_done(connections: list[Connection], total: int) -> Callable[[], bool]:
    def check() -> bool:
        return (
            Document.objects.filter(connection__in=connections, state=State.DONE).count() == total
        )

    return check
