"""A voucher checks itself and reports every problem at once.

Rounding rules (documented in docs/bookkeeping.md, "Tax per rate"):

- A line's gross may differ from ``net × (1 + rate)`` rounded half up by at
  most one cent, or by half a cent per unit for quantities above two (sources
  round the unit price, then multiply); in the currency's smallest unit, so a
  whole yen for JPY. Lines may carry sub-cent amounts.
- Each rate's tax is figured once on the rate's total (``amounts.py``); that is
  what every target books.
- The priced total (gross for a gross-priced shop, net for a net-priced one) is
  the sum of the rates' totals, exactly. The other total: a net-priced invoice's
  gross is net plus the rates' tax, exactly (the customer is charged it); a
  gross-priced invoice's stated net may differ from the rule's by what per-line
  rounding explains (the source summed rounded line nets); the rule's is booked.
- A per-rate tax the source states must equal the rule's, to the cent.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import math
import re
from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal

from .amounts import PriceBasis, TaxGroup, rate_key
from .evidence import VatIdVerdict, compact, judge_vat_id, vat_id_country
from .frozen import one_step_init
from .money import CENT, HUNDRED, ZERO, format_rate, minor_unit, round_to
from .tax import SELLER_COUNTRY, TaxTreatment, allowed_rates, country_rates, is_eu
from .voucher import Line, LineCategory, Voucher, VoucherKind

_CURRENCY = re.compile(r"^[A-Z]{3}$")
_COUNTRY = re.compile(r"^[A-Z]{2}$")

# Python 3.11 reads an enum member through its class by EnumType.__getattr__'s slow hook
# (four times a global's cost), and every line and voucher validated compares with these.
_DISCOUNT = LineCategory.DISCOUNT
_GROSS = PriceBasis.GROSS

TREATMENT_NAMES = {
    TaxTreatment.DOMESTIC: "a domestic sale",
    TaxTreatment.EU_DISTANCE_SALE: "an EU distance sale",
    TaxTreatment.INTRA_EU_SUPPLY: "an intra-community supply",
    TaxTreatment.EXPORT: "an export",
    TaxTreatment.SMALL_BUSINESS: "a small business (§19 UStG)",
}


@one_step_init
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


def line_tolerance(line: Line, unit: Decimal = CENT) -> Decimal:
    """How far a line's gross may stray from its net plus tax through rounding, in the
    currency's smallest ``unit`` (a cent; a whole yen): one unit, or half a unit per
    piece above two pieces (the source rounded the unit price, then multiplied)."""
    units = abs(line.quantity)
    if units <= 2:
        return unit
    return Decimal(math.ceil(units / 2)) * unit


def validate(voucher: Voucher) -> list[Problem]:
    """All problems of the voucher; an empty list means it can be booked."""
    problems: list[Problem] = []
    unit = minor_unit(voucher.currency)
    problems += _check_header(voucher, unit)
    # derived once: every line's checks read them (each target validates every voucher
    # it sends, so this runs once per document per export)
    treatment = voucher.tax_treatment
    allowed = allowed_rates(treatment, voucher.party.country, voucher.supply_date)
    for index, line in enumerate(voucher.lines):
        problems += _check_line(voucher, index, line, treatment, allowed, unit)
    groups = voucher.tax_groups()  # figured once: both checks below read them
    problems += _check_totals(voucher, groups)
    problems += _check_tax_groups(voucher, groups)
    problems += _check_vat_id_evidence(voucher, treatment)
    return problems


def warnings(voucher: Voucher) -> list[Problem]:
    """What is bookable but worth the merchant's look; shown on the document, in the
    month report and, for DATEV, in the Buchungstext. Never a reason to refuse.

    A credit note that names no original invoice: § 14 Abs. 4 UStG asks nothing of
    the kind for a correction, and lexoffice, sevDesk and DATEV book it without one;
    the bookkeeping merely cannot link it to the invoice it corrects.
    """
    found = []
    if voucher.kind is VoucherKind.CREDIT_NOTE and not voucher.refers_to.strip():
        found.append(
            Problem(
                "refers_to",
                "credit_note_no_invoice_named",
                "No original invoice named; the credit note is booked without one.",
            )
        )
    return found


def ensure_valid(voucher: Voucher) -> Voucher:
    problems = validate(voucher)
    if problems:
        raise InvalidVoucher(problems)
    return voucher


def _has_sub_cent(amount: Decimal, unit: Decimal = CENT) -> bool:
    """Finer than the currency's smallest unit (cents; whole yen; fils)."""
    return amount != round_to(amount, unit)


