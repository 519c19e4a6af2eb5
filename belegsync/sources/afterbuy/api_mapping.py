"""One ``GetSoldItems`` order → the neutral voucher, the same one the CSV import makes.

A *mapper* in OCA's words: a pure function of the order XML. It mirrors the
item layout of the Rechnungsliste reader (:mod:`.csv`) on purpose, so an invoice
imported by CSV and later read by the API is the *same* document with the same
data (tested on the shared generator's invoices):

- one line per sold item: gross = ``ItemPrice`` (gross unit price, README §5.3) ×
  ``ItemQuantity``, rounded half-up to cents; net from gross at ``TaxRate``;
  a free item (price 0) is left out, a negative one is a discount;
- shipping (``ShippingTotalCost``) as a line at ``ShippingTaxRate``;
- a credit note (``Plattform=gutschrift`` query, or a negative ``FullAmount``)
  has negative amounts in Afterbuy (speculative, README §8); the voucher's are
  positive, the kind carries the direction (bookkeeping convention);
- tax rates are written as the CSV has them (``19``, not ``19.00``), so the
  stored voucher is identical, not merely equal;
- payment: ``AlreadyPaid`` by ``PaymentMethod`` on ``PaymentDate``, as the
  Rechnungsliste's "Bereits bezahlt" / "Zahlungsart" / "Bezahlt am";
- the customer number is ``AfterbuyUserIDAlt`` (the reference CSV's
  "Kundennummer" of the same buyer), else ``AfterbuyUserID``.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from typing import Any
from xml.etree.ElementTree import Element

from belegsync.bookkeeping import (
    CENT,
    ZERO,
    Line,
    LineCategory,
    Party,
    Payment,
    Voucher,
    VoucherKind,
    main_rate,
    net_from_gross,
    round_cents,
    spread_over_rates,
)
from belegsync.bookkeeping.voucher import Original
from belegsync.connectors.reasons import Reason

from .api import BERLIN, child, text
from .columns import iso_country

CREDIT_PLATFORM = "gutschrift"
_TRUE = {"1", "-1", "true"}
_REFERS = re.compile(r"(?:Rechnung|Rechnungsnummer|invoice)\s*(?:Nr\.?|no\.?)?\s*:?\s*(\S+)", re.I)


class UnreadableOrder(ValueError):
    """A value of the order cannot be read; the message names the order and the field.

    ``reason`` is what the merchant reads (a code of ``belegsync.reasons``).
    """

    def __init__(self, message: str, code: str, **params: Any) -> None:
        super().__init__(message)
        self.reason = Reason(code, params)


@dataclass(frozen=True)
class MappedOrder:
    voucher: Voucher
    order_id: str
    modified: dt.datetime | None
    #: Why it must not be booked from Afterbuy as it is (invoice issued elsewhere).
    skip_reasons: list[Reason] = field(default_factory=list)
    meta: Mapping[str, Any] = field(default_factory=dict)


def decimal(value: str, what: str, order: str) -> Decimal:
    """Afterbuy's decimal comma (``110,05``); a dot alone is read as a decimal point."""
    cleaned = value.strip().replace("\u00a0", "").replace(" ", "")
    if "," in cleaned:
        cleaned = cleaned.replace(".", "").replace(",", ".")
    try:
        return Decimal(cleaned) if cleaned else ZERO
    except InvalidOperation:
        raise UnreadableOrder(
            f"Afterbuy order {order}: {what} '{value}' is not a number.",
            "afterbuy.not_a_number",
            number=order,
            value=value,
        ) from None


def rate(value: Decimal) -> Decimal:
    """A tax rate as the Rechnungsliste writes it: ``19`` for 19,00, ``5.5`` for 5,50."""
    return value.quantize(Decimal(1)) if value == value.to_integral_value() else value.normalize()


def moment(value: str, what: str, order: str) -> dt.datetime | None:
    """``dd.MM.yyyy HH:mm:ss`` or ``dd.MM.yyyy`` in German local time; empty → None."""
    value = value.strip()
    if not value:
        return None
    for pattern in ("%d.%m.%Y %H:%M:%S", "%d.%m.%Y %H:%M", "%d.%m.%Y"):
        try:
            return dt.datetime.strptime(value, pattern).replace(tzinfo=BERLIN)
        except ValueError:
            continue
    raise UnreadableOrder(
        f"Afterbuy order {order}: {what} '{value}' is not a date (dd.mm.yyyy).",
        "afterbuy.not_a_date",
        number=order,
        value=value,
    )


def day(value: str, what: str, order: str) -> dt.date | None:
    when = moment(value, what, order)
    return when.date() if when else None


def is_true(value: str) -> bool:
    return value.strip().lower() in _TRUE


def country(address: Element | None) -> str:
    """ISO code from ``CountryISO``, else Afterbuy's ``Country`` (``D``, ``A``; README §5.3).

    An unknown country stays as Afterbuy wrote it, so the voucher fails with
    "not a two-letter country code" instead of being taxed as German by guess.
    No country at all is read as the seller's own, Germany (unverified).
    """
    for name in ("CountryISO", "Country"):
        code = iso_country(text(address, name))
        if code:
            return code
    return text(address, "Country") or text(address, "CountryISO") or "DE"


