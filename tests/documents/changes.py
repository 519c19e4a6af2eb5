"""Random changes of documents, for the tests that hold what the database keeps (day
counts, gross per rate, number blocks) to a recount after every single change:
``test_day_counts.py`` and ``test_month_report_kept.py``.

Each test draws its operations (hypothesis) and applies its own imports and writes;
moving, updating in bulk and deleting are alike for both and live here, and so does the
run: two connections, a check after every change, everything rolled back after each
example.
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Callable, Sequence
from typing import Any

from django.db import IntegrityError, transaction
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st

from belegsync.documents.models import Connection, Document
from belegsync.documents.states import IllegalTransition, transition

CASES = int(os.environ.get("BELEGSYNC_FUZZ_CASES", "8"))
#: Each example runs on the fixtures' rows alone (its changes rolled back), and the
#: same examples every run.
FUZZ = settings(
    max_examples=CASES,
    deadline=None,
    derandomize=True,
    database=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
#: ("delete", which document)
DELETE = st.tuples(st.just("delete"), st.integers(0, 10_000))

Operation = tuple[Any, ...]
#: Applies one operation to the connection it is given; the serial number is unique in a run.
Apply = Callable[[Operation, Connection, int], None]
#: Asserts after a change: (step, operation, the two connections).
Check = Callable[[int, Operation, Sequence[Connection]], None]


def pick(index: int) -> Document | None:
    documents = list(Document.objects.order_by("id"))
    return documents[index % len(documents)] if documents else None


def move(index: int, action: str, **updates: Any) -> None:
    """A transition of one document; a move its state does not allow changes nothing."""
    document = pick(index)
    if document is not None:
        with contextlib.suppress(IllegalTransition):
            transition(document, action, actor="test", **updates)


def bulk_update(index: int, column: str, value: Any) -> None:
    """One ``UPDATE`` of every third document (a raw bulk change, no transition); one the
    database refuses (a kind changed meets the same number of the other kind) moves none."""
    ids = list(Document.objects.order_by("id").values_list("id", flat=True))
    chosen = ids[index % 3 :: 3] if ids else []
    with contextlib.suppress(IntegrityError), transaction.atomic():
        Document.objects.filter(id__in=chosen).update(**{column: value})


def delete(index: int) -> None:
    document = pick(index)
    if document is not None:
        document.delete()


def after_every_change(
    org: Any, connection: Connection, operations: Sequence[Operation], apply: Apply, check: Check
) -> None:
    """Apply the operations in turn to ``connection`` and a second connection of ``org``
    (alternately) and ``check`` after each; all of it is rolled back at the end."""
    with transaction.atomic():
        second = Connection.objects.create(
            organisation=org, name="second", source_kind="memory", target_kind="memory"
        )
        connections = [connection, second]
        for step, op in enumerate(operations):
            apply(op, connections[(step + 1) % 2], step + 1)
            check(step, op, connections)
        transaction.set_rollback(True)
