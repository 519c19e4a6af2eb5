"""The month report reads rows the database keeps (day counts, gross per rate, number
blocks) and two indexes instead of the month's documents: after every change of a
document — an import, a document written as it is, a transition, a bulk update, a
deletion — each of its figures equals a recount from the documents, as the report
computed them before (every voucher decoded, every number read), to the last digit."""

from __future__ import annotations

import contextlib
import datetime as dt
import re
from decimal import Decimal

import pytest
from django.db import IntegrityError, transaction
from hypothesis import given, settings
from hypothesis import strategies as st

from belegsync.bookkeeping import Line, VoucherKind
from belegsync.connectors.base import SourceDocument
from belegsync.documents.models import (
    Connection,
    Document,
    DocumentNumberBlock,
    DocumentRateGross,
)
from belegsync.documents.report import (
    BOOKED,
    LISTED,
    SKIPPED,
    gross_per_rate,
    gross_per_rate_of,
    month_report,
)
from belegsync.documents.states import MOVES
from belegsync.lib.numbering import gaps
from belegsync.sync.ingest import store_all
from tests.conftest import make_voucher
from tests.documents import changes

pytestmark = pytest.mark.django_db

MONTHS = [dt.date(2026, 10, 1), dt.date(2026, 11, 1)]
DAYS = [dt.date(2026, 10, 31), dt.date(2026, 11, 1), dt.date(2026, 11, 30), None]
MISSING = object()
#: Rates and gross amounts as vouchers store them, and some no writer of belegsync
#: writes (the report must still add them exactly as it did, from the vouchers).
RATES = ["19", "19", "7", "7", "0", "5.5", "19.0", 19, None, "x", MISSING]
GROSS = ["40.00", "40.00", "-3.333333", "4.95", "0", "0.0000001", "1234567890.00", 4.95, "1e2"]
GROSS += [None, MISSING]
NUMBERS = ["RE-1", "RE-2", "RE-4", "RE-07", "RE-9", "GS-1", "GS-3", " RE-3", "RÉ-5", "X", "5"]


def line(rate: object, gross: object) -> dict[str, object]:
    fields = {"description": "x", "quantity": "1", "net": "1.00", "tax_rate": rate, "gross": gross}
    return {k: v for k, v in fields.items() if v is not MISSING}


raw_lines = st.lists(
    st.builds(line, st.sampled_from(RATES), st.sampled_from(GROSS)), max_size=3
) | st.just("not a list")

operation = st.one_of(
    st.tuples(
        st.just("import"),
        st.sampled_from(NUMBERS),
        st.sampled_from(DAYS[:3]),
        st.sampled_from(["invoice", "credit_note"]),
        st.lists(st.sampled_from(["19", "7", "0", "5.5"]), min_size=1, max_size=3),
    ),
    st.tuples(
        st.just("create"),
        st.sampled_from(NUMBERS),
        st.sampled_from(DAYS),
        st.sampled_from(["EUR", "CHF"]),
        st.sampled_from(["invoice", "credit_note"]),
        st.sampled_from(["waiting", "done", "skipped", "failed", "manual"]),
        raw_lines,
        st.sampled_from(["", "", "RE-1", MISSING]),
    ),
    st.tuples(st.just("move"), st.integers(0, 10_000), st.sampled_from(sorted(MOVES))),
    st.tuples(
        st.just("bulk"),
        st.integers(0, 10_000),
        st.sampled_from(["state", "invoice_date", "currency", "kind", "voucher"]),
    ),
    changes.DELETE,
)


