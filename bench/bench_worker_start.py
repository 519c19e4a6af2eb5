"""How soon a freshly started worker runs a queued sync, against the bare start of the CLI.

    .venv/bin/python bench/bench_worker_start.py [--runs 3] [--threads 1]

A connection with one waiting document and its sync task queued (database task
backend, fresh SQLite in a temporary directory); then ``belegsync worker`` is
started and two times are taken from spawning it: until it has claimed the task
(ready to claim: what it did before its first claim) and until the document is
transferred. The baseline, in the same run, is spawning ``belegsync shell -c pass``
(Python, Django set-up, a command) until it exits: what any command costs.

The children run with bytecode caching on, as an installed package does, whatever
``PYTHONDONTWRITEBYTECODE`` says here; one warm-up start of each comes first.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
DATA = tempfile.mkdtemp(prefix="belegsync-bench-")
os.environ["BELEGSYNC_DATA_DIR"] = DATA
os.environ["DJANGO_SETTINGS_MODULE"] = "belegsync.settings"
os.environ["BELEGSYNC_TASK_BACKEND"] = "database"

import django  # noqa: E402

django.setup()

from django.conf import settings  # noqa: E402
from django.core.management import call_command  # noqa: E402
from django_tasks_db.models import DBTaskResult  # noqa: E402

from belegsync.connectors.base import SourceDocument  # noqa: E402
from belegsync.documents.models import Connection, Document, Organisation  # noqa: E402
from belegsync.sync.ingest import store_all  # noqa: E402
from belegsync.sync.tasks import sync_connection  # noqa: E402
from tests.conftest import make_voucher  # noqa: E402


def child_env() -> dict[str, str]:
    env = dict(os.environ)
    env.pop("DJANGO_SETTINGS_MODULE", None)
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    env.update(
        BELEGSYNC_SECRET_KEY=settings.SECRET_KEY,
        BELEGSYNC_FERNET_KEYS=",".join(settings.FERNET_KEYS),
        PYTHONPATH=str(ROOT),
    )
    return env


def spawn(*args: str) -> subprocess.Popen[bytes]:
    return subprocess.Popen(
        [sys.executable, "-m", "belegsync.cli", *args],
        cwd=ROOT,
        env=child_env(),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )


def bare_start() -> float:
    started = time.perf_counter()
    spawn("shell", "-c", "pass").wait()
    return time.perf_counter() - started


def worker_start(document: Document, threads: int) -> tuple[float, float]:
    """Seconds from spawning the worker to its claim of the queued task, and to the transfer."""
    Document.objects.filter(pk=document.pk).update(state="waiting", lease_owner="")
    task = sync_connection.enqueue(document.connection_id)
    started = time.perf_counter()
    claimed = 0.0
    worker = spawn("worker", "--threads", str(threads))
    try:
        while Document.objects.filter(pk=document.pk, state="done").count() == 0:
            if not claimed and DBTaskResult.objects.filter(pk=task.id).exclude(status="READY"):
                claimed = time.perf_counter() - started
            if time.perf_counter() - started > 60:
                raise TimeoutError("the worker did not transfer the document within 60 s")
            time.sleep(0.01)
        done = time.perf_counter() - started
        return claimed or done, done
    finally:
        worker.terminate()
        worker.wait(30)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--threads", type=int, default=1)
    args = parser.parse_args()
    call_command("migrate", verbosity=0)
    org = Organisation.objects.create(name="Bench", slug="bench")
    connection = Connection.objects.create(
        organisation=org, name="bench", source_kind="memory", target_kind="memory"
    )
    store_all(connection, [SourceDocument(make_voucher("RE-1"), source_id="1")])
    document = Document.objects.get()
    bare_start(), worker_start(document, args.threads)  # bytecode written, caches warm
    bare = statistics.median(bare_start() for _ in range(args.runs))
    runs = [worker_start(document, args.threads) for _ in range(args.runs)]
    claimed = statistics.median(c for c, _done in runs)
    done = statistics.median(d for _c, d in runs)
    print(
        f"worker ({args.threads} thread(s)) start to its first claim: {claimed:.2f} s, to "
        f"transferred {done:.2f} s (medians of {args.runs}); bare CLI start {bare:.2f} s; "
        f"claim/bare {claimed / bare:.2f}x ({claimed - bare:+.2f} s), "
        f"transferred/bare {done / bare:.2f}x ({done - bare:+.2f} s)"
    )


if __name__ == "__main__":
    main()
