"""Amounts of the whole order: discounts, coupons, surcharges and shipping.

One rule for every source, so every target books the same (docs/bookkeeping.md,
"Discounts and shipping"):

- **A discount or coupon that is a price reduction** (an order discount, Billbee's
  ``AdjustmentCost``, a negative item) reduces the consideration of every supply
  it belongs to (§ 17 Abs. 1 UStG). On a basket of several rates it is split over
  the rates in proportion to the goods of each rate (their priced amounts: the
  same percentage off every item, so every rate's consideration shrinks by the
  same share). An order surcharge is split the same way: it is part of the
  consideration for the goods.
  A coupon that is a *means of payment* (a multi-purpose voucher, § 3 Abs. 15
  UStG: Billbee's ``IsCoupon``) is no price reduction and stays a payment.
- **Shipping** is an ancillary service that follows the goods it ships
  (Abschn. 3.10 UStAE). It is booked at the rate the invoice states for it (an
  Afterbuy ``ShippingTaxRate``, a Rechnungsliste's shipping rate); where the
  source states none (Billbee orders), at the main rate: the highest rate of the
  goods, as Billbee's own invoice prints it (no tax is lost that way).
"""

from __future__ import annotations

from collections.abc import Sequence
from decimal import Decimal

from .amounts import PriceBasis, priced, rate_key, split_by_rates
from .money import ZERO, format_rate, gross_from_net, net_from_gross, round_cents
from .voucher import Line, LineCategory


def goods_bases(lines: Sequence[Line], basis: PriceBasis) -> dict[Decimal, Decimal]:
    """The goods' priced amount per rate: what an order-level amount is split by."""
    bases: dict[Decimal, Decimal] = {}
    for line in lines:
        if line.category is LineCategory.GOODS:
            rate = rate_key(line.tax_rate)
            bases[rate] = bases.get(rate, ZERO) + priced(line, basis)
    return {rate: amount for rate, amount in bases.items() if amount > 0}


def main_rate(lines: Sequence[Line]) -> Decimal:
    """The rate shipping takes when the invoice states none: the goods' highest."""
    return max(
        (rate_key(ln.tax_rate) for ln in lines if ln.category is LineCategory.GOODS),
        default=Decimal(0),
    )


def spread_over_rates(
    line: Line, goods: Sequence[Line], basis: PriceBasis = PriceBasis.GROSS
) -> list[Line]:
    """An order-level line split over the goods' rates in proportion (see module doc).

    With goods at one rate it moves to that rate; without goods it stays as it is.
    Each part's description names its rate ("Gutschein (7 %)").
    """
    bases = goods_bases(goods, basis)
    if not bases:
        return [line]
    if len(bases) == 1:
        [rate] = bases
        if rate_key(line.tax_rate) == rate:
            return [line]
        return [_at_rate(line, round_cents(priced(line, basis)), rate, basis, "")]
    parts = split_by_rates(round_cents(priced(line, basis)), bases)
    return [
        _at_rate(line, part, rate, basis, f" ({format_rate(rate)} %)")
        for rate, part in parts.items()
        if part != 0
    ]


def _at_rate(line: Line, amount: Decimal, rate: Decimal, basis: PriceBasis, suffix: str) -> Line:
    if basis is PriceBasis.GROSS:
        net, gross = net_from_gross(amount, rate), amount
    else:
        net, gross = amount, gross_from_net(amount, rate)
    return Line(line.description + suffix, line.quantity, net, gross, rate, line.category, line.sku)
