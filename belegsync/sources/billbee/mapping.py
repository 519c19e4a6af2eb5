"""A Billbee order (as ``GET /api/v1/orders`` returns it) → the neutral :class:`Voucher`.

Pure: no I/O, no Django. The mapper carries the source's totals as they are
(``TotalCost``); it never repairs them, so a voucher whose lines do not add up
fails belegsync's validation with the reason.

Billbee's rules this follows (reference/billbee/README.md):

- §8: ``TotalPrice`` of an item is gross after its line discount, ``TaxAmount``
  the VAT in it (a long double); net = TotalPrice − TaxAmount, rounded half up
  to cents once, here. ``TaxIndex`` 1 → ``TaxRate1``, 2 → ``TaxRate2``, 0 → tax-free.
- §8: ``TotalCost`` is the gross total *including* shipping, adjustment and
  coupon lines (the official fixture; the swagger text disagrees — unverified).
- §8: a coupon line (``IsCoupon``) is a tax-free *means of payment*
  (Mehrzweckgutschein), not a price reduction: it becomes a payment, and the
  voucher's total is TotalCost without it (as the invoice list shows, 91.50 for
  the reference order of TotalCost 81.50).
- Shipping carries no rate on an order; Billbee's invoice shows it at the
  highest rate of the goods (reference example ``get_invoices_page.json``),
  belegsync's rule for shipping without a stated rate (``bookkeeping.main_rate``).
- An order-level ``AdjustmentCost`` (surcharge or discount) and a negative item
  (a discount line) are split over the goods' rates in proportion
  (``bookkeeping.spread_over_rates``, § 17 UStG): on a basket of 19 % and 7 % goods
  a discount reduces both rates' consideration, not only the highest.
- ``TotalPrice`` keeps its cents as Billbee gives them; an amount with more
  decimals (8.925) stays as it is, since only each rate's total is rounded. Billbee
  states each item's tax unrounded (``TaxAmount``), not per rate; their sum per
  rate, rounded once, is the rule's figure whenever each item's tax is its
  ``TotalPrice``'s at its rate, which the line check holds to a cent.
- §9: a cancellation is its own order (number ``…-GS``, ``IsCancelationFor``,
  negative amounts). It becomes a credit note with positive amounts (the
  voucher's sign convention) that refers to the original's invoice number.
- ``VatMode`` 1 small business, 2 intra-community supply, 3 export: no VAT on
  any line; 4 (margin scheme) is not supported.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from decimal import Decimal, InvalidOperation
from typing import Any
from zoneinfo import ZoneInfo

from belegsync.bookkeeping import (
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
from belegsync.connectors.reasons import Reason

#: Billbee is a German system; a date-time becomes the date it was in Germany.
BERLIN = ZoneInfo("Europe/Berlin")

ORDER_STATES: dict[int, str] = {
    1: "Bestellt",
    2: "Bestätigt",
    3: "Zahlung erhalten",
    4: "Versendet",
    5: "Reklamation",
    6: "Gelöscht",
    7: "Abgeschlossen",
    8: "Storniert",
    9: "Archiviert",
    10: "Rated",
    11: "Mahnung",
    12: "Mahnung 2",
    13: "Gepackt",
    14: "Angeboten",
    15: "Zahlungserinnerung",
    16: "Im Fulfillment",
    17: "Retoure",
}

#: Billbee's payment types (reference README §7, from the official .NET SDK).
PAYMENT_TYPES: dict[int, str] = {
    1: "Banküberweisung",
    2: "Nachnahme",
    3: "PayPal",
    4: "Barzahlung",
    6: "Gutschein",
    19: "Sofortüberweisung",
    20: "MoneyOrder",
    21: "Check",
    22: "Andere",
    23: "Lastschrift",
    24: "Moneybookers",
    25: "KLARNA_Invoice",
    26: "Rechnung",
    27: "Moneybookers_Kreditkarte",
    28: "Moneybookers_Lastschrift",
    29: "BILLPAY_Rechnung",
    30: "BILLPAY_Lastschrift",
    31: "Kreditkarte",
    32: "Maestro",
    33: "iDEAL",
    34: "EPS",
    35: "P24",
    36: "ClickAndBuy",
    37: "GiroPay",
    38: "Novalnet_Lastschrift",
    39: "KLARNA_PartPayment",
    40: "iPayment_CC",
    41: "Billsafe",
    42: "Testbestellung",
    43: "WireCard_Kreditkarte",
    44: "AmazonPayments",
    45: "Secupay_Kreditkarte",
    46: "Secupay_Lastschrift",
    47: "WireCard_Lastschrift",
    48: "EC",
    49: "Paymill_Kreditkarte",
    50: "Novalnet_Kreditkarte",
    51: "Novalnet_Rechnung",
    52: "Novalnet_PayPal",
    53: "Paymill",
    54: "Rechnung_PayPal",
    55: "Selekkt",
    56: "Avocadostore",
    57: "DirectCheckout",
    58: "Rakuten",
    59: "Vorkasse",
    60: "Kommissionsabrechnung",
    61: "Amazon_Marketplace",
    62: "Amazon_Payments_Advanced",
    63: "Stripe",
    64: "BILLPAY_PayLater",
    65: "PostFinance",
    66: "iZettle",
    67: "SumUp",
    68: "payleven",
    69: "atalanda",
    70: "Saferpay_Kreditkarte",
    71: "WireCard_PayPal",
    72: "Micropayment",
    73: "Ratenkauf",
    74: "Wayfair",
    75: "MangoPay_PayPal",
    76: "MangoPay_Sofortueberweisung",
    77: "MangoPay_Kreditkarte",
    78: "MangoPay_iDeal",
    79: "PayPal_Express",
    80: "PayPal_Lastschrift",
    81: "PayPal_Kreditkarte",
    82: "Wish",
    83: "Bancontact_Mister_Cash",
    84: "Belfius_Direct_Net",
    85: "KBC_CBC_Betaalknop",
    86: "Novalnet_Przelewy24",
    87: "Novalnet_Vorkasse",
    88: "Novalnet_Instantbank",
    89: "Novalnet_IDEAL",
    90: "Novalnet_EPS",
    91: "Novalnet_GiroPay",
    92: "Novalnet_Barzahlen",
    93: "Real",
    94: "Fruugo",
    95: "Cdiscount",
    96: "PayDirekt",
    97: "EtsyPayments",
    98: "KLARNA",
    99: "limango",
    100: "SantanderRatenkauf",
    101: "SantanderRechnungskauf",
    102: "Cashpresso",
    103: "Tipser",
    104: "Ebay",
    105: "Mollie",
    106: "MollieInvoice",
    107: "MollieCreditCard",
    108: "MollieSofort",
    109: "MollieGiroPay",
    110: "MollieMaestro",
    111: "MollieKlarnaPayLater",
    112: "MolliePayPal",
    113: "ApplePay",
    114: "Braintree",
    115: "BraintreeCreditCard",
    116: "BraintreePayPal",
    117: "MollieIdeal",
    118: "Scalapay",
    119: "OttoPayments",
    120: "IdealoDirektkaufPayments",
    121: "EasyCredit",
    122: "MollieApplePay",
    123: "MollieEPS",
    124: "CrefoPayPrepaid",
    125: "MollieBancontact",
    126: "MolliePrzelewy24",
    127: "MollieKlarnaRatenkauf",
    128: "MollieKlarnaSliceit",
    129: "GooglePay",
    130: "MollieKlarnaPayNow",
    131: "MultiSafepay",
    132: "Ratepay_Rechnung",
    133: "HoodPay",
    134: "Quickpay",
    135: "PayPal_PayLater",
    136: "Kaufland",
    137: "MollieBankUeberweisung",
    138: "Lena",
}

#: The payment "method" of a coupon line (a means of payment, not a discount).
COUPON_METHOD = PAYMENT_TYPES[6]

VAT_FREE_MODES = {1, 2, 3}
#: A sub-cent line amount is kept to four places (Billbee sends long doubles).
SUB_CENT = Decimal("0.0001")
MARGIN_SCHEME = 4

DOCUMENT_DATES = ("invoice", "payment", "order")


class NotBookable(ValueError):
    """The order cannot become a voucher yet (no invoice, unsupported VAT mode …).

    ``reason`` is what the merchant reads (a code of ``belegsync.reasons``).
    """

    def __init__(self, message: str, code: str, **params: Any) -> None:
        super().__init__(message)
        self.reason = Reason(code, params)


def payment_method(type_id: Any) -> str:
    """The name a payment type id is mapped by; unknown ids keep their number."""
    try:
        number = int(type_id)
    except (TypeError, ValueError):
        return "Billbee payment type (none)"
    return PAYMENT_TYPES.get(number, f"Billbee payment type {number}")


def is_known_payment_type(type_id: Any) -> bool:
    try:
        return int(type_id) in PAYMENT_TYPES
    except (TypeError, ValueError):
        return False


def decimal(value: Any, where: str) -> Decimal:
    if value is None:
        return ZERO
    try:
        return Decimal(str(value))
    except InvalidOperation:
        raise NotBookable(
            f"{where} is not a number ({value!r}).", "billbee.not_a_number", value=str(value)
        ) from None


def local_date(value: Any) -> dt.date | None:
    """A Billbee date-time as the German calendar date; offset-less counts as UTC."""
    if not value:
        return None
    moment = dt.datetime.fromisoformat(str(value).replace("Z", "+00:00"))
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=dt.UTC)
    return moment.astimezone(BERLIN).date()


def invoice_number(order: Mapping[str, Any]) -> str:
    """Prefix + number + postfix as printed on the invoice; "" without an invoice."""
    number = order.get("InvoiceNumber")
    if not number:
        return ""
    prefix = order.get("InvoiceNumberPrefix") or ""
    postfix = order.get("InvoiceNumberPostfix") or ""
    return f"{prefix}{number}{postfix}"


def document_number(order: Mapping[str, Any]) -> str:
    """The invoice number, or the order number while there is no invoice."""
    return invoice_number(order) or str(order.get("OrderNumber") or order.get("BillBeeOrderId"))


def is_credit_note(order: Mapping[str, Any]) -> bool:
    """Billbee's cancellation orders (README §9 heuristic: -GS, IsCancelationFor, negative)."""
    if str(order.get("OrderNumber") or "").endswith("-GS") or order.get("IsCancelationFor"):
        return True
    return decimal(order.get("TotalCost"), "TotalCost") < 0


