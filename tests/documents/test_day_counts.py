"""The day counts the dashboard's chart and the month report read are kept by the
database: after every change of a document — an import, a transition, a bulk update of
state, date, currency or amount, a deletion — they equal a recount of the documents, the
gross to the cent (credit notes negative), per currency."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from belegsync.bookkeeping import VoucherKind
from belegsync.connectors.base import SourceDocument
from belegsync.documents.models import Connection, Document, DocumentDayCount
from belegsync.documents.states import MOVES
from belegsync.sync.ingest import store_all
from tests.conftest import make_voucher
from tests.documents import changes

pytestmark = pytest.mark.django_db

DAYS = [dt.date(2026, 10, 30), dt.date(2026, 10, 31), dt.date(2026, 11, 1), None]
CURRENCIES = ["EUR", "CHF"]
AMOUNTS = [Decimal("44.95"), Decimal("0.01"), Decimal("1234567.89"), Decimal("19.99")]
REASONS = ("validation", "rejected", "unavailable")

Key = tuple[int, dt.date, str, str]


def recount() -> dict[Key, tuple[int, Decimal]]:
    """The documents counted and summed in Python, in exact decimals."""
    kept: dict[Key, tuple[int, Decimal]] = {}
    for d in Document.objects.exclude(invoice_date=None):
        key = (d.connection_id, d.invoice_date, d.state, d.currency)
        n, gross = kept.get(key, (0, Decimal(0)))
        sign = -1 if d.kind == "credit_note" else 1
        kept[key] = (n + 1, gross + sign * Decimal(d.total_gross))
    return kept


def kept() -> dict[Key, tuple[int, Decimal]]:
    rows = DocumentDayCount.objects.all()
    assert not rows.filter(n__lt=0).exists()
    assert not rows.filter(n=0).exclude(gross_cents=0).exists(), "a gross without documents"
    return {(r.connection_id, r.day, r.state, r.currency): (r.n, r.gross) for r in rows if r.n}


operation = st.one_of(
    st.tuples(
        st.just("import"),
        st.integers(1, 30),
        st.sampled_from(DAYS[:3]),
        st.sampled_from(["invoice", "credit_note"]),
    ),
    st.tuples(
        st.just("create"),
        st.sampled_from(DAYS),
        st.sampled_from(CURRENCIES),
        st.sampled_from(AMOUNTS),
        st.sampled_from(["invoice", "credit_note"]),
    ),
    st.tuples(
        st.just("move"),
        st.integers(0, 10_000),
        st.sampled_from(sorted(MOVES)),
        st.sampled_from(REASONS),
    ),
    st.tuples(
        st.just("bulk"),
        st.integers(0, 10_000),
        st.sampled_from(["state", "invoice_date", "currency", "total_gross", "kind"]),
    ),
    changes.DELETE,
)


def apply(op: tuple, connection: Connection, serial: int) -> None:
    kind, *args = op
    if kind == "import":
        number, day, voucher_kind = args
        prefix = "GS" if voucher_kind == "credit_note" else "RE"
        voucher = make_voucher(
            f"{prefix}-{number}", invoice_date=day, kind=VoucherKind(voucher_kind)
        )
        store_all(connection, [SourceDocument(voucher, source_id=f"{prefix}-{number}")])
    elif kind == "create":
        day, currency, amount, voucher_kind = args
        Document.objects.create(
            connection=connection,
            source_number=f"X-{serial}",
            kind=voucher_kind,
            invoice_date=day,
            currency=currency,
            total_gross=amount,
        )
    elif kind == "move":
        index, action, reason = args
        changes.move(index, action, **({"failure_reason": reason} if action == "fail" else {}))
    elif kind == "bulk":
        index, column = args
        value = {
            "state": "failed",
            "invoice_date": DAYS[index % len(DAYS)],
            "currency": CURRENCIES[index % 2],
            "total_gross": AMOUNTS[index % len(AMOUNTS)],
            "kind": ["invoice", "credit_note"][index % 2],
        }[column]
        changes.bulk_update(index, column, value)
    else:
        changes.delete(args[0])


@changes.FUZZ
@given(operations=st.lists(operation, min_size=5, max_size=25))
def test_the_day_counts_equal_a_recount_after_every_change(connection, org, operations):
    """GIVEN two connections WHEN documents of two currencies, invoices and credit notes,
    some without a date, are imported, created, moved through random transitions, updated
    in bulk and deleted THEN after every single change the day counts and their gross in
    cents equal an exact recount of the documents."""

    def check(step, op, connections):
        assert kept() == recount(), f"after step {step} {op}"

    changes.after_every_change(org, connection, operations, apply, check)


def test_a_credit_note_counts_negative_and_currencies_stay_apart(connection) -> None:
    day = dt.date(2026, 11, 2)
    for number, kind, currency, gross in [
        ("RE-1", "invoice", "EUR", "44.95"),
        ("RE-2", "invoice", "EUR", "0.10"),
        ("GS-1", "credit_note", "EUR", "10.05"),
        ("RE-3", "invoice", "CHF", "71.90"),
    ]:
        Document.objects.create(
            connection=connection,
            source_number=number,
            kind=kind,
            invoice_date=day,
            currency=currency,
            total_gross=Decimal(gross),
        )
    rows = {r.currency: (r.n, r.gross_cents) for r in DocumentDayCount.objects.all()}
    assert rows == {"EUR": (3, 3500), "CHF": (1, 7190)}
