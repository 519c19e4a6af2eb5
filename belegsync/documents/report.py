"""Is a month complete? The month report a merchant and their tax advisor can trust.

For one organisation (optionally one connection) and one calendar month by
invoice date: how many documents are in each state with their gross sums (one
sum per currency: a CHF invoice is never added to the euros), which
are not yet in the bookkeeping and why, and which invoice numbers are missing
between the month's first and last number. A month is complete when every
document is done, manually imported or skipped by the connection's filters, and
no number is missing. Credit notes that name no original invoice are listed
for a look (``bookkeeping.warnings``); they do not make a month incomplete.
"""

from __future__ import annotations

import datetime as dt
import itertools
from collections.abc import Iterator
from dataclasses import dataclass, field
from decimal import Decimal

from django.db import connection as database
from django.db.models import BooleanField, QuerySet, Sum
from django.db.models.expressions import RawSQL

from belegsync.lib.numbering import Gap, gaps

from .models import (
    Connection,
    Document,
    DocumentDayCount,
    DocumentNumberBlock,
    DocumentRateGross,
    Organisation,
)
from .states import State

BOOKED = (State.DONE, State.MANUAL)
#: Kept out on purpose by the connection's filters (start date, shop, order state,
#: no invoice yet): listed for a look, but they do not make a month incomplete.
SKIPPED = (State.SKIPPED,)
#: Documents listed by name when the month is not complete.
LISTED = 200


@dataclass(frozen=True)
class Outstanding:
    number: str
    kind: str
    state: str
    connection: str
    reason: str


@dataclass(frozen=True)
class StateSum:
    """A state's documents in one currency and their gross, as the bookkeeping shows it."""

    state: str
    currency: str
    documents: int
    gross: Decimal


@dataclass(frozen=True)
class CurrencyTotal:
    """All of the month's documents in one currency and their gross."""

    currency: str
    documents: int
    gross: Decimal


def currency_order(currency: str) -> tuple[bool, str]:
    """The euro first (the books' currency), then the others alphabetically."""
    return (currency != "EUR", currency)


@dataclass
class MonthReport:
    month: dt.date
    connection: Connection | None
    counts: dict[str, int] = field(default_factory=dict)
    #: One sum per (state, currency) with documents, in the states' order, euro first.
    sums: list[StateSum] = field(default_factory=list)
    outstanding: list[Outstanding] = field(default_factory=list)
    outstanding_total: int = 0
    gaps: list[Gap] = field(default_factory=list)
    #: Credit notes that name no original invoice: booked, but worth the advisor's look.
    unreferenced: list[str] = field(default_factory=list)

    @property
    def total(self) -> int:
        return sum(self.counts.values())

    @property
    def booked(self) -> int:
        return sum(self.counts.get(state, 0) for state in BOOKED)

    @property
    def states(self) -> list[str]:
        """The states with documents, in the states' own order."""
        return [s for s in State.values if s in self.counts]

    @property
    def currencies(self) -> list[str]:
        return sorted({s.currency for s in self.sums}, key=currency_order)

    @property
    def totals(self) -> list[CurrencyTotal]:
        """The month's documents and gross per currency (credit notes already negative)."""
        return [
            CurrencyTotal(
                currency,
                sum(s.documents for s in self.sums if s.currency == currency),
                sum((s.gross for s in self.sums if s.currency == currency), Decimal(0)),
            )
            for currency in self.currencies
        ]

    def gross(self, state: str, currency: str = "EUR") -> Decimal:
        """The gross of a state's documents in one currency (0 when there are none)."""
        return sum(
            (s.gross for s in self.sums if s.state == state and s.currency == currency),
            Decimal(0),
        )

    def sums_of(self, state: str) -> list[StateSum]:
        return [s for s in self.sums if s.state == state]

    @property
    def skipped(self) -> int:
        return self.counts.get(State.SKIPPED, 0)

    @property
    def complete(self) -> bool:
        """Every document booked or skipped by the filters, and no number missing."""
        return self.total > 0 and self.booked + self.skipped == self.total and not self.gaps


def month_bounds(month: dt.date) -> tuple[dt.date, dt.date]:
    first = month.replace(day=1)
    following = (first + dt.timedelta(days=32)).replace(day=1)
    return first, following


def day_counts(
    organisation: Organisation,
    first: dt.date,
    following: dt.date,
    connection: Connection | None = None,
) -> list[tuple[str, str, int, int]]:
    """(state, currency, documents, gross in cents) of the days ``first`` up to
    ``following``: sums over at most 31 day rows per connection, state and currency
    (``DocumentDayCount``, kept by the database), not over the documents."""
    rows = DocumentDayCount.objects.filter(
        connection__organisation=organisation, day__gte=first, day__lt=following
    )
    if connection is not None:
        rows = rows.filter(connection=connection)
    grouped = (
        rows.order_by()
        .values_list("state", "currency")
        .annotate(documents=Sum("n"), gross=Sum("gross_cents"))
        .filter(documents__gt=0)
    )
    return [(state, currency, int(n), int(gross)) for state, currency, n, gross in grouped]