def party(order: Element) -> Party:
    buyer = child(order, "BuyerInfo")
    billing = child(buyer, "BillingAddress")
    shipping = child(buyer, "ShippingAddress")
    first, last = text(billing, "FirstName"), text(billing, "LastName")
    street = ", ".join(s for s in (text(billing, "Street"), text(billing, "Street2")) if s)
    vat_id = text(billing, "TaxIDNumber") or text(shipping, "TaxIDNumber")
    return Party(
        name=f"{first} {last}".strip(),
        company=text(billing, "Company"),
        customer_number=text(billing, "AfterbuyUserIDAlt") or text(billing, "AfterbuyUserID"),
        street=street,
        zip_code=text(billing, "PostalCode"),
        city=text(billing, "City"),
        country=country(billing),
        vat_id=vat_id.replace(" ", "").upper(),
        email=text(billing, "Mail"),
    )


@dataclass(frozen=True)
class OrderCurrency:
    """What the order's amounts are in, read from ``ItemOriginalCurrency`` and
    ``OrderOriginalCurrency`` (README §5.3; their meaning is **unverified**)."""

    currency: str = "EUR"
    original: Original | None = None


def order_currency(order: Element, full: Decimal, label: str) -> OrderCurrency:
    """The currency of the order's amounts, designed for both readings of the reference.

    Afterbuy states amounts in the account's currency (euros) and the original
    currency beside them (``ItemPriceCode``, ``OrderOriginalCurrency/InvoiceAmount``,
    ``ExchangeRate``), **unverified**, as is the direction of ``ExchangeRate``:

    - no foreign code: euros, as before;
    - a foreign code with an ``InvoiceAmount`` that differs from ``FullAmount``: the
      amounts are euros and the original is the other one; the rate is per euro when
      ``FullAmount × rate`` gives the original (to a cent per unit of the rate), the
      other way round when ``FullAmount ÷ rate`` does, and left unnamed otherwise;
    - a foreign code with the same amounts: the amounts are in that currency, and
      which way the rate goes cannot be told from them, so the voucher carries no rate
      and every euro target refuses it (``currency_not_eur``): never read as euros.
    """
    codes = [text(child(i, "ItemOriginalCurrency"), "ItemPriceCode") for i in _items(order)]
    original_currency = child(order, "OrderOriginalCurrency")
    codes.append(text(original_currency, "InvoiceAmountCode"))
    code = next((c.upper() for c in codes if c and c.upper() != "EUR"), "")
    if not code:
        return OrderCurrency()
    amount_text = text(original_currency, "InvoiceAmount")
    if not amount_text or abs(decimal(amount_text, "InvoiceAmount", label)) == abs(full):
        return OrderCurrency(currency=code)
    amount = abs(decimal(amount_text, "InvoiceAmount", label))
    given = decimal(text(original_currency, "ExchangeRate"), "ExchangeRate", label)
    per_euro = _per_euro(abs(full), amount, given)
    if per_euro is None:
        return OrderCurrency()
    return OrderCurrency(original=Original(currency=code, per_euro=per_euro, gross=amount))


def _per_euro(euros: Decimal, foreign: Decimal, given: Decimal) -> Decimal | None:
    if given <= 0 or euros == 0:
        return None
    tolerance = CENT * max(Decimal(1), given, 1 / given)
    if abs(euros * given - foreign) <= tolerance:
        return given
    if abs(euros / given - foreign) <= tolerance:
        return (1 / given).quantize(Decimal("0.000001"))
    return None


def _items(order: Element) -> list[Element]:
    sold = child(order, "SoldItems")
    return list(sold.iterfind("SoldItem")) if sold is not None else []


def lines(order: Element, number: str, sign: Decimal) -> list[Line]:
    """Items, discounts spread over the goods' rates (§ 17 UStG), then shipping at its
    stated rate or the goods' main rate (``bookkeeping.order_level``)."""
    goods: list[Line] = []
    discounts: list[Line] = []
    for item in _items(order):
        price = decimal(text(item, "ItemPrice"), "ItemPrice", number)
        quantity = decimal(text(item, "ItemQuantity") or "1", "ItemQuantity", number)
        item_rate = rate(decimal(text(item, "TaxRate"), "TaxRate", number))
        if price == 0:
            continue
        gross = round_cents(price * quantity) * sign
        line = Line(
            text(item, "ItemTitle") or "Artikel",
            quantity,
            net_from_gross(gross, item_rate),
            gross,
            item_rate,
            LineCategory.DISCOUNT if gross < 0 else LineCategory.GOODS,
            sku=text(item, "Anr"),
        )
        (discounts if line.category is LineCategory.DISCOUNT else goods).append(line)
    result = list(goods)
    for line in discounts:
        result += spread_over_rates(line, goods)
    shipping_info = child(order, "ShippingInfo")
    cost = text(shipping_info, "ShippingTotalCost") or text(shipping_info, "ShippingCost")
    shipping = decimal(cost, "ShippingTotalCost", number)
    if shipping:
        stated = text(shipping_info, "ShippingTaxRate")
        shipping_rate = (
            rate(decimal(stated, "ShippingTaxRate", number)) if stated else main_rate(goods)
        )
        gross = shipping * sign
        result.append(
            Line(
                "Versand",
                Decimal(1),
                net_from_gross(gross, shipping_rate),
                gross,
                shipping_rate,
                LineCategory.SHIPPING,
            )
        )
    return result


