"""Tax per rate, as a German invoice states it, and positions that keep it.

§ 14 Abs. 4 Nr. 7 and 8 UStG: an invoice states, per tax rate, the
consideration (Entgelt) and the tax on it. The tax is a figure of the rate's
total, not a sum of per-line roundings (UStAE 14.5 Abs. 19: one rounding per
rate on the invoice):

- a shop that prices gross (B2C): ``tax_r = round(gross_r × r / (100 + r))``,
  ``net_r = gross_r − tax_r``;
- a shop that prices net (B2B): ``tax_r = round(net_r × r / 100)``,
  ``gross_r = net_r + tax_r``.

Lines keep the amounts the source gave (even sub-cent ones, 8 × 8.925 € are
71.40 €); they describe the invoice, and only the rate's total is rounded.

A target receives *positions*: the lines of one rate summed per what the target
books them on (a lexoffice category, a sevDesk or DATEV account). The rate's
tax is split over its positions by :func:`allocate`, so the positions of a rate
always add up to exactly the rate's net, tax and gross, and each position's tax
is within a cent of its own ``amount × rate`` (what a target that checks
positions may recompute).
"""

from __future__ import annotations

from collections.abc import Callable, Hashable, Mapping, Sequence
from dataclasses import dataclass
from decimal import ROUND_FLOOR, Decimal
from enum import StrEnum
from functools import lru_cache
from typing import TYPE_CHECKING, TypeVar

from .frozen import one_step_init
from .money import CENT, HUNDRED, ZERO, round_to

if TYPE_CHECKING:
    from .voucher import Line

K = TypeVar("K", bound=Hashable)
_ONE = Decimal(1)


class PriceBasis(StrEnum):
    """Which amount of a line the shop priced; the other one follows by the rule."""

    GROSS = "gross"
    NET = "net"


# Python 3.11 reads an enum member through its class by EnumType.__getattr__'s slow hook
# (four times a global's cost): the basis is compared a few times for every rate of every
# voucher imported or sent, so against this name.
_GROSS = PriceBasis.GROSS


@one_step_init
@dataclass(frozen=True)
class TaxGroup:
    """One tax rate of a voucher: its total and the tax the invoice states on it."""

    rate: Decimal
    net: Decimal
    gross: Decimal
    lines: int

    @property
    def tax(self) -> Decimal:
        return self.gross - self.net


@one_step_init
@dataclass(frozen=True)
class Position:
    """What a target books: lines of one rate on one category or account, in cents."""

    rate: Decimal
    key: Hashable
    net: Decimal
    gross: Decimal
    lines: int

    @property
    def tax(self) -> Decimal:
        return self.gross - self.net


def rate_key(rate: Decimal) -> Decimal:
    """One value per rate however the source wrote it: ``19.00`` and ``19`` are ``19``
    (never ``normalize``'s ``2E+1``), ``5.50`` is ``5.5``."""
    # by its text, which is the Decimal exactly (``-0`` and ``0`` are equal, yet keyed
    # apart): a voucher's few rates are keyed for its tax groups and checks, on every
    # voucher imported or sent
    return _rate_key(str(rate))


@lru_cache(maxsize=1024)
def _rate_key(exact: str) -> Decimal:
    rate = Decimal(exact)
    if rate == rate.to_integral_value():
        return rate.quantize(_ONE)
    return rate.normalize()


def rate_tax(amount: Decimal, rate: Decimal, basis: PriceBasis, unit: Decimal = CENT) -> Decimal:
    """The tax of a rate's total ``amount`` (gross or net, by ``basis``), rounded once to
    the currency's ``unit`` (cents; whole yen for JPY)."""
    base = HUNDRED + rate if basis is _GROSS else HUNDRED
    return round_to(amount * rate / base, unit)


def priced(line: Line, basis: PriceBasis) -> Decimal:
    return line.gross if basis is _GROSS else line.net


def group_of(
    rate: Decimal, priced_total: Decimal, lines: int, basis: PriceBasis, unit: Decimal = CENT
) -> TaxGroup:
    """A rate's group from the total of its priced amounts (rounded to ``unit`` here)."""
    total = round_to(priced_total, unit)
    tax = rate_tax(total, rate, basis, unit)
    # by position: a keyword call costs a dataclass's __init__ a third more
    if basis is _GROSS:
        return TaxGroup(rate, total - tax, total, lines)
    return TaxGroup(rate, total, total + tax, lines)


def tax_groups(
    lines: Sequence[Line], basis: PriceBasis, unit: Decimal = CENT
) -> tuple[TaxGroup, ...]:
    """The voucher's rates, highest first, each with the tax the invoice states."""
    # a running total per rate adds what ``sum(amounts, ZERO)`` would, in the same order
    # (ZERO first, then each line's): the same Decimal, without a list per rate
    totals: dict[Decimal, Decimal] = {}
    counts: dict[Decimal, int] = {}
    gross = basis is _GROSS
    for line in lines:
        rate = rate_key(line.tax_rate)
        totals[rate] = totals.get(rate, ZERO) + (line.gross if gross else line.net)
        counts[rate] = counts.get(rate, 0) + 1
    return tuple(
        group_of(rate, totals[rate], counts[rate], basis, unit)
        for rate in sorted(totals, reverse=True)
    )


