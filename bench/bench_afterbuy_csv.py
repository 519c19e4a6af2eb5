"""Benchmark: import a generated Rechnungsliste, against a bare ``csv.reader`` pass.

    .venv/bin/python bench/bench_afterbuy_csv.py --rows 10000 100000
    .venv/bin/python bench/bench_afterbuy_csv.py --rows 10000 100000 \
        --postgres postgres://postgres@127.0.0.1:5432/postgres

Runs on a fresh database (SQLite in a temporary data dir; with ``--postgres`` a new
database on that server, dropped afterwards), so it touches no real data. For each
size, on a connection of its own: the same file read by a bare ``csv.reader`` (the
median of three passes), the import through the import job (both passes), and the
same file again (nothing changes). Reports the import's speed as a share of the bare
read's, in wall-clock time and in this process's CPU time (on PostgreSQL the
server's work is in the wall-clock figure only; its backend's CPU time is shown
when the server runs on this machine), how long this process waited for a core
(``/proc/self/schedstat``: on a shared machine the gap between wall and CPU
time), and the peak RSS of this process. A large file is read in a second process
while this one stores (``sync.imports.READ_ASIDE_FROM``): its CPU time is shown
beside this process's and added in the "both processes" ratio (a second process
raises the wall-clock ratio, not the CPU one), and its peak RSS beside this one's.
The file is written by a child process, so the generator's memory is not in the
peak. It dates 1,000 invoices a day from 2024-01-01 (the generator's default of about
20 a day passes today after some 21,000), so every invoice of a file of up to a
million is valid and new: the bench asserts it.
Targets (issue #15): >= 2.5 % of the bare read at 100k and 1M invoices, peak RSS
< 150 MB at 1M.
"""

from __future__ import annotations

import argparse
import csv
import logging
import os
import resource
import statistics
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench import databases  # noqa: E402

#: Invoices a day in the generated file: a million end in September 2026, in the past.
PER_DAY = 1000


def peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # kB on Linux


def timed(work: Any) -> tuple[float, float, Any]:
    """(wall seconds, CPU seconds of this process, result)"""
    wall, cpu = time.perf_counter(), time.process_time()
    result = work()
    return time.perf_counter() - wall, time.process_time() - cpu, result


def children_cpu() -> float:
    """CPU seconds of this process's children that have ended (the import's reading process)."""
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


class ReaderUsage(logging.Handler):
    """The import's reading process reports its peak RSS in a log record (its CPU time
    is in the children's usage once it has ended)."""

    def __init__(self) -> None:
        super().__init__(logging.INFO)
        self.peak_kb = 0

    def emit(self, record: logging.LogRecord) -> None:
        self.peak_kb = max(self.peak_kb, getattr(record, "reader_peak_rss_kb", 0))


def waited_for_a_core() -> float:
    """Seconds this process has spent runnable but waiting for a CPU (Linux)."""
    try:
        return int(Path("/proc/self/schedstat").read_text().split()[1]) / 1e9
    except (OSError, IndexError, ValueError):
        return 0.0


def server_cpu() -> float | None:
    """CPU seconds of this connection's PostgreSQL backend, when it runs on this machine."""
    from django.db import connection

    if connection.vendor != "postgresql":
        return None
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_backend_pid()")
        pid = cursor.fetchone()[0]
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return None
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")  # utime + stime


def generate_file(path: Path, size: int, layout: str) -> None:
    subprocess.run(
        [
            sys.executable,
            "-m",
            "tests.sources.afterbuy.generator",
            str(path),
            "--invoices",
            str(size),
            "--layout",
            layout,
            "--seed",
            "42",
            "--per-day",
            str(PER_DAY),
        ],
        check=True,
        cwd=ROOT,
    )


