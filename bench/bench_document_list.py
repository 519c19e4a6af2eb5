"""Document list latency at two sizes (default 10,000 and 100,000 documents).

    .venv/bin/python bench/bench_document_list.py [--documents 10000 100000] [--requests 50]

On a fresh SQLite database (or DATABASE_URL), with Django's test client signed in:
the list pages a merchant uses (``lists.list_queries``: first page of each state, a
deep keyset page, a shop, a month, a state and all three, search by number — a prefix
in one state, a whole number, a part of one in all states and in one), the dashboard
and the month report (the page, and as the CLI and API compute it), at the first
size, then with documents added up to the second. Reports p50/p95 in ms, the p50 as a
ratio to the p50 of /healthz (one trivial query) measured at the same size, the p50 of
the CPU time a request takes in this process, and the growth of that CPU p50 from the
first size to the last.
Targets (issue #15): lists <= 30 ms p95 and flat; dashboard, month report and search by
number p95 < 100 ms at 1,000,000 documents.
"""

from __future__ import annotations

import argparse
import datetime as dt
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench import lists


def pages(middle: int, connection_id: int) -> dict[str, str]:
    return {
        **{
            name: f"/documents/{query}"
            for name, query in lists.list_queries(middle, connection_id).items()
        },
        "dashboard": "/",
        # a month of the middle of the 1,000 days: 3 % of the documents
        "month report": "/reports/month/?month=2025-06",
    }


def month_report_cli(shop: lists.Shop) -> Callable[[str], Any]:
    """The month report as ``belegsync report`` and the API compute it (no page)."""
    from belegsync.documents.report import month_report

    class Answer:
        status_code = 200

    def get(_url: str) -> Any:
        month_report(shop.organisation, dt.date(2025, 6, 1))
        return Answer()

    return get


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--documents", type=int, nargs="+", default=[10_000, 100_000])
    parser.add_argument("--requests", type=int, default=50)
    args = parser.parse_args()
    lists.setup(tempfile.mkdtemp(prefix="belegsync-bench-"))
    shop = lists.shop()
    first: dict[str, float] = {}
    for size in sorted(args.documents):
        started = time.perf_counter()
        middle = lists.populate(shop.connection, size)
        print(f"\n{size:,} documents (filled in {time.perf_counter() - started:.1f} s)")
        client = lists.signed_in(shop.user)
        base = lists.timed(client.get, "/healthz", args.requests).p50
        print(f"baseline /healthz p50 {base:.2f} ms")
        print(
            f"{'page':30} {'p50 ms':>8} {'p95 ms':>8} {'p50/base':>9} {'CPU p50':>8} {'growth':>7}"
        )
        for name, url in pages(middle, shop.connection.pk).items():
            timing = lists.timed(client.get, url, args.requests)
            first.setdefault(name, timing.cpu_p50)
            growth = timing.cpu_p50 / first[name]
            print(
                f"{name:30} {timing.p50:8.1f} {timing.p95:8.1f} {timing.p50 / base:9.1f} "
                f"{timing.cpu_p50:8.1f} {growth:6.2f}x"
            )
        timing = lists.timed(month_report_cli(shop), "", args.requests)
        name = "month report (CLI, API)"
        first.setdefault(name, timing.cpu_p50)
        print(
            f"{name:30} {timing.p50:8.1f} {timing.p95:8.1f} {timing.p50 / base:9.1f} "
            f"{timing.cpu_p50:8.1f} {timing.cpu_p50 / first[name]:6.2f}x"
        )


if __name__ == "__main__":
    main()
