"""Document list latency at N documents (default 100,000), on a fresh SQLite database.

    .venv/bin/python bench/bench_document_list.py [--documents 100000] [--requests 50]

Creates the documents in bulk, logs in with Django's test client and times the
list pages a merchant uses: first page of each state, a deep keyset page, a
search by number (a prefix in one state, a part of it in all states), a date
filter, and the dashboard. Reports p50/p95 in ms and as a ratio to the
p50 of /healthz (one trivial query) measured in the same run.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))


def setup(data_dir: str) -> None:
    os.environ["BELEGSYNC_DATA_DIR"] = data_dir
    os.environ["DJANGO_SETTINGS_MODULE"] = "belegsync.settings"
    os.environ.setdefault("BELEGSYNC_ALLOWED_HOSTS", "testserver,localhost")
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", interactive=False, verbosity=0)


def populate(count: int) -> int:
    import datetime as dt

    from django.contrib.auth import get_user_model
    from django.db import transaction

    from belegsync.bookkeeping import voucher_to_dict
    from belegsync.documents.models import Connection, Document, Membership, Organisation
    from belegsync.fakes.demo_data import sample_vouchers

    org = Organisation.objects.create(name="Bench", slug="bench")
    user = get_user_model().objects.create_user("bench", password="bench-password")
    Membership.objects.create(user=user, organisation=org)
    connection = Connection.objects.create(
        organisation=org, name="bench", source_kind="memory", target_kind="memory"
    )
    template = voucher_to_dict(sample_vouchers()[1])
    states = ["done"] * 7 + ["waiting", "failed", "manual"]
    start = dt.date(2024, 1, 1)
    batch = []
    with transaction.atomic():
        for i in range(count):
            state = states[i % len(states)]
            batch.append(
                Document(
                    connection=connection,
                    source_number=f"RE-{i:07d}",
                    invoice_date=start + dt.timedelta(days=i % 1000),
                    total_net="37.77",
                    total_gross="44.95",
                    voucher={**template, "number": f"RE-{i:07d}"},
                    state=state,
                    failure_reason="rejected" if state == "failed" else "",
                    failure_details=[{"code": "category.rejected", "params": {}}]
                    if state == "failed"
                    else None,
                )
            )
            if len(batch) == 5000:
                Document.objects.bulk_create(batch)
                batch = []
        Document.objects.bulk_create(batch)
    return int(Document.objects.order_by("id").values_list("id", flat=True)[count // 2])


def timed(client, url: str, n: int) -> list[float]:
    samples = []
    for _ in range(n):
        started = time.perf_counter()
        response = client.get(url)
        samples.append((time.perf_counter() - started) * 1000)
        assert response.status_code == 200, (url, response.status_code)
    return samples


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--documents", type=int, default=100_000)
    parser.add_argument("--requests", type=int, default=50)
    args = parser.parse_args()
    setup(tempfile.mkdtemp(prefix="belegsync-bench-"))
    started = time.perf_counter()
    middle = populate(args.documents)
    print(f"created {args.documents} documents in {time.perf_counter() - started:.1f}s")

    from django.test import Client

    client = Client()
    assert client.login(username="bench", password="bench-password")
    base = statistics.median(timed(client, "/healthz", args.requests))
    pages = {
        "waiting, first page": "/documents/?state=waiting",
        "done, first page": "/documents/?state=done",
        "failed, first page": "/documents/?state=failed",
        "done, deep keyset page": f"/documents/?state=done&after={middle}",
        "search by number": "/documents/?state=done&number=RE-00500",
        "search part of a number": "/documents/?number=0050",
        "date filter": "/documents/?state=done&from=2025-06-01&to=2025-06-30",
        "dashboard": "/",
    }
    print(f"baseline /healthz p50 {base:.2f} ms")
    print(f"{'page':28} {'p50 ms':>8} {'p95 ms':>8} {'p50/base':>9}")
    for name, url in pages.items():
        samples = sorted(timed(client, url, args.requests))
        p50 = statistics.median(samples)
        p95 = samples[int(len(samples) * 0.95) - 1]
        print(f"{name:28} {p50:8.1f} {p95:8.1f} {p50 / base:9.1f}")


if __name__ == "__main__":
    main()
