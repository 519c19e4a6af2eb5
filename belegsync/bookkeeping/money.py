"""Money: ``Decimal`` in the voucher's currency, rounded half-up to cents.

Rounding happens only at the points that call :func:`round_cents` on purpose:
a line's gross from its net (or the other way round) and the tax of a rate
group. German commercial practice and both bookkeeping APIs round half up
(kaufmännisches Runden), never half-even.
"""

from __future__ import annotations

import functools
from decimal import ROUND_HALF_UP, Decimal

CENT = Decimal("0.01")
#: The currency German books are kept in (§ 16 Abs. 6 UStG converts the others).
EURO = "EUR"
ZERO = Decimal("0.00")
HUNDRED = Decimal(100)


#: ISO 4217 currencies whose smallest unit is not the hundredth (the rest have cents).
MINOR_UNITS: dict[str, Decimal] = {
    **dict.fromkeys(("JPY", "KRW", "ISK", "CLP", "VND", "PYG", "UGX", "XAF", "XOF"), Decimal(1)),
    **dict.fromkeys(("BHD", "KWD", "OMR", "JOD", "TND", "IQD", "LYD"), Decimal("0.001")),
}


def minor_unit(currency: str) -> Decimal:
    """The smallest amount of ``currency`` an invoice states: 0.01, 1 for JPY, 0.001 for KWD."""
    return MINOR_UNITS.get(currency.upper(), CENT)


# The rounding is passed by position: CPython's decimal parses a keyword argument
# (``rounding=``) at about twice the cost of the rounding itself, and every voucher
# rounds a dozen times on import (same method, same result).
def round_cents(amount: Decimal) -> Decimal:
    """Round half up to whole cents: 0.005 -> 0.01, -0.005 -> -0.01."""
    return amount.quantize(CENT, ROUND_HALF_UP)


def round_to(amount: Decimal, unit: Decimal) -> Decimal:
    """Round half up to whole ``unit`` (a currency's minor unit)."""
    # nearly every unit is CENT itself: known by identity before comparing decimals
    return amount.quantize(CENT if unit is CENT or unit == CENT else unit, ROUND_HALF_UP)


def gross_from_net(net: Decimal, tax_rate: Decimal) -> Decimal:
    """Gross of a net amount at ``tax_rate`` percent, rounded to cents."""
    return round_cents(net * (HUNDRED + tax_rate) / HUNDRED)


def net_from_gross(gross: Decimal, tax_rate: Decimal) -> Decimal:
    """Net of a gross amount at ``tax_rate`` percent, rounded to cents."""
    return round_cents(gross * HUNDRED / (HUNDRED + tax_rate))


def tax_of_net(net: Decimal, tax_rate: Decimal) -> Decimal:
    """Tax on a net amount at ``tax_rate`` percent, rounded to cents."""
    return round_cents(net * tax_rate / HUNDRED)


def format_rate(rate: Decimal) -> str:
    """A tax rate for people: ``19``, ``5.5``, ``25.5`` (no exponent, no trailing zeros)."""
    # by its text, which is the Decimal exactly (sign, digits, exponent: ``-0`` and
    # ``19.00`` are not ``0`` and ``19``): a voucher has few rates and quantities, and
    # serialising one formats each of its lines' (normalize and format cost ten dict
    # look-ups)
    return _formatted_rate(str(rate))


@functools.lru_cache(maxsize=1024)
def _formatted_rate(exact: str) -> str:
    text = format(Decimal(exact).normalize(), "f")
    return text.rstrip("0").rstrip(".") if "." in text else text
