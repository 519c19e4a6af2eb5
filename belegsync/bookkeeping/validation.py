"""A voucher checks itself and reports every problem at once.

Rounding rules (documented in docs/bookkeeping.md):

- Line and voucher totals are sums of cent amounts and must match exactly.
- A line's gross may differ from ``net × (1 + rate)`` rounded half up by at
  most one cent, or by half a cent per unit for quantities above two (sources
  round the unit price, then multiply).
- A tax group's tax may differ from ``round(net of the group × rate)`` by the
  sum of its lines' tolerances: no more than the rounding of its lines explains.
"""

from __future__ import annotations

import dataclasses
import math
import re
from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal

from .money import CENT, ZERO, format_rate, gross_from_net, round_cents, tax_of_net
from .tax import TaxTreatment, allowed_rates
from .voucher import Line, LineCategory, Voucher, VoucherKind

HALF_CENT = Decimal("0.005")
_CURRENCY = re.compile(r"^[A-Z]{3}$")
_COUNTRY = re.compile(r"^[A-Z]{2}$")

TREATMENT_NAMES = {
    TaxTreatment.DOMESTIC: "a domestic sale",
    TaxTreatment.EU_DISTANCE_SALE: "an EU distance sale",
    TaxTreatment.INTRA_EU_SUPPLY: "an intra-community supply",
    TaxTreatment.EXPORT: "an export",
    TaxTreatment.SMALL_BUSINESS: "a small business (§19 UStG)",
}


@dataclass(frozen=True)
class Problem:
    """One thing wrong with a voucher: where, a stable code, and what to do.

    ``message`` is English for logs and the command line; the merchant reads a
    text chosen by ``code`` in their language (``belegsync.reasons``), filled
    with ``params``: amounts and rates as ``Decimal``, dates as ``date``. A
    parameter's name means the same in every code (``amount``, ``expected``,
    ``rate``, ``country`` …).
    """

    field: str
    code: str
    message: str
    params: Mapping[str, object] = dataclasses.field(default_factory=dict, hash=False)

    def __str__(self) -> str:
        return f"{self.field}: {self.message}"


class InvalidVoucher(ValueError):
    def __init__(self, problems: list[Problem]) -> None:
        self.problems = problems
        super().__init__("; ".join(str(p) for p in problems))


def line_tolerance(line: Line) -> Decimal:
    """How far a line's gross may stray from its net plus tax through rounding."""
    units = abs(line.quantity)
    if units <= 2:
        return CENT
    return Decimal(math.ceil(units * HALF_CENT / CENT)) * CENT


def validate(voucher: Voucher) -> list[Problem]:
    """All problems of the voucher; an empty list means it can be booked."""
    problems: list[Problem] = []
    problems += _check_header(voucher)
    for index, line in enumerate(voucher.lines):
        problems += _check_line(voucher, index, line)
    problems += _check_totals(voucher)
    problems += _check_tax_groups(voucher)
    return problems


def ensure_valid(voucher: Voucher) -> Voucher:
    problems = validate(voucher)
    if problems:
        raise InvalidVoucher(problems)
    return voucher


def _has_sub_cent(amount: Decimal) -> bool:
    return amount != round_cents(amount)


def _check_header(v: Voucher) -> list[Problem]:
    problems = []
    if not v.number.strip():
        problems.append(Problem("number", "missing_number", "The voucher has no number."))
    if not _CURRENCY.match(v.currency):
        problems.append(
            Problem(
                "currency",
                "bad_currency",
                f"'{v.currency}' is not an ISO currency code.",
                {"currency": v.currency},
            )
        )
    if not _COUNTRY.match(v.party.country):
        problems.append(
            Problem(
                "party.country",
                "bad_country",
                f"'{v.party.country}' is not a two-letter country code (DE, AT, CH …).",
                {"country": v.party.country},
            )
        )
    if not v.lines:
        problems.append(Problem("lines", "no_lines", "The voucher has no lines."))
    if v.kind is VoucherKind.CREDIT_NOTE and not v.refers_to.strip():
        problems.append(
            Problem(
                "refers_to",
                "credit_note_without_invoice",
                "A credit note must name the invoice it corrects.",
            )
        )
    if v.total_gross < 0:
        problems.append(
            Problem(
                "total_gross",
                "negative_total",
                f"The total {v.total_gross} is negative; "
                "a negative amount must be issued as a credit note.",
                {"amount": v.total_gross},
            )
        )
    for name, amount in (("total_net", v.total_net), ("total_gross", v.total_gross)):
        if _has_sub_cent(amount):
            problems.append(
                Problem(
                    name,
                    "sub_cent",
                    f"{amount} has more than two decimal places.",
                    {"amount": amount},
                )
            )
    for index, payment in enumerate(v.payments):
        if _has_sub_cent(payment.amount):
            problems.append(
                Problem(
                    f"payments[{index}].amount",
                    "sub_cent",
                    f"{payment.amount} has more than two decimal places.",
                    {"amount": payment.amount},
                )
            )
    return problems


