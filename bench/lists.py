"""What the document-list benchmarks share: a fresh database with N documents of one
connection, a signed-in client, and the timing loop with its percentiles.

``populate`` adds documents up to a total, so one run measures two sizes on one
database (10,000, then 90,000 more for 100,000): the pages' cost must not grow.
"""

from __future__ import annotations

import datetime as dt
import os
import statistics
import time
from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

USER, PASSWORD = "bench", "bench-password"
STATES = ["done"] * 7 + ["waiting", "failed", "manual"]
START = dt.date(2024, 1, 1)
#: Every 25th document is a credit note (GS-…), so the invoices' numbers have gaps.
CREDIT_NOTES = 25


#: The month of the date filters: one of the middle of the 1,000 days, 3 % of the documents.
MONTH = "from=2025-06-01&to=2025-06-30"


def list_queries(middle: int, connection_id: int) -> dict[str, str]:
    """The lists a merchant opens, as query strings of ``/documents/`` (the web) and
    ``/api/v1/documents`` (the API): each state's first page, a deep keyset page, the
    filters (a shop, a month, a state, together), search by number (a prefix in one
    state, a whole number, a part of one in all states)."""
    shop = f"connection={connection_id}"
    return {
        "waiting, first page": "?state=waiting",
        "done, first page": "?state=done",
        "failed, first page": "?state=failed",
        "done, deep keyset page": f"?state=done&after={middle}",
        "one shop, done": f"?{shop}&state=done",
        "date filter (month, done)": f"?state=done&{MONTH}",
        "date filter (month, all)": f"?{MONTH}",
        "month, shop, failed": f"?{shop}&state=failed&{MONTH}",
        "search by number (prefix)": "?state=done&number=RE-00500",
        "search whole number": "?number=RE-0050001",
        "search part of a number": "?number=0050",
        "search part, failed": "?state=failed&number=0050",
    }


def setup(data_dir: str, **environment: str) -> None:
    """Django on a fresh SQLite file in ``data_dir`` (or DATABASE_URL), migrated."""
    os.environ["BELEGSYNC_DATA_DIR"] = data_dir
    os.environ["DJANGO_SETTINGS_MODULE"] = "belegsync.settings"
    os.environ.setdefault("BELEGSYNC_ALLOWED_HOSTS", "testserver,localhost")
    os.environ.update(environment)
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", interactive=False, verbosity=0)


@dataclass
class Shop:
    organisation: Any
    user: Any
    connection: Any


def shop() -> Shop:
    """The organisation, its signed-in user (owner) and its one connection."""
    from django.contrib.auth import get_user_model

    from belegsync.documents.models import Connection, Membership, Organisation

    organisation = Organisation.objects.create(name="Bench", slug="bench")
    user = get_user_model().objects.create_user(USER, password=PASSWORD)
    Membership.objects.create(user=user, organisation=organisation)
    connection = Connection.objects.create(
        organisation=organisation, name="bench", source_kind="memory", target_kind="memory"
    )
    return Shop(organisation, user, connection)


def populate(connection: Any, total: int) -> int:
    """Add documents until the connection has ``total`` (states mixed 7:1:1:1, 1,000
    days, every 25th a credit note, half of those naming no original); returns the id
    of the middle one (a deep keyset page)."""
    from django.db import transaction

    from belegsync.bookkeeping import voucher_to_dict
    from belegsync.documents.models import Document
    from belegsync.fakes.demo_data import sample_vouchers
    from belegsync.sync.ingest import insert_rows

    template = voucher_to_dict(sample_vouchers()[1])
    have = Document.objects.filter(connection=connection).count()
    failure = [{"code": "category.rejected", "params": {}}]
    batch: list[dict[str, Any]] = []
    with transaction.atomic():  # the import's fast path (COPY / multi-row INSERT)
        for i in range(have, total):
            state = STATES[i % len(STATES)]
            kind, number, voucher = "invoice", f"RE-{i:07d}", {**template}
            if i % CREDIT_NOTES == CREDIT_NOTES - 1:  # a number sequence of their own
                kind, number = "credit_note", f"GS-{i // CREDIT_NOTES:07d}"
                # every other one names no original: the month report lists them
                original = f"RE-{i - 1:07d}" if i // CREDIT_NOTES % 2 else ""
                voucher = {**template, "kind": kind, "refers_to": original}
            batch.append(
                {
                    "connection_id": connection.pk,
                    "kind": kind,
                    "source_number": number,
                    "invoice_date": START + dt.timedelta(days=i % 1000),
                    "total_net": Decimal("37.77"),
                    "total_gross": Decimal("44.95"),
                    "voucher": {**voucher, "number": number},
                    "state": state,
                    "failure_reason": "rejected" if state == "failed" else "",
                    "failure_details": failure if state == "failed" else None,
                }
            )
            if len(batch) == 5000:
                insert_rows(Document, batch)
                batch = []
        insert_rows(Document, batch)
    _settle(Document._meta.db_table)
    ids = Document.objects.filter(connection=connection).order_by("id")
    return int(ids.values_list("id", flat=True)[total // 2])


def _settle(table: str) -> None:
    """PostgreSQL plans by the table's statistics, which its autovacuum refreshes within
    a minute or so of a large change; a bench that measures at once would time the plan
    of an empty table (a 1,000,000-row number search took 3.4 s unanalysed, 11 ms after).
    So the fill ends as a running installation's table is: analysed. SQLite keeps no
    statistics unless asked, and belegsync never asks, so it is measured as it runs."""
    from django.db import connection as db

    if db.vendor == "postgresql":
        with db.cursor() as cursor:
            cursor.execute(f'ANALYZE "{table}"')


def signed_in(user: Any) -> Any:
    """A test client with ``user``'s session (the login form's lockout wants a request)."""
    from django.test import Client

    client = Client()
    client.force_login(user)
    return client


@dataclass(frozen=True)
class Timing:
    samples: tuple[float, ...]  # ms, sorted
    #: CPU ms of this process per request (the test client serves in-process): steadier
    #: than wall-clock time on a busy machine; SQLite's work is in it.
    cpu: tuple[float, ...]

    @property
    def p50(self) -> float:
        return statistics.median(self.samples)

    @property
    def p95(self) -> float:
        return self.samples[max(0, int(len(self.samples) * 0.95) - 1)]

    @property
    def cpu_p50(self) -> float:
        return statistics.median(self.cpu)


def timed(get: Callable[[str], Any], url: str, n: int) -> Timing:
    """``n`` requests of ``url`` (after one to warm caches), each answered 200."""
    get(url)
    samples, cpu = [], []
    for _ in range(n):
        started, used = time.perf_counter(), time.process_time()
        response = get(url)
        samples.append((time.perf_counter() - started) * 1000)
        cpu.append((time.process_time() - used) * 1000)
        assert response.status_code == 200, (url, response.status_code)
    return Timing(tuple(sorted(samples)), tuple(sorted(cpu)))