def of_month(
    organisation: Organisation, month: dt.date, connection: Connection | None = None
) -> QuerySet[Document]:
    """The documents of a month by invoice date: of one connection, or of the
    organisation's connections named by id (a join on the connection table would let
    SQLite's planner start from an index on the state instead of the connection's)."""
    first, following = month_bounds(month)
    if connection is not None:
        ids = [connection.pk]
    else:
        ids = list(
            Connection.objects.filter(organisation=organisation).values_list("pk", flat=True)
        )
    return Document.objects.filter(
        connection_id__in=ids, invoice_date__gte=first, invoice_date__lt=following
    )


def month_report(
    organisation: Organisation, month: dt.date, connection: Connection | None = None
) -> MonthReport:
    first, following = month_bounds(month)
    documents = of_month(organisation, month, connection)
    report = MonthReport(month=first, connection=connection)
    for state, currency, n, gross_cents in day_counts(organisation, first, following, connection):
        report.counts[state] = report.counts.get(state, 0) + n
        report.sums.append(StateSum(state, currency, n, Decimal(gross_cents).scaleb(-2)))
    order = {state: index for index, state in enumerate(State.values)}
    report.sums.sort(key=lambda s: (order.get(s.state, len(order)), currency_order(s.currency)))
    report.outstanding_total = report.total - report.booked
    report.outstanding = outstanding(documents)
    report.unreferenced = unreferenced(documents)
    report.gaps = number_gaps(organisation, first, documents, connection)
    return report


def outstanding(documents: QuerySet[Document]) -> list[Outstanding]:
    """The first documents not yet booked, by state, invoice date and number.

    State by state (in the order the database sorts them, the alphabet's), each a range
    of the index of documents not yet booked (``document_outstanding``: connection,
    state, invoice date, number) read in its order until the list is full; then only
    those rows are read. So a connection's month costs the 200 entries listed, not a
    sort of every document of the month with its voucher."""
    first: list[int] = []
    for state in sorted(set(State.values) - set(BOOKED)):
        if len(first) >= LISTED:
            break
        first += (
            documents.exclude(state__in=BOOKED)  # the index's condition, for the planner
            .filter(state=state)
            .order_by("invoice_date", "source_number", "id")
            .values_list("id", flat=True)[: LISTED - len(first)]
        )
    rows = (
        Document.objects.filter(id__in=first)
        .select_related("connection")
        .only(*OUTSTANDING_COLUMNS)
        .in_bulk()
    )
    return [
        Outstanding(
            number=d.source_number,
            kind=d.kind,
            state=d.state,
            connection=d.connection.name,
            reason=d.failure_message or d.skip_reason,
        )
        for d in (rows[pk] for pk in first)
    ]


#: What an entry of the outstanding list shows (a reason is rendered in the currency).
OUTSTANDING_COLUMNS = (
    "source_number",
    "kind",
    "state",
    "currency",
    "failure_details",
    "skip_details",
    "connection__name",
)

#: Credit notes whose voucher names no original invoice, spelt as the condition of the
#: index ``document_unreferenced`` (migration 0018) so that both databases use it.
UNREFERENCED = {
    "sqlite": "json_extract(documents_document.voucher, '$.refers_to') = ''",
    "postgresql": "(documents_document.voucher ->> 'refers_to') = ''",
}


def unreferenced(documents: QuerySet[Document]) -> list[str]:
    """The numbers of the first credit notes without an original, by date and number."""
    sql = UNREFERENCED[database.vendor]
    condition = RawSQL(sql, (), output_field=BooleanField())  # noqa: S611 (a constant)
    return list(
        documents.filter(condition, kind="credit_note")
        .order_by("invoice_date", "source_number", "id")
        .values_list("source_number", flat=True)[:LISTED]
    )


#: Gross per (currency, tax rate) of a month's lines, credit notes negative.
RateSums = dict[tuple[str, Decimal], Decimal]


def gross_per_rate(
    organisation: Organisation, month: dt.date, connection: Connection | None = None
) -> RateSums:
    """The gross of the month's line items per currency and tax rate, from the rows the
    database keeps per day and rate (``DocumentRateGross``): at most 31 rows per
    connection, currency and rate. A month with a line the database could not add
    exactly (``unsplit``) is summed from its vouchers (:func:`gross_per_rate_of`)."""
    first, following = month_bounds(month)
    rows = DocumentRateGross.objects.filter(
        connection__organisation=organisation, day__gte=first, day__lt=following
    )
    if connection is not None:
        rows = rows.filter(connection=connection)
    grouped = list(
        rows.order_by()
        .values_list("currency", "rate")
        .annotate(n=Sum("lines"), gross=Sum("gross_millionths"), unsplit=Sum("unsplit"))
    )
    if any(unsplit for *_, unsplit in grouped):
        return gross_per_rate_of(of_month(organisation, month, connection))
    return {
        (currency, Decimal(rate)): Decimal(int(gross)).scaleb(-6)
        for currency, rate, n, gross, _unsplit in grouped
        if n
    }