def _check_header(v: Voucher, unit: Decimal) -> list[Problem]:
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
    rate = v.exchange_rate
    if rate is not None and (rate <= 0 or v.currency.upper() == "EUR"):
        problems.append(
            Problem(
                "exchange_rate",
                "bad_exchange_rate",
                f"The exchange rate {rate} is not one of {v.currency} per euro.",
                {"currency": v.currency, "exchange_rate": rate},
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
    if _has_sub_cent(v.total_net, unit):
        problems.append(_sub_cent("total_net", v.total_net))
    if _has_sub_cent(v.total_gross, unit):
        problems.append(_sub_cent("total_gross", v.total_gross))
    for index, payment in enumerate(v.payments):
        if _has_sub_cent(payment.amount, unit):
            problems.append(_sub_cent(f"payments[{index}].amount", payment.amount))
    return problems


def _sub_cent(name: str, amount: Decimal) -> Problem:
    return Problem(
        name, "sub_cent", f"{amount} has more than two decimal places.", {"amount": amount}
    )


def _check_line(
    v: Voucher,
    index: int,
    line: Line,
    treatment: TaxTreatment,
    allowed: frozenset[Decimal],
    unit: Decimal,
) -> list[Problem]:
    problems = []
    quantity, category = line.quantity, line.category
    negative_expected = category is _DISCOUNT
    if quantity == 0:
        problems.append(Problem(f"lines[{index}].quantity", "zero_quantity", "Quantity is zero."))
    elif quantity < 0 and not negative_expected:
        problems.append(
            Problem(
                f"lines[{index}].quantity",
                "negative_quantity",
                f"Quantity {quantity} is negative; only a discount may be negative. "
                "Returns belong on a credit note.",
                {"quantity": quantity},
            )
        )
    if line.net and (line.net < 0) != negative_expected:
        problems.append(_wrong_sign(index, "net", line.net, category))
    if line.gross and (line.gross < 0) != negative_expected:
        problems.append(_wrong_sign(index, "gross", line.gross, category))
    if line.tax_rate not in allowed:
        problems += _check_rate(v, f"lines[{index}]", line, treatment)
    expected_gross = round_to(line.net * (HUNDRED + line.tax_rate) / HUNDRED, unit)
    if abs(expected_gross - line.gross) > line_tolerance(line, unit):
        problems.append(
            Problem(
                f"lines[{index}].gross",
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


def _wrong_sign(index: int, name: str, amount: Decimal, category: LineCategory) -> Problem:
    expectation = "negative or zero" if category is _DISCOUNT else "positive or zero"
    return Problem(
        f"lines[{index}].{name}",
        "wrong_sign",
        f"{amount} must be {expectation} for a {category.value} line.",
        {"amount": amount, "category": category.value},
    )


def rounding_allowance(lines: list[Line], unit: Decimal = CENT) -> Decimal:
    """How far per-line rounding can take a sum of line amounts from the rate's rule:
    each line's tolerance plus half a unit for its own rounding, and the rate's one
    rounding (in the currency's unit: cents, or whole yen)."""
    half = unit / 2
    return sum((line_tolerance(ln, unit) + half for ln in lines), half)


def _check_totals(v: Voucher, groups: tuple[TaxGroup, ...]) -> list[Problem]:
    # added as ``sum((g.net for g in groups), ZERO)`` adds, ZERO first: in one loop
    rule_net = rule_gross = ZERO
    for group in groups:
        rule_net += group.net
        rule_gross += group.gross
    gross_priced = v.prices is _GROSS
    if gross_priced:
        priced = ("total_gross", v.total_gross, rule_gross)
        derived = ("total_net", v.total_net, rule_net)
    else:
        priced = ("total_net", v.total_net, rule_net)
        derived = ("total_gross", v.total_gross, rule_gross)
    problems = []
    name, stated, expected = priced
    if stated != expected:
        problems.append(_total_mismatch(name, stated, expected))
    name, stated, expected = derived
    # the allowance is never negative: only a difference needs it figured
    if stated != expected:
        allowance = (
            rounding_allowance(list(v.lines), minor_unit(v.currency)) if gross_priced else ZERO
        )
        if abs(stated - expected) > allowance:
            problems.append(_total_mismatch(name, stated, expected))
    return problems


def _total_mismatch(name: str, stated: Decimal, expected: Decimal) -> Problem:
    which = "gross" if name == "total_gross" else "net"
    return Problem(
        name,
        "total_mismatch",
        f"The {which} total {stated} is not the sum of the tax rates' totals ({expected}).",
        {"total": stated, "lines_total": expected},
    )


def _check_tax_groups(v: Voucher, groups: tuple[TaxGroup, ...]) -> list[Problem]:
    """The per-rate tax the source states must be the rule's: it is what gets booked."""
    if not v.stated_tax:
        return []
    problems = []
    by_rate = {g.rate: g for g in groups}
    for rate, stated in sorted(v.stated_tax.items(), reverse=True):
        group = by_rate.get(rate_key(rate))
        expected = group.tax if group else ZERO
        if stated != expected:
            problems.append(_tax_mismatch(rate, stated, expected, group))
    return problems


def _tax_mismatch(
    rate: Decimal, stated: Decimal, expected: Decimal, group: TaxGroup | None
) -> Problem:
    net = group.net if group else ZERO
    return Problem(
        f"tax[{format_rate(rate)}]",
        "tax_group_mismatch",
        f"The invoice states tax {stated} at {format_rate(rate)} %; the rate's total "
        f"gives {expected} (on net {net}).",
        {"rate": rate, "tax": stated, "expected": expected, "net": net},
    )


def _check_vat_id_evidence(v: Voucher, treatment: TaxTreatment) -> list[Problem]:
    """No VAT charged to a business in another member state needs its valid VAT id.

    Without it the sale is taxable (§ 6a Abs. 1 Nr. 4 UStG): refused, never read as a
    tax-free supply nor as a German 0 % sale. A business is a buyer with a company
    name or a VAT id; a private buyer abroad below the delivery threshold is taxed
    like one at home, where goods of the German 0 % rate stay at 0 % (§ 12 Abs. 3
    UStG). See :mod:`.evidence`.
    """
    country = v.party.country.upper()
    if (
        country == SELLER_COUNTRY  # first: nearly every sale, and the cheapest to tell
        or not (v.party.vat_id.strip() or v.party.company.strip())  # not a business
        or not is_eu(country)
        or not v.lines
        or not all(line.tax_rate == 0 for line in v.lines)  # VAT charged
        or v.total_gross == 0
        or treatment in (TaxTreatment.INTRA_EU_SUPPLY, TaxTreatment.SMALL_BUSINESS)
    ):
        return []
    verdict = judge_vat_id(v.party.vat_id, country)
    vat_id = compact(v.party.vat_id) if verdict is not VatIdVerdict.INVALID else v.party.vat_id
    if verdict is VatIdVerdict.MISSING:
        message = f"The buyer in {country} has no VAT id, yet the invoice charges no VAT"
    elif verdict is VatIdVerdict.OTHER_COUNTRY:
        message = f"The VAT id {vat_id} is one of {vat_id_country(vat_id)}, not of {country}"
    else:
        message = f"{v.party.vat_id!r} is not a valid VAT id of {country} (format or check digit)"
    return [
        Problem(
            "party.vat_id",
            f"vat_id_{verdict.value}",
            f"{message}: the sale is taxable, not a tax-free intra-community supply. Add the "
            "buyer's valid VAT id in the source or correct the tax.",
            {"country": country, "value": vat_id, "vat_country": vat_id_country(vat_id)},
        )
    ]


def _rates_for(v: Voucher, treatment: TaxTreatment, on: dt.date | None) -> frozenset[Decimal]:
    """The rates a sale to this buyer could carry on ``on``: the treatment's, and for a
    buyer elsewhere in the EU also its country's (with them it would be a distance sale)."""
    country = v.party.country.upper()
    rates = allowed_rates(treatment, country, on)
    if country != SELLER_COUNTRY and is_eu(country) and treatment is TaxTreatment.DOMESTIC:
        rates |= country_rates(country, on)
    return rates


def _check_rate(v: Voucher, where: str, line: Line, treatment: TaxTreatment) -> list[Problem]:
    """The line's rate is one the treatment allows on the day of the supply.

    A rate of another day (16 % in 2026, Estonia's 22 % after June 2025) is named as
    such, with the rates valid that day.
    """
    day = v.supply_date
    if line.tax_rate in allowed_rates(treatment, v.party.country, day):
        return []
    valid = sorted(_rates_for(v, treatment, day), reverse=True)
    params = {
        "rate": line.tax_rate,
        "treatment": treatment.value,
        "country": v.party.country,
        "date": day,
        "rates": valid,
    }
    if line.tax_rate in _rates_for(v, treatment, None):
        return [
            Problem(
                f"{where}.tax_rate",
                "rate_not_valid_on_date",
                f"{format_rate(line.tax_rate)} % was not valid on {day.isoformat()}, the day "
                f"of the supply, for {TREATMENT_NAMES[treatment]} to {v.party.country}; valid "
                f"then: {', '.join(format_rate(r) + ' %' for r in valid)}.",
                params,
            )
        ]
    return [
        Problem(
            f"{where}.tax_rate",
            "rate_not_allowed",
            f"{format_rate(line.tax_rate)} % is not a valid rate for "
            f"{TREATMENT_NAMES[treatment]} to {v.party.country}; valid on "
            f"{day.isoformat()}: {', '.join(format_rate(r) + ' %' for r in valid)}.",
            params,
        )
    ]