def refers_to(order: Element) -> str:
    """The invoice a credit note corrects, from its memo (representation speculative, §8)."""
    for name in ("InvoiceMemo", "Memo", "AdditionalInfo"):
        found = _REFERS.search(text(order, name))
        if found:
            return found.group(1).rstrip(".,;")
    return ""


def modified(order: Element, number: str) -> dt.datetime | None:
    """The order's last modification: the newest ``ItemModDate`` (no order-level element)."""
    stamps = [moment(text(i, "ItemModDate"), "ItemModDate", number) for i in _items(order)]
    known = [s for s in stamps if s is not None]
    return max(known) if known else None


def map_order(order: Element, credit_query: bool = False) -> MappedOrder:
    """Raises :class:`UnreadableOrder` when a value cannot be read."""
    order_id = text(order, "OrderID")
    number = text(order, "InvoiceNumber")
    label = number or f"(Vorgang {order_id})"
    payment = child(order, "PaymentInfo")
    full = decimal(text(payment, "FullAmount"), "FullAmount", label)
    platforms = [text(i, "ItemPlatformName") for i in _items(order)]
    credit = credit_query or full < 0 or CREDIT_PLATFORM in (p.lower() for p in platforms)
    sign = Decimal(-1) if full < 0 else Decimal(1)
    voucher_lines = lines(order, label, sign)
    money_in = order_currency(order, full, label)
    paid = decimal(text(payment, "AlreadyPaid"), "AlreadyPaid", label)
    paid_on = day(text(payment, "PaymentDate"), "PaymentDate", label)
    method = text(payment, "PaymentMethod")
    invoice_date = day(text(payment, "InvoiceDate"), "InvoiceDate", label)
    if invoice_date is None:
        raise UnreadableOrder(
            f"Afterbuy order {label} has no invoice date yet.",
            "afterbuy.no_invoice_date",
            number=label,
        )
    voucher = Voucher(
        kind=VoucherKind.CREDIT_NOTE if credit else VoucherKind.INVOICE,
        number=number,
        invoice_date=invoice_date,
        lines=tuple(voucher_lines),
        total_net=sum((ln.net for ln in voucher_lines), ZERO),
        total_gross=full * sign,
        # no order-level currency in GetSoldItems; the original's fields say it (README §5.3)
        currency=money_in.currency,
        original=money_in.original,
        party=party(order),
        payments=(Payment(method or "unbekannt", abs(paid), paid_on),) if paid else (),
        order_date=day(text(order, "OrderDate"), "OrderDate", label),
        payment_date=paid_on,
        delivery_date=day(
            text(child(order, "ShippingInfo"), "DeliveryDate"), "DeliveryDate", label
        ),
        refers_to=refers_to(order) if credit else "",
        order_number=order_id,
        # the platform "Gutschrift" marks a credit note; it is no shop (as in the CSV)
        shop=next((p for p in platforms if p.lower() != CREDIT_PLATFORM), ""),
        source_refs={"afterbuy_order_id": order_id} if order_id else {},
    )
    reasons = []
    if any(
        is_true(text(i, "IsAmazonInvoiced")) or is_true(text(i, "IsExternalInvoice"))
        for i in _items(order)
    ):
        reasons.append(Reason("afterbuy.invoiced_elsewhere"))
    when = modified(order, label)
    meta = {
        "source": "afterbuy_api",
        "order_id": order_id,
        "platform": voucher.shop,
        "modified": when.isoformat() if when else "",
        "payment_transaction_id": text(payment, "PaymentTransactionID"),
    }
    return MappedOrder(voucher, order_id, when, reasons, meta)


def placeholder(order: Element, credit_query: bool = False) -> Voucher:
    """A stand-in for an order that cannot be read, so it is shown (as skipped) with its reason."""
    number = text(order, "InvoiceNumber")
    today = dt.date(1970, 1, 1)
    return Voucher(
        kind=VoucherKind.CREDIT_NOTE if credit_query else VoucherKind.INVOICE,
        number=number,
        invoice_date=today,
        lines=(Line("Vorgang nicht lesbar", Decimal(1), ZERO, ZERO, Decimal(0)),),
        total_net=ZERO,
        total_gross=ZERO,
        order_number=text(order, "OrderID"),
        source_refs={"afterbuy_order_id": text(order, "OrderID")},
    )
