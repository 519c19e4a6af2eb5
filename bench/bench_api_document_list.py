"""The document list through the REST API against the web list, at N documents.

    .venv/bin/python bench/bench_api_document_list.py [--documents 100000] [--requests 50]

Both go through the same list query (documents/listing.py); this measures what
the API adds (token check, request limit, schema, JSON) against the web page
(session, template), in one process on one fresh SQLite database. Reports
p50/p95 in ms of each and the ratio API / web per list. Run it at two sizes:
keyset pages cost the same at 10k and 100k.
"""

from __future__ import annotations

import argparse
import datetime as dt
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
    os.environ.setdefault("BELEGSYNC_API_REQUESTS_PER_MINUTE", "1000000")
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", interactive=False, verbosity=0)


def populate(count: int) -> tuple[str, int]:
    """``count`` documents of one connection; the API token and a middle id."""
    from django.contrib.auth import get_user_model
    from django.db import transaction

    from belegsync.api import tokens
    from belegsync.bookkeeping import voucher_to_dict
    from belegsync.documents.models import Connection, Document, Membership, Organisation
    from belegsync.fakes.demo_data import sample_vouchers
    from belegsync.services import Actor

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
                )
            )
            if len(batch) == 5000:
                Document.objects.bulk_create(batch)
                batch = []
        Document.objects.bulk_create(batch)
    secret = tokens.issue(Actor.of(user), "bench")[1]
    middle = int(Document.objects.order_by("id").values_list("id", flat=True)[count // 2])
    return secret, middle


def timed(get, url: str, n: int) -> list[float]:
    samples = []
    for _ in range(n):
        started = time.perf_counter()
        response = get(url)
        samples.append((time.perf_counter() - started) * 1000)
        assert response.status_code == 200, (url, response.status_code)
    return sorted(samples)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--documents", type=int, default=100_000)
    parser.add_argument("--requests", type=int, default=50)
    args = parser.parse_args()
    setup(tempfile.mkdtemp(prefix="belegsync-bench-"))
    started = time.perf_counter()
    secret, middle = populate(args.documents)
    print(f"created {args.documents} documents in {time.perf_counter() - started:.1f}s")

    from django.test import Client

    web = Client()
    assert web.login(username="bench", password="bench-password")
    api = Client(headers={"Authorization": f"Bearer {secret}"})
    lists = {
        "done, first page": "?state=done",
        "failed, first page": "?state=failed",
        "done, deep keyset page": f"?state=done&after={middle}",
        "search by number": "?state=done&number=RE-00500",
        "date filter": "?state=done&from=2025-06-01&to=2025-06-30",
    }
    print(f"{'list':26} {'web p50':>8} {'web p95':>8} {'api p50':>8} {'api p95':>8} {'api/web':>8}")
    for name, query in lists.items():
        of_web = timed(web.get, f"/documents/{query}", args.requests)
        of_api = timed(api.get, f"/api/v1/documents{query}", args.requests)
        w50, a50 = statistics.median(of_web), statistics.median(of_api)
        w95 = of_web[int(len(of_web) * 0.95) - 1]
        a95 = of_api[int(len(of_api) * 0.95) - 1]
        print(f"{name:26} {w50:8.1f} {w95:8.1f} {a50:8.1f} {a95:8.1f} {a50 / w50:8.2f}")


if __name__ == "__main__":
    main()
