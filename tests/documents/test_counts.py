"""The counts table the dashboard reads is kept by the database: after every change of
a document — a transition, a bulk import, a bulk update, a deletion — it equals a
recount of the documents."""

from __future__ import annotations

import contextlib
import random
from decimal import Decimal

import pytest
from django.db.models import Count

from belegsync.connectors.base import SourceDocument
from belegsync.documents.models import Connection, Document, DocumentCount
from belegsync.documents.states import MOVES, IllegalTransition, transition
from belegsync.sync.ingest import store_all
from tests.conftest import make_voucher

pytestmark = pytest.mark.django_db

REASONS = ("validation", "rejected", "unavailable")


def recount() -> dict[tuple[int, str, str], int]:
    rows = (
        Document.objects.order_by()
        .values_list("connection_id", "state", "failure_reason")
        .annotate(n=Count("id"))
    )
    return {(c, s, r): n for c, s, r, n in rows}


def kept() -> dict[tuple[int, str, str], int]:
    rows = DocumentCount.objects.filter(n__gt=0)
    assert not DocumentCount.objects.filter(n__lt=0).exists()
    return {(row.connection_id, row.state, row.failure_reason): row.n for row in rows}


def _import(connection: Connection, rng: random.Random, numbers: list[str]) -> None:
    batch = []
    for _ in range(rng.randint(1, 6)):
        number = f"RE-{rng.randint(1, 40)}"
        numbers.append(number)
        gross = Decimal("45.00") if rng.random() < 0.2 else Decimal("44.95")  # some fail
        batch.append(SourceDocument(make_voucher(number, total_gross=gross), source_id=number))
    store_all(connection, batch)


def _move(rng: random.Random) -> None:
    document = Document.objects.order_by("?").first()
    if document is None:
        return
    action = rng.choice(sorted(MOVES))
    updates = {"failure_reason": rng.choice(REASONS)} if action == "fail" else {}
    if action in ("reset", "recheck"):
        updates = {"failure_reason": ""}
    with contextlib.suppress(IllegalTransition):  # a move its state does not allow
        transition(document, action, actor="test", **updates)


def _bulk(rng: random.Random) -> None:
    ids = list(Document.objects.values_list("id", flat=True))
    chosen = rng.sample(ids, k=min(len(ids), rng.randint(1, 5)))
    Document.objects.filter(id__in=chosen).update(
        state="failed", failure_reason=rng.choice(REASONS)
    )


def _delete(rng: random.Random) -> None:
    document = Document.objects.order_by("?").first()
    if document is not None:
        document.delete()


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_the_counts_equal_a_recount_after_every_change(connection, org, seed: int) -> None:
    """GIVEN two connections WHEN documents are imported, moved through random
    transitions, updated in bulk and deleted THEN after every single change the kept
    counts equal a GROUP BY over the documents."""
    other = Connection.objects.create(
        organisation=org, name="second", source_kind="memory", target_kind="memory"
    )
    rng = random.Random(seed)
    numbers: list[str] = []
    for step in range(120):
        operation = rng.choices(["import", "move", "bulk", "delete"], weights=[3, 8, 1, 1])[0]
        if operation == "import":
            _import(rng.choice([connection, other]), rng, numbers)
        elif operation == "move":
            _move(rng)
        elif operation == "bulk":
            _bulk(rng)
        else:
            _delete(rng)
        assert kept() == recount(), f"after step {step} ({operation})"
    assert sum(recount().values()) > 10, "the run made documents"


def test_a_recount_repairs_counts_a_restore_left_wrong(connection) -> None:
    store_all(
        connection, [SourceDocument(make_voucher(f"RE-{n}"), source_id=str(n)) for n in range(3)]
    )
    DocumentCount.objects.update(n=99)
    DocumentCount.recount()
    assert kept() == recount() == {(connection.pk, "waiting", ""): 3}