def _rate_of(order: Mapping[str, Any], item: Mapping[str, Any]) -> Decimal:
    if order.get("VatMode") in VAT_FREE_MODES:
        return ZERO
    index = item.get("TaxIndex")
    if index == 1:
        return decimal(order.get("TaxRate1"), "TaxRate1").normalize()
    if index == 2:
        return decimal(order.get("TaxRate2"), "TaxRate2").normalize()
    return Decimal(0)


def _title(item: Mapping[str, Any]) -> str:
    product = item.get("Product") or {}
    return str(product.get("Title") or product.get("SkuOrId") or "Artikel")


def _party(order: Mapping[str, Any]) -> Party:
    address = order.get("InvoiceAddress") or {}
    customer = order.get("Customer") or {}
    name = " ".join(str(address.get(k) or "").strip() for k in ("FirstName", "LastName")).strip()
    street = " ".join(str(address.get(k) or "").strip() for k in ("Street", "HouseNumber")).strip()
    vat_id = order.get("CustomerVatId") or order.get("VatId") or customer.get("VatId") or ""
    country = address.get("CountryISO2") or address.get("Country") or ""
    return Party(
        name=name or str(customer.get("Name") or ""),
        company=str(address.get("Company") or ""),
        customer_number=str(order.get("CustomerNumber") or customer.get("Number") or ""),
        street=street,
        zip_code=str(address.get("Zip") or ""),
        city=str(address.get("City") or ""),
        country=str(country).strip().upper(),
        vat_id=str(vat_id).replace(" ", "").upper(),
        email=str(address.get("Email") or customer.get("Email") or ""),
    )


