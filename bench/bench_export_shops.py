"""The export page's shop choice at N documents: the DISTINCT over every voucher's shop
it ran before against the kept shops it reads now (``exports.DocumentShop``), and what
keeping them costs a bulk insert (the import's fast path).

    .venv/bin/python bench/bench_export_shops.py --documents 100000 [--postgres URL]

Fills N documents of one connection (bench/lists.py's bulk insert) and prints the fill's
CPU and wall time, names three shops in turn (one UPDATE), then prints the median and
p95 of ``--requests`` runs of each shop query (wall and this process's CPU, ms) and the
rows its scans read (PostgreSQL: EXPLAIN ANALYZE). ``--without-triggers`` drops the shop
triggers first: the fill's time without them (what keeping the shops costs an import),
and the old query alone.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench import databases, lists

SHOPS = ("ebay", "Amazon", "Kasse")


def fill(connection: Any, total: int) -> tuple[float, float]:
    """(CPU s, wall s) of filling ``total`` documents (bench/lists.py's bulk insert)."""
    started, used = time.perf_counter(), time.process_time()
    lists.populate(connection, total)
    return time.process_time() - used, time.perf_counter() - started


def name_shops(connection: Any) -> None:
    """Three shops in turn, by document id (one UPDATE: the triggers keep the counts)."""
    from django.db import connection as db

    from belegsync.documents.models import Document

    table = Document._meta.db_table
    cases = " ".join(f"WHEN {i} THEN '{shop}'" for i, shop in enumerate(SHOPS))
    pick = f"CASE id %% {len(SHOPS)} {cases} END"
    value = (
        f"jsonb_set(voucher, '{{shop}}', to_jsonb({pick}))"
        if db.vendor == "postgresql"
        else f"json_set(voucher, '$.shop', {pick})"
    )
    with db.cursor() as cursor:
        cursor.execute(
            f"UPDATE {table} SET voucher = {value} WHERE connection_id = %s",  # noqa: S608
            [connection.pk],
        )
    lists._settle(table)


def distinct_query(organisation: Any) -> Any:
    """The query the page ran before (exports/views.py up to this change)."""
    from belegsync.documents.models import Document

    return (
        Document.objects.filter(connection__organisation=organisation)
        .exclude(voucher__shop="")
        .exclude(voucher__shop__iexact="gutschrift")
        .values_list("voucher__shop", flat=True)
        .distinct()[:200]
    )


def kept_query(organisation: Any) -> Any:
    from belegsync.documents.models import Connection
    from belegsync.exports.models import DocumentShop

    ids = list(Connection.objects.filter(organisation=organisation).values_list("pk", flat=True))
    return (
        DocumentShop.objects.filter(connection_id__in=ids, n__gt=0)
        .exclude(shop__iexact="gutschrift")
        .order_by("shop")
        .values_list("shop", flat=True)
        .distinct()[:200]
    )


def timed(make: Any, organisation: Any, n: int) -> tuple[float, float, float, list[str]]:
    found = sorted(s for s in make(organisation) if s)
    walls, cpus = [], []
    for _ in range(n):
        started, used = time.perf_counter(), time.process_time()
        list(make(organisation))
        walls.append((time.perf_counter() - started) * 1000)
        cpus.append((time.process_time() - used) * 1000)
    walls.sort()
    cpus.sort()
    return walls[len(walls) // 2], walls[max(0, int(n * 0.95) - 1)], cpus[len(cpus) // 2], found


def rows_read(query: Any) -> str:
    from django.db import connection as db

    if db.vendor != "postgresql":
        return "-"
    sql, params = query.query.sql_with_params()
    with db.cursor() as cursor:
        cursor.execute("EXPLAIN (ANALYZE, FORMAT JSON) " + sql, params)
        plan = cursor.fetchone()[0][0]["Plan"]

    def scans(node: dict[str, Any]) -> int:
        own = node.get("Actual Rows", 0) * node.get("Actual Loops", 1)
        below = sum(scans(child) for child in node.get("Plans", []))
        return (own if "Scan" in node["Node Type"] else 0) + below

    return str(scans(plan))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--documents", type=int, default=100_000)
    parser.add_argument("--requests", type=int, default=20)
    parser.add_argument("--postgres", default=None)
    parser.add_argument(
        "--without-triggers", action="store_true", help="drop the shop triggers before the fill"
    )
    args = parser.parse_args()
    drop = databases.use(args.postgres, prefix="shops")
    try:
        run(args)
    finally:
        drop()


def drop_triggers() -> None:
    from importlib import import_module

    from django.db import connection as db

    migration = import_module("belegsync.exports.migrations.0005_document_shops")
    with db.cursor() as cursor:
        for sql in (
            migration.PG_BACKWARD if db.vendor == "postgresql" else migration.SQLITE_BACKWARD
        ):
            cursor.execute(sql)


def run(args: argparse.Namespace) -> None:
    import os

    lists.setup(os.environ["BELEGSYNC_DATA_DIR"])
    if args.without_triggers:
        drop_triggers()
    kept = "without" if args.without_triggers else "with"
    print(databases.describe(), f"{args.documents:,} documents naming {', '.join(SHOPS)}")
    shop = lists.shop()
    cpu, wall = fill(shop.connection, args.documents)
    print(f"fill {kept} the shop triggers: CPU {cpu:6.1f} s, wall {wall:6.1f} s")
    name_shops(shop.connection)
    queries = [("DISTINCT over vouchers", distinct_query)]
    if not args.without_triggers:
        queries.append(("kept shops", kept_query))
    for label, make in queries:
        p50, p95, cpu_p50, found = timed(make, shop.organisation, args.requests)
        print(
            f"{label:24s} p50 {p50:8.2f} ms  p95 {p95:8.2f} ms  CPU p50 {cpu_p50:8.2f} ms  "
            f"rows read {rows_read(make(shop.organisation))}  {found}"
        )


if __name__ == "__main__":
    main()
