"""Benchmark: import a generated Rechnungsliste into SQLite.

    .venv/bin/python bench/bench_afterbuy_csv.py --rows 10000

Runs in a fresh temporary data dir (migrated SQLite), so it touches no real data.
Reports invoices/s of the import, the same file read by a bare ``csv.reader``
in the same run, their ratio, and the peak RSS of this process. Targets
(issue [afterbuy-csv]): import at >= 25 % of the bare read speed, peak RSS < 150 MB.
"""

from __future__ import annotations

import argparse
import csv
import os
import resource
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


def peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # kB on Linux


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rows", type=int, default=10000, help="invoices in the file")
    parser.add_argument("--layout", choices=("summary", "items"), default="summary")
    args = parser.parse_args()

    data_dir = tempfile.mkdtemp(prefix="belegsync-bench-")
    os.environ["BELEGSYNC_DATA_DIR"] = data_dir
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "belegsync.settings")
    os.environ["BELEGSYNC_TASK_BACKEND"] = "immediate"
    import django

    django.setup()
    from django.core.management import call_command

    from belegsync.documents.models import Connection, Document, Organisation
    from belegsync.services import Actor
    from belegsync.services import imports as services
    from tests.sources.afterbuy.generator import generate

    call_command("migrate", verbosity=0)
    path = Path(data_dir) / "rechnungsliste.csv"
    t0 = time.perf_counter()
    written = generate(path, args.rows, layout=args.layout, seed=42)
    generated = time.perf_counter() - t0
    size_mb = path.stat().st_size / 1e6
    rss_before = peak_rss_mb()

    t0 = time.perf_counter()
    with path.open(encoding="utf-8", newline="") as handle:
        rows = sum(1 for _ in csv.reader(handle, delimiter=";")) - 1
    bare = time.perf_counter() - t0

    org = Organisation.objects.create(name="Bench", slug="bench")
    connection = Connection.objects.create(
        organisation=org, name="bench", source_kind="afterbuy_csv", target_kind="memory"
    )
    actor = Actor.system("bench")

    def run() -> Any:
        return services.import_now(actor, services.start_import_from_path(actor, connection, path))

    t0 = time.perf_counter()
    record = run()
    imported = time.perf_counter() - t0
    assert record.state == "done", record.file_error
    assert record.count("created") == len(written) == Document.objects.count(), record

    t0 = time.perf_counter()
    again = run()
    second = time.perf_counter() - t0

    print(
        f"file:            {len(written)} invoices, {rows} rows, {size_mb:.1f} MB "
        f"(generated in {generated:.1f} s)"
    )
    print(f"bare csv.reader: {rows / bare:,.0f} rows/s ({bare:.2f} s)")
    print(
        f"import:          {rows / imported:,.0f} rows/s ({imported:.2f} s), "
        f"{record.count('created')} new, {record.count('failed')} failed"
    )
    print(f"ratio:           {bare / imported:.1%} of the bare read speed (target >= 25 %)")
    print(
        f"same file again: {rows / second:,.0f} rows/s ({second:.2f} s), "
        f"{again.count('unchanged')} unchanged"
    )
    print(
        f"peak RSS:        {peak_rss_mb():.0f} MB (before the import {rss_before:.0f} MB; "
        "target < 150 MB)"
    )


if __name__ == "__main__":
    main()
