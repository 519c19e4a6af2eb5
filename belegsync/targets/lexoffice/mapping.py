"""Voucher → lexoffice bookkeeping voucher (``POST /v1/vouchers`` body). Pure, no I/O.

Reference: tests/reference/lexoffice/README.md §5.1.

- One item per (category, tax rate), as lexoffice wants positions "grouped by
  tax rate" (README §5.1 rule 8): ``Voucher.positions`` keyed by category. Goods
  and shipping at the same rate share a category and so become one item.
- ``taxType`` follows the shop's prices: ``gross`` (item ``amount`` = the
  position's gross) or ``net`` (``amount`` = its net). Each rate's ``taxAmount``
  is the rate's tax as the invoice states it (one rounding on the rate's total,
  docs/bookkeeping.md "Tax per rate"), split over the rate's items so each is
  within a cent of ``amount × rate`` (README §5.1 rule 3: lexoffice may recompute
  an item's tax; unverified). Totals are the sums of the items, so lexoffice's
  checks ``totalGrossAmount == Σ amount`` (gross) or ``Σ (amount + taxAmount)``
  (net) and ``totalTaxAmount == Σ taxAmount`` hold by construction.
- Credit notes are ``salescreditnote`` with positive amounts (the type carries
  the direction), like the neutral voucher.
- Categories by tax treatment: domestic → Warenverkäufe, but a private buyer in
  another member state taxed in Germany (below the threshold) → "Fernverkauf"; EU
  distance sale →
  "Fernverkauf in EU-Land steuerpflichtig" with the buyer country's rate when the
  lexoffice profile says DESTINATION, "Fernverkauf" with German rates when it
  says ORIGIN; intra-community supply, export and small business → their
  tax-free categories. Each can be overridden per connection.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from belegsync.bookkeeping import Line, LineCategory, PriceBasis, TaxTreatment, Voucher, VoucherKind
from belegsync.bookkeeping.currency import in_euros, needs_rate
from belegsync.bookkeeping.money import ZERO, format_rate
from belegsync.bookkeeping.tax import GERMAN_RATES, SELLER_COUNTRY, is_eu
from belegsync.connectors.errors import ConfigError, RemoteIssue, ValidationRejected

GOODS = "8f8664a8-fd86-11e1-a21f-0800200c9a66"  # Warenverkäufe
INCOME = "8f8664a1-fd86-11e1-a21f-0800200c9a66"  # Einnahmen
INTRA_EU_SUPPLY = "9075a4e3-66de-4795-a016-3889feca0d20"  # Innergemeinschaftliche Lieferung
EXPORT = "93d24c20-ea84-424e-a731-5e1b78d1e6a9"  # Ausfuhrlieferungen an Drittländer
SMALL_BUSINESS = "7a1efa0e-6283-4cbf-9583-8e88d3ba5960"  # Einnahmen als Kleinunternehmer
DISTANCE_SALE_ORIGIN = "7c112b66-0565-479c-bc18-5845e080880a"  # Fernverkauf
DISTANCE_SALE_DESTINATION = "4ebd965a-7126-416c-9d8c-a5c9366ee473"  # Fernverkauf in EU-Land

DESTINATION = "DESTINATION"
ORIGIN = "ORIGIN"

#: Treatments whose category needs the buyer as a lexoffice contact (its VAT id).
CONTACT_REQUIRED = frozenset({TaxTreatment.INTRA_EU_SUPPLY})

#: Keys merchants may override in the connection settings (``category_overrides``).
OVERRIDE_KEYS = (
    *(c.value for c in LineCategory),
    *(t.value for t in TaxTreatment if t is not TaxTreatment.DOMESTIC),
)

REMARK_LIMIT = 1000  # lexoffice's limit for ``remark`` is undocumented (unverified)


@dataclass(frozen=True)
class MappingOptions:
    #: The profile's ``distanceSalesPrinciple``; None when not set in lexoffice.
    distance_sales_principle: str | None = None
    #: Book against this contact instead of the collective one.
    contact_id: str | None = None
    #: ``line category`` (domestic) or ``tax treatment`` → categoryId.
    category_overrides: Mapping[str, str] = field(default_factory=dict)
    #: Which date is the voucherDate: "invoice", "payment" or "order" (the connection's
    #: ``document_date``; the invoice date when the chosen one is unknown).
    document_date: str = "invoice"


def sold_abroad_in_eu(voucher: Voucher) -> bool:
    """A private buyer in another member state: a distance sale (§ 3c UStG is B2C only)."""
    party = voucher.party
    country = party.country.upper()
    private = not (party.company.strip() or party.vat_id.strip())
    return private and country != SELLER_COUNTRY and is_eu(country)


def needs_principle(voucher: Voucher) -> bool:
    return voucher.tax_treatment is TaxTreatment.EU_DISTANCE_SALE


def needs_contact(voucher: Voucher) -> bool:
    return voucher.tax_treatment in CONTACT_REQUIRED


def category_for(voucher: Voucher, line_category: LineCategory, options: MappingOptions) -> str:
    treatment = voucher.tax_treatment
    overrides = options.category_overrides
    if treatment is TaxTreatment.DOMESTIC and sold_abroad_in_eu(voucher):
        # A private buyer elsewhere in the EU taxed in Germany (below the threshold,
        # origin principle): lexoffice's "Fernverkauf", not the domestic categories
        # (README §5.1: B2C sales into other EU countries must use the distance-sales
        # categories). The origin-principle override key is eu_distance_sale too.
        return overrides.get(TaxTreatment.EU_DISTANCE_SALE.value, DISTANCE_SALE_ORIGIN)
    if treatment is TaxTreatment.DOMESTIC:
        default = INCOME if line_category is LineCategory.FEE else GOODS
        return overrides.get(line_category.value, default)
    if treatment is TaxTreatment.EU_DISTANCE_SALE:
        return overrides.get(treatment.value, _distance_sale_category(voucher, options))
    default = {
        TaxTreatment.INTRA_EU_SUPPLY: INTRA_EU_SUPPLY,
        TaxTreatment.EXPORT: EXPORT,
        TaxTreatment.SMALL_BUSINESS: SMALL_BUSINESS,
    }[treatment]
    return overrides.get(treatment.value, default)


def _distance_sale_category(voucher: Voucher, options: MappingOptions) -> str:
    principle = options.distance_sales_principle
    if principle == DESTINATION:
        return DISTANCE_SALE_DESTINATION
    rates = {line.tax_rate for line in voucher.lines}
    if principle == ORIGIN and rates <= GERMAN_RATES:
        return DISTANCE_SALE_ORIGIN
    country = voucher.party.country
    foreign = ", ".join(f"{r.normalize()} %" for r in sorted(rates - GERMAN_RATES))
    raise ConfigError(
        f"Voucher {voucher.number} is an EU distance sale to {country} taxed at {country}'s "
        f"rate ({foreign}), but your lexoffice profile books distance sales "
        f"{'at the origin (ORIGIN)' if principle == ORIGIN else 'without a principle set'}. "
        "lexoffice accepts foreign rates only with the destination principle: set "
        "'Fernverkäufe: Bestimmungslandprinzip' in lexoffice's settings (or the connection's "
        "distance-sales setting to DESTINATION) and reset the document.",
        code="lexoffice.distance_sale_needs_destination",
        params={"country": country, "rates": sorted(rates - GERMAN_RATES)},
    )


def group_items(voucher: Voucher, options: MappingOptions) -> list[dict[str, Any]]:
    """The voucher's positions per (category, rate): lexoffice's items, in Decimal.

    A discount goes to the category of the largest position of its rate, whatever
    that position's category (goods may be overridden to another category than the
    discount's), unless the merchant gave discounts a category of their own. Where
    that leaves a position negative (a 12 € coupon on 10 € goods beside a 4.90 € fee),
    the rate's other positions absorb it in proportion (``amounts.absorb_negative``):
    lexoffice's items are positive. Only a rate whose total is negative is refused.
    """
    category_of = _categories(voucher, options)
    net_priced = voucher.prices is PriceBasis.NET
    items = [
        {
            "amount": p.net if net_priced else p.gross,
            "taxAmount": p.tax,
            "taxRatePercent": p.rate,
            "categoryId": p.key,
        }
        for p in sorted(
            voucher.positions(category_of, non_negative=True), key=lambda p: (-p.rate, str(p.key))
        )
    ]
    _refuse_negative(voucher, items)
    return items


def _categories(voucher: Voucher, options: MappingOptions) -> Callable[[Line], str]:
    """Each line's category id; discounts follow their rate's largest position."""
    own_discount_category = "discount" in options.category_overrides
    sums: dict[tuple[str, Decimal], Decimal] = {}
    for line in voucher.lines:
        if line.category is LineCategory.DISCOUNT and not own_discount_category:
            continue
        key = (category_for(voucher, line.category, options), line.tax_rate.normalize())
        sums[key] = sums.get(key, ZERO) + line.gross
    largest: dict[Decimal, str] = {}
    for (category_id, rate), _gross in sorted(sums.items(), key=lambda kv: (kv[1], kv[0][0])):
        largest[rate] = category_id  # ascending, so the largest stays

    def category_of(line: Line) -> str:
        if line.category is LineCategory.DISCOUNT and not own_discount_category:
            rate = line.tax_rate.normalize()
            if rate in largest:
                return largest[rate]
        return category_for(voucher, line.category, options)

    return category_of


def _refuse_negative(voucher: Voucher, items: list[dict[str, Any]]) -> None:
    """lexoffice positions are positive (the type carries the direction; README §5.1).

    After ``absorb_negative`` an item is negative only when its rate's total is: a
    discount at a rate larger than what the document sells at it, which no split
    over categories can book.
    """
    bad = [i for i, item in enumerate(items) if item["amount"] < 0 or item["taxAmount"] < 0]
    if bad:
        rate = items[bad[0]]["taxRatePercent"]
        total = sum((item["amount"] for item in items if item["taxRatePercent"] == rate), ZERO)
        raise ValidationRejected(
            f"Voucher {voucher.number}: after discounts the total at {rate} % is negative "
            f"({total}); lexoffice books no negative amount at a tax rate. Correct the "
            "discount's tax rate, or issue the refund as a credit note.",
            issues=[RemoteIssue(f"voucherItems[{i}].amount", "negative") for i in bad],
            code="lexoffice.negative_rate_total",
            params={"rate": rate, "amount": total},
        )


def remark(voucher: Voucher) -> str:
    """Free text searchable in lexoffice: where the voucher came from."""
    parts: list[str] = []
    if voucher.kind is VoucherKind.CREDIT_NOTE:
        parts.append(
            f"Refund for {voucher.refers_to}"
            if voucher.refers_to
            else "Refund, no original invoice named"
        )
    if voucher.order_number:
        parts.append(f"order {voucher.order_number}")
    if voucher.shop:
        parts.append(f"shop {voucher.shop}")
    if voucher.original is not None:
        parts.append(original_text(voucher))
    parts += [f"{name} {value}" for name, value in sorted(voucher.source_refs.items())]
    if voucher.party.display_name:
        parts.append(f"buyer {voucher.party.display_name}")
    return " / ".join(parts)[:REMARK_LIMIT]


def refuse_foreign_currency(voucher: Voucher) -> None:
    """lexoffice books euros only ([BK-COOKBOOK] "Hinweis", README §5.1 rule 4): a
    voucher in another currency is booked in euros at the rate the source supplies
    (``currency.in_euros``), and never without one: a foreign amount is never sent as if
    it were euros."""
    if needs_rate(voucher):
        raise ValidationRejected(
            f"Voucher {voucher.number} is in {voucher.currency}; lexoffice books euros only "
            "and the source gives no exchange rate, so belegsync does not send it.",
            code="currency_not_eur",
            params={"currency": voucher.currency, "system": "lexoffice"},
        )


def original_text(voucher: Voucher) -> str:
    """The invoice's own currency, for a voucher booked in euros (the remark says so)."""
    original = voucher.original
    if original is None:
        return ""
    return (
        f"invoice in {original.currency} {original.gross}, booked in EUR at "
        f"{format_rate(original.per_euro)} {original.currency} per EUR (the shop's rate)"
    )