def _check_line(v: Voucher, index: int, line: Line) -> list[Problem]:
    where = f"lines[{index}]"
    problems = []
    if line.quantity == 0:
        problems.append(Problem(f"{where}.quantity", "zero_quantity", "Quantity is zero."))
    elif line.quantity < 0 and line.category is not LineCategory.DISCOUNT:
        problems.append(
            Problem(
                f"{where}.quantity",
                "negative_quantity",
                f"Quantity {line.quantity} is negative; only a discount may be negative. "
                "Returns belong on a credit note.",
                {"quantity": line.quantity},
            )
        )
    negative_expected = line.category is LineCategory.DISCOUNT
    for name, amount in (("net", line.net), ("gross", line.gross)):
        if _has_sub_cent(amount):
            problems.append(
                Problem(
                    f"{where}.{name}",
                    "sub_cent",
                    f"{amount} has more than two decimals.",
                    {"amount": amount},
                )
            )
        if amount != 0 and (amount < 0) != negative_expected:
            expectation = "negative or zero" if negative_expected else "positive or zero"
            problems.append(
                Problem(
                    f"{where}.{name}",
                    "wrong_sign",
                    f"{amount} must be {expectation} for a {line.category.value} line.",
                    {"amount": amount, "category": line.category.value},
                )
            )
    treatment = v.tax_treatment
    if line.tax_rate not in allowed_rates(treatment, v.party.country):
        problems.append(
            Problem(
                f"{where}.tax_rate",
                "rate_not_allowed",
                f"{format_rate(line.tax_rate)} % is not a valid rate for "
                f"{TREATMENT_NAMES[treatment]} to {v.party.country}.",
                {"rate": line.tax_rate, "treatment": treatment.value, "country": v.party.country},
            )
        )
    expected_gross = gross_from_net(line.net, line.tax_rate)
    if abs(expected_gross - line.gross) > line_tolerance(line):
        problems.append(
            Problem(
                f"{where}.gross",
                "line_tax_mismatch",
                f"Gross {line.gross} does not match net {line.net} at "
                f"{format_rate(line.tax_rate)} % (expected {expected_gross}).",
                {
                    "gross": line.gross,
                    "net": line.net,
                    "rate": line.tax_rate,
                    "expected": expected_gross,
                },
            )
        )
    return problems


def _check_totals(v: Voucher) -> list[Problem]:
    problems = []
    lines_net = sum((ln.net for ln in v.lines), ZERO)
    lines_gross = sum((ln.gross for ln in v.lines), ZERO)
    if lines_net != v.total_net:
        problems.append(
            Problem(
                "total_net",
                "total_mismatch",
                f"The net total {v.total_net} is not the sum of the lines ({lines_net}).",
                {"total": v.total_net, "lines_total": lines_net},
            )
        )
    if lines_gross != v.total_gross:
        problems.append(
            Problem(
                "total_gross",
                "total_mismatch",
                f"The gross total {v.total_gross} is not the sum of the lines ({lines_gross}).",
                {"total": v.total_gross, "lines_total": lines_gross},
            )
        )
    return problems


def _check_tax_groups(v: Voucher) -> list[Problem]:
    problems = []
    for group in v.tax_groups():
        expected = tax_of_net(group.net, group.rate)
        members = [ln for ln in v.lines if ln.tax_rate == group.rate]
        tolerance = sum((line_tolerance(ln) for ln in members), ZERO)
        if abs(group.tax - expected) > tolerance:
            problems.append(
                Problem(
                    f"tax[{format_rate(group.rate)}]",
                    "tax_group_mismatch",
                    f"Tax at {format_rate(group.rate)} % is {group.tax}, expected {expected} "
                    f"on net {group.net}.",
                    {"rate": group.rate, "tax": group.tax, "expected": expected, "net": group.net},
                )
            )
    return problems