def invoice_date(order: Mapping[str, Any]) -> dt.date:
    """The invoice's date. Which date is booked (invoice, payment or order date, the
    connection's ``document_date``) is the target's choice, from the voucher's dates."""
    date = local_date(order.get("InvoiceDate"))
    if date is None:
        raise NotBookable(
            f"Order {order.get('OrderNumber')} has invoice {invoice_number(order)} but no "
            "invoice date in Billbee; open the order in Billbee and check the invoice.",
            "billbee.no_invoice_date",
            number=str(order.get("OrderNumber") or ""),
            refers_to=invoice_number(order),
        )
    return date


def _item_line(
    order: Mapping[str, Any], item: Mapping[str, Any], where: str, total: Decimal, sign: Decimal
) -> Line:
    """An item: gross after its line discount, net = gross − Billbee's (unrounded) tax.

    Cents stay cents as before; a sub-cent ``TotalPrice`` keeps its digits (to four
    places), since only the rate's total is rounded."""
    tax = decimal(item.get("TaxAmount"), f"{where}.TaxAmount")
    cents = round_cents(total)
    if cents == total:
        gross, net = cents * sign, round_cents(total - tax) * sign
    else:
        gross, net = total * sign, (total - tax).quantize(SUB_CENT) * sign
    return Line(
        description=_title(item),
        quantity=decimal(item.get("Quantity"), f"{where}.Quantity") * sign,
        net=net,
        gross=gross,
        tax_rate=_rate_of(order, item),
        category=LineCategory.DISCOUNT if gross < 0 else LineCategory.GOODS,
        sku=str(item.get("InvoiceSKU") or (item.get("Product") or {}).get("SKU") or ""),
    )