def to_lexoffice(voucher: Voucher, options: MappingOptions) -> dict[str, Any]:
    """The voucher body in Decimal and date values (see :func:`to_json` for the wire)."""
    refuse_foreign_currency(voucher)
    voucher = in_euros(voucher)
    items = group_items(voucher, options)
    body: dict[str, Any] = {
        "type": "salescreditnote" if voucher.is_credit_note else "salesinvoice",
        "voucherNumber": voucher.number,
        "voucherDate": voucher.booking_date(options.document_date),
    }
    if voucher.delivery_date:
        body["shippingDate"] = voucher.delivery_date
    tax = sum((item["taxAmount"] for item in items), ZERO)
    amounts = sum((item["amount"] for item in items), ZERO)
    net_priced = voucher.prices is PriceBasis.NET
    body["totalGrossAmount"] = amounts + tax if net_priced else amounts
    body["totalTaxAmount"] = tax
    body["taxType"] = "net" if net_priced else "gross"
    if options.contact_id:
        body["useCollectiveContact"] = False
        body["contactId"] = options.contact_id
    else:
        body["useCollectiveContact"] = True
        if voucher.party.display_name:
            body["contactName"] = voucher.party.display_name
    text = remark(voucher)
    if text:
        body["remark"] = text
    body["voucherItems"] = items
    return body


def to_json(value: Any) -> Any:
    """Decimal → JSON number, date → ``yyyy-MM-dd``, recursively.

    Amounts become floats only here, at the wire: a two-decimal amount below
    10^13 survives ``float`` and Python's shortest ``repr`` exactly (tested), and
    lexoffice reads JSON numbers. Everything before this point is Decimal.
    """
    if isinstance(value, dict):
        return {k: to_json(v) for k, v in value.items()}
    if isinstance(value, list):
        return [to_json(v) for v in value]
    if isinstance(value, Decimal):
        return int(value) if value == value.to_integral_value() else float(value)
    if isinstance(value, dt.date):
        return value.isoformat()
    return value