def bare_read(path: Path) -> int:
    with path.open(encoding="utf-8", newline="") as handle:
        return sum(1 for _ in csv.reader(handle, delimiter=";")) - 1


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rows", type=int, nargs="+", default=[10000], help="invoices per file")
    parser.add_argument("--layout", choices=("summary", "items"), default="summary")
    parser.add_argument("--postgres", help="a PostgreSQL server URL to make the database on")
    args = parser.parse_args()

    drop = databases.use(args.postgres, prefix="import")
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "belegsync.settings")
    os.environ["BELEGSYNC_TASK_BACKEND"] = "immediate"
    import django

    django.setup()
    try:
        run_all(args)
    finally:
        drop()


def run_all(args: argparse.Namespace) -> None:
    from django.core.management import call_command

    from belegsync.documents.models import Organisation

    call_command("migrate", verbosity=0)
    print(f"database: {databases.describe()}; layout: {args.layout}")
    org = Organisation.objects.create(name="Bench", slug="bench")
    for size in args.rows:
        run_size(org, size, args.layout)


def run_size(org: Any, size: int, layout: str) -> None:
    from belegsync.documents.models import Connection, Document
    from belegsync.services import Actor
    from belegsync.services import imports as services

    path = Path(os.environ["BELEGSYNC_DATA_DIR"]) / f"rechnungsliste-{size}.csv"
    generate_file(path, size, layout)
    size_mb = path.stat().st_size / 1e6
    bare = [timed(lambda: bare_read(path)) for _ in range(3)]
    bare_wall = statistics.median(b[0] for b in bare)
    bare_cpu = statistics.median(b[1] for b in bare)
    rows = bare[0][2]

    connection = Connection.objects.create(
        organisation=org, name=f"bench {size}", source_kind="afterbuy_csv", target_kind="memory"
    )
    actor = Actor.system("bench")

    def run() -> Any:
        return services.import_now(actor, services.start_import_from_path(actor, connection, path))

    reader = ReaderUsage()
    logging.getLogger("belegsync.sync.imports").addHandler(reader)
    logging.getLogger("belegsync.sync.imports").setLevel(logging.INFO)
    waited, server, children = waited_for_a_core(), server_cpu(), children_cpu()
    wall, cpu, record = timed(run)
    waited = waited_for_a_core() - waited
    aside = children_cpu() - children
    if server is not None:
        server = (server_cpu() or server) - server
    assert record.state == "done", record.file_error
    created = Document.objects.filter(connection=connection).count()
    # every generated invoice is valid and dated in the past: all of them are new
    assert record.count("created") == size == created, (record.counts, size, created)
    again_wall, _, again = timed(run)

    print(f"\n{size:,} invoices, {rows:,} rows, {size_mb:.1f} MB")
    print(
        f"  bare csv.reader: {rows / bare_wall:,.0f} rows/s "
        f"({bare_wall:.3f} s, CPU {bare_cpu:.3f} s)"
    )
    print(
        f"  import:          {rows / wall:,.0f} rows/s ({wall:.2f} s, CPU {cpu:.2f} s here "
        f"+ {aside:.2f} s reading process = {cpu + aside:.2f} s), "
        f"{record.count('created')} new, {record.count('failed')} failed"
    )
    server_part = f", PostgreSQL backend CPU {server:.2f} s" if server is not None else ""
    print(f"  waited for a core: {waited:.2f} s{server_part}")
    print(
        f"  ratio:           {bare_wall / wall:.2%} of the bare read (wall), "
        f"{bare_cpu / cpu:.2%} (CPU of this process), "
        f"{bare_cpu / (cpu + aside):.2%} (CPU of both processes); target >= 2.5 %"
    )
    print(
        f"  same file again: {rows / again_wall:,.0f} rows/s ({again_wall:.2f} s), "
        f"{again.count('unchanged')} unchanged"
    )
    print(
        f"  peak RSS:        {peak_rss_mb():.0f} MB, "
        f"reading process {reader.peak_kb / 1024:.0f} MB (target < 150 MB at 1M)"
    )


if __name__ == "__main__":
    main()