def map_order(
    order: Mapping[str, Any],
    *,
    original: Mapping[str, Any] | None = None,
) -> Voucher:
    """Map an invoiced order; ``original`` is the order a cancellation refers to."""
    number = invoice_number(order)
    if not number:
        raise NotBookable(
            f"Billbee has not issued an invoice for order {order.get('OrderNumber')} yet; "
            "it is transferred once the invoice exists.",
            "billbee.no_invoice_yet",
            number=str(order.get("OrderNumber") or ""),
        )
    if order.get("VatMode") == MARGIN_SCHEME:
        raise NotBookable(
            f"Order {order.get('OrderNumber')} is taxed under the margin scheme "
            "(Differenzbesteuerung), which belegsync does not transfer; book it by hand.",
            "billbee.margin_scheme",
            number=str(order.get("OrderNumber") or ""),
        )
    credit = is_credit_note(order)
    sign = Decimal(-1) if credit else Decimal(1)
    lines: list[Line] = []
    discounts: list[Line] = []
    coupons = ZERO
    for index, item in enumerate(order.get("OrderItems") or []):
        where = f"OrderItems[{index}]"
        total = decimal(item.get("TotalPrice"), f"{where}.TotalPrice")
        if item.get("IsCoupon"):
            coupons += round_cents(-total) * sign
            continue
        line = _item_line(order, item, where, total, sign)
        (discounts if line.category is LineCategory.DISCOUNT else lines).append(line)
    goods = list(lines)
    for line in discounts:
        lines += spread_over_rates(line, goods)
    shipping = round_cents(decimal(order.get("ShippingCost"), "ShippingCost")) * sign
    if shipping:
        rate = main_rate(goods)
        lines.append(
            Line(
                "Versand",
                Decimal(1),
                net_from_gross(shipping, rate),
                shipping,
                rate,
                LineCategory.SHIPPING,
            )
        )
    adjustment = round_cents(decimal(order.get("AdjustmentCost"), "AdjustmentCost")) * sign
    if adjustment:
        rate = main_rate(goods)
        line = Line(
            str(order.get("AdjustmentReason") or "Anpassung"),
            Decimal(1) if adjustment > 0 else Decimal(-1),
            net_from_gross(adjustment, rate),
            adjustment,
            rate,
            LineCategory.FEE if adjustment > 0 else LineCategory.DISCOUNT,
        )
        lines += spread_over_rates(line, goods)
    total_gross = round_cents(decimal(order.get("TotalCost"), "TotalCost")) * sign + coupons
    payments = [
        Payment(
            method=payment_method(p.get("PaymentType")),
            amount=round_cents(decimal(p.get("PayValue"), "Payments.PayValue")) * sign,
            date=local_date(p.get("PayDate")),
            reference=str(p.get("TransactionId") or ""),
        )
        for p in order.get("Payments") or []
    ]
    if coupons:
        payments.append(
            Payment(COUPON_METHOD, coupons, local_date(order.get("CreatedAt")), "coupon")
        )
    seller = order.get("Seller") or {}
    return Voucher(
        kind=VoucherKind.CREDIT_NOTE if credit else VoucherKind.INVOICE,
        number=number,
        invoice_date=invoice_date(order),
        lines=tuple(lines),
        total_net=sum((ln.net for ln in lines), ZERO),
        total_gross=total_gross,
        currency=str(order.get("Currency") or "").upper(),
        party=_party(order),
        payments=tuple(payments),
        order_date=local_date(order.get("CreatedAt")),
        payment_date=local_date(order.get("PayedAt")),
        delivery_date=local_date(order.get("ShippedAt")),
        refers_to=invoice_number(original) if (credit and original) else "",
        order_number=str(order.get("OrderNumber") or ""),
        shop=str(seller.get("BillbeeShopName") or order.get("ApiAccountName") or ""),
        small_business=order.get("VatMode") == 1,
        source_refs={
            "billbee_order_id": str(order.get("BillBeeOrderId") or ""),
            "web_url": str(order.get("WebUrl") or ""),
        },
    )


def placeholder(order: Mapping[str, Any]) -> Voucher:
    """A stand-in for an order that cannot be mapped yet, so it can be shown as skipped.

    It carries the order's number, date and total, and no lines are invented:
    one line holds the gross total at 0 %, which is only ever displayed.
    """
    total = abs(round_cents(decimal(order.get("TotalCost"), "TotalCost")))
    date = local_date(order.get("CreatedAt")) or dt.date(1970, 1, 1)
    address = order.get("InvoiceAddress") or {}
    country = str(address.get("CountryISO2") or address.get("Country") or "DE").upper()
    return Voucher(
        kind=VoucherKind.INVOICE,
        number=document_number(order),
        invoice_date=date,
        lines=(Line("Bestellung ohne Rechnung", Decimal(1), total, total, Decimal(0)),),
        total_net=total,
        total_gross=total,
        currency=str(order.get("Currency") or "EUR").upper(),
        party=Party(country=country if len(country) == 2 else "DE"),
        order_date=date,
        order_number=str(order.get("OrderNumber") or ""),
        shop=str((order.get("Seller") or {}).get("BillbeeShopName") or ""),
        source_refs={"billbee_order_id": str(order.get("BillBeeOrderId") or "")},
    )