def apply(op: tuple, connection: Connection, serial: int) -> None:
    kind, *args = op
    if kind == "import":
        number, day, voucher_kind, rates = args
        lines = tuple(
            Line("x", Decimal(1), Decimal("1.00"), Decimal(f"{i + 1}.25"), Decimal(rate))
            for i, rate in enumerate(rates)
        )
        voucher = make_voucher(
            number, invoice_date=day, kind=VoucherKind(voucher_kind), lines=lines
        )
        store_all(connection, [SourceDocument(voucher, source_id=number)])
    elif kind == "create":
        number, day, currency, voucher_kind, state, lines, refers_to = args
        voucher: dict[str, object] = {"number": number, "lines": lines}
        if refers_to is not MISSING:
            voucher["refers_to"] = refers_to
        with contextlib.suppress(IntegrityError), transaction.atomic():
            Document.objects.create(
                connection=connection,
                source_number=number,
                kind=voucher_kind,
                invoice_date=day,
                currency=currency,
                state=state,
                voucher=voucher,
            )
    elif kind == "move":
        index, action = args
        changes.move(index, action)
    elif kind == "bulk":
        index, column = args
        value = {
            "state": ["skipped", "done", "waiting"][index % 3],
            "invoice_date": DAYS[index % len(DAYS)],
            "currency": ["EUR", "CHF"][index % 2],
            "kind": ["invoice", "credit_note"][index % 2],
            "voucher": {"lines": [line("19", "1.50"), line("7", "-0.125")], "refers_to": ""},
        }[column]
        changes.bulk_update(index, column, value)
    else:
        changes.delete(args[0])


def recounted(organisation, month: dt.date, connection: Connection | None) -> dict:
    """The month's figures as the report computed them from its documents."""
    following = (month + dt.timedelta(days=32)).replace(day=1)
    documents = Document.objects.filter(
        connection__organisation=organisation, invoice_date__gte=month, invoice_date__lt=following
    )
    if connection is not None:
        documents = documents.filter(connection=connection)
    sums: dict[tuple[str, str], tuple[int, Decimal]] = {}
    for d in documents:
        n, gross = sums.get((d.state, d.currency), (0, Decimal(0)))
        sign = -1 if d.kind == "credit_note" else 1
        sums[(d.state, d.currency)] = (n + 1, gross + sign * d.total_gross)
    pending = documents.exclude(state__in=BOOKED).order_by(
        "state", "invoice_date", "source_number", "id"
    )
    found = []
    for kind in ("invoice", "credit_note"):
        of_kind = documents.filter(kind=kind)
        numbers = of_kind.exclude(state__in=SKIPPED).values_list("source_number", flat=True)
        seen = of_kind.filter(state__in=SKIPPED).values_list("source_number", flat=True)
        found += gaps(numbers, also_seen=seen)
    return {
        "sums": sums,
        "outstanding": [
            (
                d.source_number,
                d.kind,
                d.state,
                d.connection.name,
                d.failure_message or d.skip_reason,
            )
            for d in pending.select_related("connection")[:LISTED]
        ],
        "unreferenced": list(
            documents.filter(kind="credit_note", voucher__refers_to="")
            .order_by("invoice_date", "source_number", "id")
            .values_list("source_number", flat=True)[:LISTED]
        ),
        "gaps": found,
        "per_rate": gross_per_rate_of(documents),
    }


def reported(organisation, month: dt.date, connection: Connection | None) -> dict:
    report = month_report(organisation, month, connection)
    return {
        "sums": {(s.state, s.currency): (s.documents, s.gross) for s in report.sums},
        "outstanding": [
            (o.number, o.kind, o.state, o.connection, o.reason) for o in report.outstanding
        ],
        "unreferenced": report.unreferenced,
        "gaps": report.gaps,
        "per_rate": gross_per_rate(organisation, month, connection),
    }


EXACT_RATE = re.compile(r"(0|[1-9][0-9]*)(\.[0-9]*[1-9])?")
EXACT_GROSS = re.compile(r"-?[0-9]{1,8}(\.[0-9]{1,6})?")


def rate_rows_recounted() -> dict:
    """What the triggers keep, recounted: lines a database can add exactly (the rate in
    canonical form, the gross with at most 6 places below 10^8) under their rate, other
    lines with a rate and a gross unsplit."""
    kept: dict[tuple, list] = {}
    for d in Document.objects.exclude(invoice_date=None):
        lines = d.voucher.get("lines")
        for item in lines if isinstance(lines, list) else []:
            if not isinstance(item, dict) or None in (item.get("tax_rate"), item.get("gross")):
                continue
            rate, gross = item["tax_rate"], item["gross"]
            exact = (
                isinstance(rate, str)
                and isinstance(gross, str)
                and EXACT_RATE.fullmatch(rate)
                and EXACT_GROSS.fullmatch(gross)
            )
            row = kept.setdefault(
                (d.connection_id, d.invoice_date, d.currency, rate if exact else ""), [0, 0, 0]
            )
            if exact:
                sign = -1 if d.kind == "credit_note" else 1
                row[0] += 1
                row[1] += sign * int(Decimal(gross).scaleb(6))
            else:
                row[2] += 1
    return {key: tuple(row) for key, row in kept.items() if any(row)}