def allocate(total: Decimal, weights: Sequence[Decimal], unit: Decimal = CENT) -> list[Decimal]:
    """Split the amount ``total`` (whole ``unit``s) in proportion to ``weights``
    (largest remainder).

    The parts are cents and add up to ``total`` exactly; each part is within a
    cent of its exact proportional share. Equal remainders go to the earlier
    weight, so the split is deterministic. Weights that sum to zero give the
    whole amount to the largest weight (by size).
    """
    if not weights:
        raise ValueError("nothing to allocate to")
    whole = sum(weights, ZERO)
    if whole == 0:
        biggest = max(range(len(weights)), key=lambda i: (abs(weights[i]), -i))
        return [total if i == biggest else ZERO for i in range(len(weights))]
    shares = [total * w / whole for w in weights]
    parts = [s.quantize(unit, rounding=ROUND_FLOOR) for s in shares]
    left = int((total - sum(parts, ZERO)) / unit)
    by_remainder = sorted(range(len(shares)), key=lambda i: (-(shares[i] - parts[i]), i))
    for i in by_remainder[:left]:
        parts[i] += unit
    return parts


def split_by_rates(amount: Decimal, bases: Mapping[Decimal, Decimal]) -> dict[Decimal, Decimal]:
    """An amount that belongs to all rates (coupon, order discount, shipping) split in
    proportion to each rate's ``bases`` (§ 17 Abs. 1 UStG / UStAE 10.1 Abs. 3 for
    discounts: each rate's consideration is reduced by its share)."""
    rates = sorted(bases, reverse=True)
    return dict(zip(rates, allocate(amount, [bases[r] for r in rates]), strict=True))


def positions(
    lines: Sequence[Line],
    basis: PriceBasis,
    key_of: Callable[[Line], K],
    unit: Decimal = CENT,
    *,
    non_negative: bool = False,
) -> list[Position]:
    """The lines summed per (rate, ``key_of(line)``), highest rate first.

    The priced amount of a position is the (rounded) sum of its lines; the rate's
    tax is allocated over its positions in proportion to their priced amounts,
    the remaining cent going where the rounding left most behind.

    ``non_negative`` (for a target that books positive positions only): a position
    that a discount leaves negative is absorbed by the rate's other positions
    (:func:`absorb_negative`), so no position of a rate whose total is not negative
    is below zero. A rate whose total is negative keeps its negative position; the
    target refuses it.
    """
    by_rate: dict[Decimal, dict[K, list[Decimal]]] = {}
    for line in lines:
        keys = by_rate.setdefault(rate_key(line.tax_rate), {})
        keys.setdefault(key_of(line), []).append(priced(line, basis))
    result: list[Position] = []
    for rate, keys in sorted(by_rate.items(), key=lambda kv: kv[0], reverse=True):
        group = group_of(rate, sum((sum(a, ZERO) for a in keys.values()), ZERO), 0, basis, unit)
        exact = [sum(a, ZERO) for a in keys.values()]
        total = group_total(group, basis)
        amounts = _unit_amounts(exact, total, unit)
        counts = [len(members) for members in keys.values()]
        if non_negative:
            amounts, counts = absorb_negative(amounts, counts, total, unit)
        taxes = allocate(group.tax, amounts, unit)
        for key, amount, tax, count in zip(keys, amounts, taxes, counts, strict=True):
            if count == 0:
                continue  # absorbed entirely: nothing of it is booked on its own
            net, gross = (amount - tax, amount) if basis is _GROSS else (amount, amount + tax)
            result.append(Position(rate=rate, key=key, net=net, gross=gross, lines=count))
    return result


def absorb_negative(
    amounts: list[Decimal], counts: list[int], total: Decimal, unit: Decimal = CENT
) -> tuple[list[Decimal], list[int]]:
    """One rate's position amounts without a negative one, where the rate's ``total`` allows.

    A discount booked on one position (lexoffice: its rate's largest category) can
    exceed that position while the rate's total stays positive (goods 10 € and a fee
    4.90 € on another category, a 12 € coupon on the goods). Then the negative part is
    absorbed by the rate's positive positions in proportion to their amounts: the rate's
    total is split over them (:func:`allocate`, largest remainder), each keeping the
    same share of its amount, and the negative position books nothing (goods 0 €, fee
    2.90 €). The rate's net, tax and gross, the figures of the return, do not change;
    only their split over categories does. The parts are whole
    units adding up to ``total`` exactly, none below zero. A position left at zero (the
    negative ones, and a small one the split rounds away) gives its lines to the rate's
    largest position (``counts``: lines per position); one left with no lines is one
    the caller drops.

    Positions that are all non-negative, or a negative ``total`` (no split can make
    its positions positive), are returned as they are.
    """
    if total < 0 or all(a >= 0 for a in amounts):
        return amounts, counts
    weights = [a if a > 0 else ZERO for a in amounts]
    parts = allocate(total, weights, unit)
    largest = max(range(len(amounts)), key=lambda i: (weights[i], -i))
    gone = [i != largest and parts[i] == 0 for i in range(len(parts))]
    absorbed = sum(c for c, g in zip(counts, gone, strict=True) if g)
    new_counts = [
        0 if gone[i] else c + (absorbed if i == largest else 0) for i, c in enumerate(counts)
    ]
    return parts, new_counts


def group_total(group: TaxGroup, basis: PriceBasis) -> Decimal:
    return group.gross if basis is _GROSS else group.net


def _unit_amounts(exact: list[Decimal], total: Decimal, unit: Decimal) -> list[Decimal]:
    """Sums of positions finer than the unit made whole units adding up to the rate's total."""
    if all(a == round_to(a, unit) for a in exact):
        return exact
    return allocate(total, exact, unit)
