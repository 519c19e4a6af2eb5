"""The document list through the REST API against the web list, at two sizes.

    .venv/bin/python bench/bench_api_document_list.py [--documents 10000 100000] [--requests 50]

Both go through the same list query (documents/listing.py); this measures what
the API adds (token check, request limit, schema, JSON) against the web page
(session, template), in one process on one fresh SQLite database. Reports
p50/p95 in ms of each and the ratio API / web per list, at each size: keyset
pages cost the same at 10k and 100k.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench import lists


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--documents", type=int, nargs="+", default=[10_000, 100_000])
    parser.add_argument("--requests", type=int, default=50)
    args = parser.parse_args()
    lists.setup(
        tempfile.mkdtemp(prefix="belegsync-bench-"),
        BELEGSYNC_API_REQUESTS_PER_MINUTE="1000000",
    )
    from django.test import Client

    from belegsync.api import tokens
    from belegsync.services import Actor

    shop = lists.shop()
    secret = tokens.issue(Actor.of(shop.user), "bench")[1]
    api = Client(headers={"Authorization": f"Bearer {secret}"})
    for size in sorted(args.documents):
        middle = lists.populate(shop.connection, size)
        web = lists.signed_in(shop.user)
        queries = lists.list_queries(middle, shop.connection.pk)
        print(f"\n{size:,} documents")
        print(
            f"{'list':30} {'web p50':>8} {'web p95':>8} {'api p50':>8} {'api p95':>8} "
            f"{'api/web':>8}"
        )
        for name, query in queries.items():
            of_web = lists.timed(web.get, f"/documents/{query}", args.requests)
            of_api = lists.timed(api.get, f"/api/v1/documents{query}", args.requests)
            print(
                f"{name:30} {of_web.p50:8.1f} {of_web.p95:8.1f} {of_api.p50:8.1f} "
                f"{of_api.p95:8.1f} {of_api.p50 / of_web.p50:8.2f}"
            )


if __name__ == "__main__":
    main()
