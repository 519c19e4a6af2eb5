"""A voucher in a foreign currency, booked in euros with the source's exchange rate.

German books are kept in euros: § 16 Abs. 6 UStG converts amounts in a foreign
currency to euros, by default at the monthly rate the Federal Ministry of Finance
publishes, or, where the tax office allows it, at the day's rate. belegsync books
with the rate the *source* supplies and never invents one: a voucher in a foreign
currency without a rate is refused by every target that books euros.

Two ways a source can supply it (docs/bookkeeping.md, "Currency"):

- **the invoice's currency and a rate** (``Voucher.currency`` ≠ EUR,
  ``Voucher.exchange_rate``): :func:`in_euros` converts it, one rounding per rate;
- **euro amounts beside the original** (``Voucher.currency`` = EUR,
  ``Voucher.original``: Afterbuy's account currency with ``OrderOriginalCurrency``):
  booked as it is, the original named in the targets' texts.

A rate is quoted as units of the foreign currency per euro (1 EUR = 0.9412 CHF),
as the ECB's reference rates and the BMF's monthly table state it.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from decimal import Decimal

from .amounts import PriceBasis, allocate, group_total, priced, rate_key
from .money import CENT, EURO, HUNDRED, ZERO, round_cents
from .voucher import Line, Original, Payment, Voucher

__all__ = ["EURO", "NoExchangeRate", "Original", "in_euros", "needs_rate"]


class NoExchangeRate(ValueError):
    """A foreign-currency voucher without a rate: it cannot be booked in euros."""


@dataclass(frozen=True)
class _Rate:
    """One tax rate's total, in the invoice's currency and in euros."""

    foreign: Decimal
    euros: Decimal


def needs_rate(voucher: Voucher) -> bool:
    """In a foreign currency, and the source gave no rate to book it in euros."""
    return voucher.currency.upper() != EURO and voucher.exchange_rate is None


def in_euros(voucher: Voucher) -> Voucher:
    """The voucher in euros: itself when it is in euros, else converted at its rate.

    Each tax rate's total as the invoice states it (in the currency's own unit:
    whole yen, cents) is divided by the rate and rounded half up to cents, once
    (§ 16 Abs. 6 UStG converts the consideration; its tax then follows from the
    euro total by the rule of "Tax per rate", the one rounding of § 14). The lines
    of the rate share that euro total in proportion to their amounts
    (:func:`allocate`), so the converted voucher's positions add up to it exactly
    and it passes the same validation. Payments are converted the same way; a
    voucher paid in full stays paid in full. ``original`` keeps the invoice's
    currency, rate, total and per-rate totals for the targets' texts and DATEV's
    currency fields.
    """
    if voucher.currency.upper() == EURO:
        return voucher
    rate = voucher.exchange_rate
    if rate is None or rate <= 0:
        raise NoExchangeRate(f"{voucher.number}: {voucher.currency} without an exchange rate")
    basis = voucher.prices
    totals = {
        g.rate: _Rate(group_total(g, basis), round_cents(group_total(g, basis) / rate))
        for g in voucher.tax_groups()
    }
    lines = _converted_lines(voucher.lines, totals, basis)
    converted = dataclasses.replace(
        voucher,
        currency=EURO,
        exchange_rate=None,
        lines=lines,
        total_net=ZERO,
        total_gross=ZERO,
        payments=(),
        stated_tax={},
        original=Original(
            currency=voucher.currency.upper(),
            per_euro=rate,
            gross=voucher.total_gross,
            groups=tuple((g.rate, g.gross) for g in voucher.tax_groups()),
        ),
    )
    groups = converted.tax_groups()
    total_gross = sum((g.gross for g in groups), ZERO)
    return dataclasses.replace(
        converted,
        total_net=sum((g.net for g in groups), ZERO),
        total_gross=total_gross,
        payments=_converted_payments(voucher, rate, total_gross),
    )


def _converted_lines(
    lines: tuple[Line, ...], totals: dict[Decimal, _Rate], basis: PriceBasis
) -> tuple[Line, ...]:
    by_rate: dict[Decimal, list[int]] = {}
    for index, line in enumerate(lines):
        by_rate.setdefault(rate_key(line.tax_rate), []).append(index)
    amounts: dict[int, Decimal] = {}
    for rate, members in by_rate.items():
        shares = allocate(totals[rate].euros, [priced(lines[i], basis) for i in members])
        amounts.update(zip(members, shares, strict=True))
    return tuple(_line_in_euros(line, amounts[i], basis) for i, line in enumerate(lines))


def _line_in_euros(line: Line, amount: Decimal, basis: PriceBasis) -> Line:
    """The line with its priced amount in euros; the other amount exact at its rate
    (lines may be finer than a cent, only a rate's total is rounded)."""
    factor = (HUNDRED + line.tax_rate) / HUNDRED
    if basis is PriceBasis.GROSS:
        return dataclasses.replace(line, gross=amount, net=_fine(amount / factor))
    return dataclasses.replace(line, net=amount, gross=_fine(amount * factor))


def _fine(amount: Decimal) -> Decimal:
    return amount.quantize(Decimal("0.000001"))


def _converted_payments(voucher: Voucher, rate: Decimal, total: Decimal) -> tuple[Payment, ...]:
    if not voucher.payments:
        return ()
    amounts = [p.amount for p in voucher.payments]
    if voucher.paid_amount == voucher.total_gross:
        euros = allocate(total, amounts, CENT)
    else:
        euros = [round_cents(a / rate) for a in amounts]
    return tuple(
        dataclasses.replace(p, amount=e) for p, e in zip(voucher.payments, euros, strict=True)
    )