def gross_per_rate_of(documents: QuerySet[Document]) -> RateSums:
    """The same sums read from every voucher of ``documents`` (lines without a rate or
    gross, with one that is no number, or that are no line at all, are left out)."""
    sums: RateSums = {}
    rows = documents.values_list("kind", "currency", "voucher")
    for kind, currency, voucher in rows.iterator(chunk_size=500):
        sign = -1 if kind == "credit_note" else 1
        for line in (voucher or {}).get("lines") or []:
            try:
                rate, gross = Decimal(str(line["tax_rate"])), Decimal(str(line["gross"]))
            except (KeyError, TypeError, ArithmeticError, ValueError):
                continue
            key = (currency, rate)
            sums[key] = sums.get(key, Decimal(0)) + sign * gross
    return sums


KINDS = ("invoice", "credit_note")
#: Gaps listed per kind, as ``lib.numbering.gaps`` lists them.
GAPS_LISTED = 100


def number_gaps(
    organisation: Organisation,
    month: dt.date,
    documents: QuerySet[Document],
    connection: Connection | None = None,
) -> list[Gap]:
    """The numbers missing in each sequence of the month's invoices, then credit notes.

    Found in the blocks of numbers the database keeps (``DocumentNumberBlock``): the
    union over the connections of each sequence's bits, for the sequences with a number
    not skipped. A kind with a number the database did not split has its gaps found
    from its numbers (``lib.numbering.gaps``)."""
    blocks = DocumentNumberBlock.objects.filter(
        connection__organisation=organisation, kind__in=KINDS, month=month
    ).exclude(bits=0, unsplit=0)
    if connection is not None:
        blocks = blocks.filter(connection=connection)
    rows = blocks.order_by().values_list(
        "kind", "prefix", "width", "block", "bits", "unskipped", "unsplit"
    )
    by_kind: dict[str, list[tuple[str, int, int, int, int, int]]] = {kind: [] for kind in KINDS}
    for kind, *row in rows:
        by_kind.setdefault(kind, []).append(tuple(row))  # type: ignore[arg-type]
    found: list[Gap] = []
    for kind in KINDS:
        if any(unsplit for *_, unsplit in by_kind[kind]):
            of_kind = documents.filter(kind=kind)
            numbers = of_kind.exclude(state__in=SKIPPED).values_list("source_number", flat=True)
            seen = of_kind.filter(state__in=SKIPPED).values_list("source_number", flat=True)
            found += gaps(numbers.iterator(), also_seen=seen.iterator())
        else:
            found += _gaps_in_blocks(by_kind[kind])
    return found


def _gaps_in_blocks(rows: list[tuple[str, int, int, int, int, int]]) -> list[Gap]:
    """Gaps between the numbers of (prefix, width, block, bits, unskipped, unsplit) rows:
    as ``lib.numbering.gaps`` finds them, sequence by sequence, at most 100."""
    sequences: dict[tuple[str, int], dict[int, int]] = {}
    unskipped: dict[tuple[str, int], int] = {}
    for prefix, width, block, bits, n, _unsplit in rows:
        blocks = sequences.setdefault((prefix, width), {})
        blocks[block] = blocks.get(block, 0) | bits
        unskipped[(prefix, width)] = unskipped.get((prefix, width), 0) + n
    found: list[Gap] = []
    for (prefix, width), blocks in sorted(sequences.items()):
        if not unskipped[(prefix, width)]:
            continue  # skipped numbers make no sequence of their own
        for (_, before), (after, _) in itertools.pairwise(_runs(blocks)):
            first = f"{prefix}{before + 1:0{width}d}"
            last = f"{prefix}{after - 1:0{width}d}"
            found.append(Gap(first, last, after - before - 1))
            if len(found) >= GAPS_LISTED:
                return found
    return found


def _runs(blocks: dict[int, int]) -> Iterator[tuple[int, int]]:
    """The runs of consecutive numbers (first, last) the blocks' bits hold, in order:
    a run of set bits at a time (adding its lowest bit carries into the first zero above
    it), so a block costs its runs, not its 32 bits."""
    start = end = -2
    for block in sorted(blocks):
        bits, base = blocks[block], block * DocumentNumberBlock.BITS
        while bits:
            low = bits & -bits
            above = bits + low
            first = base + low.bit_length() - 1
            last = base + (above & -above).bit_length() - 2
            bits &= above
            if first == end + 1:
                end = last
                continue
            if end >= 0:
                yield start, end
            start, end = first, last
    if end >= 0:
        yield start, end