def rate_rows_kept() -> dict:
    return {
        (r.connection_id, r.day, r.currency, r.rate): (r.lines, r.gross_millionths, r.unsplit)
        for r in DocumentRateGross.objects.all()
        if r.lines or r.gross_millionths or r.unsplit
    }


SPLIT = re.compile(r"([ -~]*?)([0-9]{1,18})")


def number_blocks_recounted() -> dict:
    """The blocks of numbers, recounted: a number of printable ASCII without a leading
    space and with at most 18 trailing digits is a bit in its block, others with digits
    at the end (after strip()) are unsplit."""
    kept: dict[tuple, list] = {}
    for d in Document.objects.exclude(invoice_date=None):
        n, month = d.source_number, d.invoice_date.replace(day=1)
        match = SPLIT.fullmatch(n)
        if match and not n.startswith(" ") and not match.group(1)[-1:].isdigit():
            prefix, digits = match.groups()
            value = int(digits)
            row = kept.setdefault(
                (d.connection_id, d.kind, month, prefix, len(digits), value // 32), [0, 0, 0]
            )
            row[0] += 1 << value % 32
            row[1] += d.state != "skipped"
        elif re.search(r"\d$", n.strip()):
            kept.setdefault((d.connection_id, d.kind, month, "", 0, 0), [0, 0, 0])[2] += 1
    return {key: tuple(row) for key, row in kept.items() if any(row)}


def number_blocks_kept() -> dict:
    return {
        (r.connection_id, r.kind, r.month, r.prefix, r.width, r.block): (
            r.bits,
            r.unskipped,
            r.unsplit,
        )
        for r in DocumentNumberBlock.objects.all()
        if r.bits or r.unskipped or r.unsplit
    }


@changes.FUZZ
@given(operations=st.lists(operation, min_size=5, max_size=20))
def test_the_month_report_equals_a_recount_from_the_documents(connection, org, operations):
    """GIVEN two connections WHEN invoices and credit notes in two currencies, with lines
    at several rates (sub-cent, negative, in forms no source writes), numbers in and out
    of sequence and credit notes with and without an original are imported, written,
    moved, updated in bulk and deleted THEN after every change the month report (sums,
    outstanding list, credit notes without an original, number gaps, gross per rate),
    for the organisation and for each connection, equals the recount from the documents,
    and the kept rows per rate and blocks of numbers equal their recount."""

    def check(step, op, connections):
        assert rate_rows_kept() == rate_rows_recounted(), f"after step {step} {op}"
        assert number_blocks_kept() == number_blocks_recounted(), f"after step {step} {op}"
        for month in MONTHS:
            for which in (None, *connections):
                assert reported(org, month, which) == recounted(org, month, which), (
                    f"after step {step} {op}, {month:%Y-%m}, {which}"
                )

    changes.after_every_change(org, connection, operations, apply, check)


@settings(max_examples=changes.CASES * 25, deadline=None, derandomize=True, database=None)
@given(
    numbers=st.lists(st.integers(0, 300), max_size=60),
    skipped=st.lists(st.integers(0, 300), max_size=10),
    width=st.sampled_from([3, 5]),  # every value has that many digits
)
def test_gaps_in_blocks_are_those_of_the_numbers(numbers, skipped, width):
    """GIVEN numbers of one sequence over several blocks of 32, some of them skipped
    WHEN their gaps are found from their blocks' bits THEN they are the gaps
    lib.numbering finds in the numbers themselves, at most 100 of them."""
    from belegsync.documents.report import _gaps_in_blocks

    blocks: dict[int, list[int]] = {}
    for value in set(numbers) | set(skipped):
        row = blocks.setdefault(value // 32, [0, 0])
        row[0] |= 1 << value % 32
        row[1] += value in set(numbers) and value not in set(skipped)
    rows = [("RE-", width, block, bits, n, 0) for block, (bits, n) in blocks.items()]
    text = [f"RE-{v:0{width}d}" for v in set(numbers) - set(skipped)]
    assert _gaps_in_blocks(rows) == gaps(text, also_seen=[f"RE-{v:0{width}d}" for v in skipped])
