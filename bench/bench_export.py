"""Time and peak memory of a DATEV export of N documents, against a bare iteration.

    .venv/bin/python bench/bench_export.py --documents 100000

Runs on a temporary data directory (SQLite), migrates, bulk-creates N documents
(two lines each, 19 %), then measures in this order, each in a fresh child process
so their peak RSS does not mix:

1. baseline: iterate the same queryset with ``.iterator(chunk_size=2000)`` and
   parse each voucher — what any export must at least do (the median of three runs);
2. export: ``run_export`` to DATEV with "tag them" (file, validation, job rows, tags).

Times are wall-clock and the child's CPU time (``process_time``; the ratio of CPU
times is steadier on a shared machine). Peak RSS is the child's ``ru_maxrss``.
Streaming means the export's peak stays near the baseline's, not growing with N.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def setup_django(data_dir: str) -> None:
    os.environ["BELEGSYNC_DATA_DIR"] = data_dir
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "belegsync.settings")
    os.environ.setdefault("BELEGSYNC_TASK_BACKEND", "immediate")
    sys.path.insert(0, str(ROOT))
    import django

    django.setup()


def populate(count: int) -> None:
    import datetime as dt
    from decimal import Decimal

    from django.core.management import call_command

    from belegsync.bookkeeping import (
        Line,
        LineCategory,
        Party,
        Voucher,
        VoucherKind,
        voucher_to_dict,
    )
    from belegsync.documents.models import Connection, Document, Organisation
    from belegsync.exports.models import ExporterSettings

    call_command("migrate", verbosity=0)
    org = Organisation.objects.create(name="Bench", slug="bench")
    ExporterSettings.objects.create(
        organisation=org,
        exporter="datev",
        settings={},
    )
    org.datev_consultant_number, org.datev_client_number = 4711, 1001
    org.save()
    connection = Connection.objects.create(
        organisation=org, name="bench", source_kind="memory", target_kind="memory"
    )
    batch = []
    start = dt.date(2026, 1, 1)
    for i in range(count):
        day = start + dt.timedelta(days=i % 365)
        voucher = Voucher(
            kind=VoucherKind.INVOICE,
            number=f"RE-{i:07d}" if i % 10 else f"Shop 1.RE {i}",  # every 10th needs mapping
            invoice_date=day,
            lines=(
                Line("T-Shirt", Decimal(2), Decimal("33.61"), Decimal("40.00"), Decimal(19)),
                Line(
                    "Versand",
                    Decimal(1),
                    Decimal("4.16"),
                    Decimal("4.95"),
                    Decimal(19),
                    LineCategory.SHIPPING,
                ),
            ),
            total_net=Decimal("37.77"),
            total_gross=Decimal("44.95"),
            party=Party(name=f"Kunde {i}", city="Berlin", country="DE"),
            order_number=str(500000 + i),
        )
        batch.append(
            Document(
                connection=connection,
                source_number=voucher.number,
                kind=voucher.kind.value,
                invoice_date=voucher.invoice_date,
                total_net=voucher.total_net,
                total_gross=voucher.total_gross,
                voucher=voucher_to_dict(voucher),
                state="done",
            )
        )
        if len(batch) >= 5000:
            Document.objects.bulk_create(batch)
            batch.clear()
    Document.objects.bulk_create(batch)


def measure(mode: str) -> dict[str, object]:
    from belegsync.documents.models import Document, Organisation
    from belegsync.exports.service import run_export

    started, cpu = time.perf_counter(), time.process_time()
    result: dict[str, object] = {"mode": mode}
    if mode == "baseline":
        count = 0
        qs = Document.objects.order_by("invoice_date", "id").only(
            "id", "source_number", "kind", "voucher"
        )
        for document in qs.iterator(chunk_size=2000):
            document.as_voucher()
            count += 1
        result["documents"] = count
    else:
        job = run_export(
            organisation=Organisation.objects.get(slug="bench"),
            documents=Document.objects.all(),
            fmt="datev",
            option="tag",
        )
        assert job.state == "done", job.error
        result.update(
            documents=job.exported_count,
            left_out=job.left_out_count,
            file=job.file_name,
            file_bytes=job.file_size,
            mapped_numbers=job.summary.get("number_map_count"),
        )
    result["seconds"] = round(time.perf_counter() - started, 2)
    result["cpu_seconds"] = round(time.process_time() - cpu, 2)
    result["peak_rss_mb"] = round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1)
    return result


def child(mode: str, data_dir: str) -> dict[str, object]:
    output = subprocess.run(
        [sys.executable, __file__, "--child", mode, "--data-dir", data_dir],
        check=True,
        capture_output=True,
        text=True,
    ).stdout
    return json.loads(output.strip().splitlines()[-1])  # type: ignore[no-any-return]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--documents", type=int, default=10_000)
    parser.add_argument("--child", choices=["populate", "baseline", "export"])
    parser.add_argument("--data-dir")
    args = parser.parse_args()
    if args.child:
        setup_django(args.data_dir)
        if args.child == "populate":
            populate(args.documents)
            print(json.dumps({"mode": "populate"}))
        else:
            print(json.dumps(measure(args.child)))
        return
    with tempfile.TemporaryDirectory(prefix="belegsync-bench-") as data_dir:
        started = time.perf_counter()
        subprocess.run(
            [
                sys.executable,
                __file__,
                "--child",
                "populate",
                "--data-dir",
                data_dir,
                "--documents",
                str(args.documents),
            ],
            check=True,
        )
        print(f"populated {args.documents} documents in {time.perf_counter() - started:.1f} s")
        # the bare loop is short and the machine shared: its median of three
        runs = [child("baseline", data_dir) for _ in range(3)]
        baseline = {
            **runs[0],
            **{
                key: statistics.median(float(str(run[key])) for run in runs)
                for key in ("seconds", "cpu_seconds", "peak_rss_mb")
            },
        }
        export = child("export", data_dir)
    for row in (baseline, export):
        print(json.dumps(row))
    print(
        f"DATEV export of {export['documents']} documents: {export['seconds']} s, "
        f"peak RSS {export['peak_rss_mb']} MB "
        f"(bare iteration: {baseline['seconds']} s, {baseline['peak_rss_mb']} MB); "
        f"ratio time {float(export['seconds']) / max(float(baseline['seconds']), 0.01):.1f}x "
        f"(CPU {float(export['cpu_seconds']) / max(float(baseline['cpu_seconds']), 0.01):.1f}x), "
        f"peak RSS {float(export['peak_rss_mb']) / float(baseline['peak_rss_mb']):.2f}x"
    )


if __name__ == "__main__":
    main()
