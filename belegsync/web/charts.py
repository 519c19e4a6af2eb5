"""Pictures the pages draw on the server: bars as inline SVG, no script, no CDN.

A chart is plain data (rectangles with their coordinates as strings, so no
locale turns ``12.5`` into ``12,5`` inside an SVG attribute, a legend, and the
numbers as a table) that a template writes out. Colours come from CSS classes
(``.series-failed`` …), so charts follow the light and the dark theme and
print; every chart carries its numbers for screen readers and print.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from decimal import Decimal

from django.db.models import Count, QuerySet, Sum
from django.db.models.functions import TruncDate
from django.utils import timezone
from django.utils.translation import gettext as _

from belegsync.documents.labels import FAILURE_REASONS, STATE_LABELS
from belegsync.documents.models import DocumentDayCount, Event
from belegsync.documents.report import RateSums, StateSum, currency_order
from belegsync.documents.states import State
from belegsync.lib import l10n

WIDTH = 600
HEIGHT = 160
BOTTOM = 18  # room for the day labels
TOP = 4


def _n(value: float) -> str:
    return f"{value:.2f}"


@dataclass(frozen=True)
class Bar:
    x: str
    y: str
    width: str
    height: str
    series: str
    title: str


@dataclass(frozen=True)
class Tick:
    x: str
    label: str


@dataclass
class StackedBars:
    """Counts per day (columns) and series (stacked segments), scaled into the SVG's box."""

    title: str
    bars: list[Bar] = field(default_factory=list)
    ticks: list[Tick] = field(default_factory=list)
    legend: list[tuple[str, str]] = field(default_factory=list)
    rows: list[tuple[str, list[int]]] = field(default_factory=list)
    maximum: int = 0
    width: int = WIDTH
    height: int = HEIGHT
    baseline: str = _n(HEIGHT - BOTTOM)
    label_y: str = _n(HEIGHT - 4)

    @property
    def empty(self) -> bool:
        return self.maximum == 0


def stacked_by_day(
    title: str,
    days: Sequence[dt.date],
    counts: Mapping[tuple[dt.date, str], int],
    series: Sequence[tuple[str, str]],
) -> StackedBars:
    """One column per day, one stacked segment per series (code, label) that has a count."""
    chart = StackedBars(title=title)
    used = {code for (_day, code), n in counts.items() if n}
    chart.legend = [(code, label) for code, label in series if code in used]
    totals = [sum(counts.get((day, code), 0) for code, _ in series) for day in days]
    chart.maximum = max(totals, default=0)
    chart.rows = [
        (l10n.format_date(day), [counts.get((day, code), 0) for code, _ in chart.legend])
        for day in days
        if any(counts.get((day, code), 0) for code, _ in chart.legend)
    ]
    if not days or chart.maximum == 0:
        return chart
    slot = WIDTH / len(days)
    usable = HEIGHT - BOTTOM - TOP
    for index, day in enumerate(days):
        x = index * slot + slot * 0.15
        top = float(HEIGHT - BOTTOM)
        for code, label in series:
            value = counts.get((day, code), 0)
            if not value:
                continue
            height = usable * value / chart.maximum
            top -= height
            chart.bars.append(
                Bar(
                    _n(x),
                    _n(top),
                    _n(slot * 0.7),
                    _n(height),
                    code,
                    f"{l10n.format_date(day)}: {label} {value}",
                )
            )
        if index % 7 == 0 or (index == len(days) - 1 and index % 7 > 3):
            chart.ticks.append(Tick(_n(x + slot * 0.35), l10n.format_date(day)[:6]))
    return chart


@dataclass(frozen=True)
class Row:
    """One horizontal bar: its label, amount in words, length in % and its series (colour)."""

    label: str
    text: str
    length: str
    series: str
    negative: bool


def shares(items: Sequence[tuple[str, Decimal, str]], currency: str = "EUR") -> list[Row]:
    """Bars for (label, amount, series), each as long as its share of the largest amount."""
    largest = max((abs(value) for _, value, _ in items), default=Decimal(0))
    return [
        Row(
            label,
            l10n.format_money(value, currency),
            _n(float(abs(value) / largest * 100) if largest else 0.0),
            series,
            value < 0,
        )
        for label, value, series in items
    ]


# --- the charts of the pages ----------------------------------------------------------

DAYS = 30


def last_days(today: dt.date, days: int = DAYS) -> list[dt.date]:
    return [today - dt.timedelta(days=days - 1 - i) for i in range(days)]


def documents_per_day(counts: QuerySet[DocumentDayCount], today: dt.date) -> StackedBars:
    """The last 30 days by invoice date, each day's documents stacked by state: at most
    30 day rows per connection, state and currency (kept by the database), whatever the
    number of documents."""
    days = last_days(today)
    rows = (
        counts.filter(day__gte=days[0], day__lte=today)
        .order_by()
        .values_list("day", "state")
        .annotate(documents=Sum("n"))
    )
    counted = {(day, state): int(n) for day, state, n in rows}
    series = [(state, str(STATE_LABELS[state])) for state in State.values]
    return stacked_by_day(_("Documents per day by state"), days, counted, series)


def failures_per_day(events: QuerySet[Event], today: dt.date) -> StackedBars:
    """Failures of the last 30 days by the day they happened, stacked by reason."""
    days = last_days(today)
    start = timezone.make_aware(dt.datetime.combine(days[0], dt.time()))
    rows = (
        events.filter(action="fail", at__gte=start)
        .annotate(day=TruncDate("at"))
        .order_by()
        .values_list("day", "detail__reason")
        .annotate(n=Count("id"))
    )
    counts: dict[tuple[dt.date, str], int] = {}
    for day, reason, n in rows:
        key = (day, str(reason or "internal"))
        counts[key] = counts.get(key, 0) + n
    series = [(code, str(label)) for code, label in FAILURE_REASONS.items()]
    return stacked_by_day(_("Failures per day by reason"), days, counts, series)


def gross_per_rate(sums: RateSums) -> list[Row]:
    """Bars of the month's gross per currency and tax rate (``report.gross_per_rate``),
    the highest rate first."""
    per_currency = _by_currency(
        (currency, l10n.format_rate(rate), total, "rate")
        for (currency, rate), total in sorted(sums.items(), key=lambda item: -item[0][1])
    )
    return _currency_shares(per_currency)


def gross_per_state(sums: Sequence[StateSum]) -> list[Row]:
    per_currency = _by_currency(
        (s.currency, str(STATE_LABELS.get(s.state, s.state)), s.gross, s.state) for s in sums
    )
    return _currency_shares(per_currency)


def _by_currency(
    items: Iterable[tuple[str, str, Decimal, str]],
) -> dict[str, list[tuple[str, Decimal, str]]]:
    grouped: dict[str, list[tuple[str, Decimal, str]]] = {}
    for currency, label, amount, series in items:
        grouped.setdefault(currency, []).append((label, amount, series))
    return grouped


def _currency_shares(per_currency: Mapping[str, Sequence[tuple[str, Decimal, str]]]) -> list[Row]:
    """Bars per currency, euro first, each scaled within its own currency (a franc bar is
    never measured against a euro bar); the label names the currency when there are several."""
    several = len(per_currency) > 1
    rows: list[Row] = []
    for currency in sorted(per_currency, key=currency_order):
        items = per_currency[currency]
        if several:
            items = [(f"{label} ({currency})", amount, series) for label, amount, series in items]
        rows += shares(items, currency)
    return rows
