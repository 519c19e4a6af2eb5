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
from dataclasses import dataclass, field
from decimal import Decimal

from django.db import connection as database
from django.db.models import BooleanField, QuerySet, Sum
from django.db.models.expressions import RawSQL

from belegsync.lib.numbering import Gap, gaps

from .models import Connection, Document, DocumentDayCount, DocumentRateGross, Organisation
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


def month_report(
    organisation: Organisation, month: dt.date, connection: Connection | None = None
) -> MonthReport:
    first, following = month_bounds(month)
    documents = Document.objects.filter(
        connection__organisation=organisation,
        invoice_date__gte=first,
        invoice_date__lt=following,
    )
    if connection is not None:
        documents = documents.filter(connection=connection)
    report = MonthReport(month=first, connection=connection)
    for state, currency, n, gross_cents in day_counts(organisation, first, following, connection):
        report.counts[state] = report.counts.get(state, 0) + n
        report.sums.append(StateSum(state, currency, n, Decimal(gross_cents).scaleb(-2)))
    order = {state: index for index, state in enumerate(State.values)}
    report.sums.sort(key=lambda s: (order.get(s.state, len(order)), currency_order(s.currency)))
    report.outstanding_total = report.total - report.booked
    report.outstanding = outstanding(documents)
    report.unreferenced = unreferenced(documents)
    for kind in ("invoice", "credit_note"):
        of_kind = documents.filter(kind=kind)
        numbers = of_kind.exclude(state__in=SKIPPED).values_list("source_number", flat=True)
        seen = of_kind.filter(state__in=SKIPPED).values_list("source_number", flat=True)
        report.gaps += gaps(numbers.iterator(), also_seen=seen.iterator())
    return report


def outstanding(documents: QuerySet[Document]) -> list[Outstanding]:
    """The first documents not yet booked, by state, invoice date and number.

    Sorted from the entries of the index of documents not yet booked
    (``document_outstanding``), then only those rows read: not every document of the
    month with its voucher."""
    first = list(
        documents.exclude(state__in=BOOKED)
        .order_by("state", "invoice_date", "source_number", "id")
        .values_list("id", flat=True)[:LISTED]
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
        documents = Document.objects.filter(
            connection__organisation=organisation,
            invoice_date__gte=first,
            invoice_date__lt=following,
        )
        if connection is not None:
            documents = documents.filter(connection=connection)
        return gross_per_rate_of(documents)
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
