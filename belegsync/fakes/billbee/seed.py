"""Realistic Billbee orders for the fake, shaped as ``GET /api/v1/orders`` returns them.

The two orders of the reference (``#1042`` with two rates, shipping and a coupon,
and its partial cancellation ``#1042-GS``) are loaded verbatim from ``data/``;
the rest are built by :func:`make_order` with Billbee's own arithmetic: line
``TotalPrice`` is gross after the line discount, ``TaxAmount`` the VAT contained
in it as an unrounded double, ``TotalCost`` the gross total including shipping,
adjustment and coupon lines (reference README §8; the swagger text disagrees,
the official fixture does not).

Money here is float on purpose: Billbee sends IEEE doubles, and a client must
cope with ``9.563865546218487``.
"""

from __future__ import annotations

import copy
import datetime as dt
import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

DATA = Path(__file__).parent / "data"

STATES = {
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

#: A subset of Billbee's payment types (reference README §7); ids 139-150 have no name.
PAYMENT_TYPES = {
    1: "Banküberweisung",
    2: "Nachnahme",
    3: "PayPal",
    4: "Barzahlung",
    6: "Gutschein",
    19: "Sofortüberweisung",
    22: "Andere",
    23: "Lastschrift",
    26: "Rechnung",
    31: "Kreditkarte",
    59: "Vorkasse",
    61: "Amazon_Marketplace",
    63: "Stripe",
    104: "Ebay",
    105: "Mollie",
}

SHOPS = (
    {"Id": 100000000123456, "AccountType": 38, "Name": "teeladen-shopify", "Platform": "Shopify"},
    {"Id": 100000000123457, "AccountType": 1, "Name": "teeladen-amazon", "Platform": "amazon"},
    {"Id": 100000000123458, "AccountType": 2, "Name": "teeladen-ebay", "Platform": "ebay"},
)

MERCHANT_VAT_ID = "DE123456789"


def iso(moment: dt.datetime) -> str:
    return moment.astimezone(dt.UTC).isoformat(timespec="seconds")


@dataclass
class Item:
    title: str
    sku: str
    quantity: float
    unit_gross: float
    tax_index: int = 1
    discount_percent: float = 0.0
    is_coupon: bool = False


@dataclass
class Buyer:
    first_name: str
    last_name: str
    street: str
    house_number: str
    zip_code: str
    city: str
    country: str
    company: str | None = None
    email: str = ""
    vat_id: str | None = None


@dataclass
class OrderSpec:
    billbee_id: int
    number: str
    shop: dict[str, Any]
    state: int
    created: dt.datetime
    items: list[Item]
    buyer: Buyer
    shipping: float = 4.9
    payment_type: int = 3
    paid: bool = True
    currency: str = "EUR"
    vat_mode: int = 0
    tax_rate1: float = 19.0
    tax_rate2: float = 7.0
    invoice_number: int | None = None
    invoice_prefix: str = "RE-2024-"
    adjustment: float = 0.0
    adjustment_reason: str | None = None
    tags: list[str] = field(default_factory=list)
    #: Override TotalCost to seed an order whose totals do not add up.
    total_cost: float | None = None


def _address(buyer: Buyer, billbee_id: int) -> dict[str, Any]:
    return {
        "BillbeeId": billbee_id,
        "FirstName": buyer.first_name,
        "LastName": buyer.last_name,
        "Company": buyer.company,
        "NameAddition": None,
        "Street": buyer.street,
        "HouseNumber": buyer.house_number,
        "Line2": None,
        "Zip": buyer.zip_code,
        "City": buyer.city,
        "State": None,
        "Country": buyer.country,
        "CountryISO2": buyer.country,
        "Email": buyer.email,
        "Phone": None,
    }


def _item(spec: OrderSpec, index: int, item: Item) -> dict[str, Any]:
    unrebated = round(item.unit_gross * item.quantity, 2)
    total = round(unrebated * (1 - item.discount_percent / 100), 2)
    if item.is_coupon or spec.vat_mode != 0:
        rate = 0.0
    else:
        rate = {1: spec.tax_rate1, 2: spec.tax_rate2}.get(item.tax_index, 0.0)
    return {
        "BillbeeId": spec.billbee_id * 10 + index,
        "TransactionId": None,
        "Product": {
            "OldId": None,
            "Id": item.sku,
            "Title": item.title,
            "Weight": None if item.is_coupon else 250,
            "SKU": None if item.is_coupon else item.sku,
            "SkuOrId": item.sku,
            "IsDigital": item.is_coupon,
            "Images": [],
            "EAN": None,
            "PlatformData": None,
            "TARICCode": None,
            "CountryOfOrigin": None,
            "BillbeeId": None,
            "Type": 1,
        },
        "Quantity": item.quantity,
        "TotalPrice": total,
        "TaxAmount": total * rate / (100 + rate),
        "TaxIndex": 0 if item.is_coupon else item.tax_index,
        "Discount": item.discount_percent,
        "Attributes": [],
        "GetPriceFromArticleIfAny": False,
        "IsCoupon": item.is_coupon,
        "ShippingProfileId": None,
        "DontAdjustStock": False,
        "UnrebatedTotalPrice": unrebated,
        "SerialNumber": None,
        "InvoiceSKU": None if item.is_coupon else item.sku,
    }


def make_order(spec: OrderSpec) -> dict[str, Any]:
    """One order as Billbee's API returns it."""
    items = [_item(spec, i, item) for i, item in enumerate(spec.items, start=1)]
    total = round(sum(i["TotalPrice"] for i in items) + spec.shipping + spec.adjustment, 2)
    if spec.total_cost is not None:
        total = spec.total_cost
    created = spec.created
    invoiced = spec.invoice_number is not None
    invoice_date = created + dt.timedelta(hours=20) if invoiced else None
    paid_at = created + dt.timedelta(minutes=2) if spec.paid else None
    shipped_at = created + dt.timedelta(days=1) if spec.state in (4, 7, 9, 10) else None
    modified = max(d for d in (created, invoice_date, paid_at, shipped_at) if d is not None)
    buyer = spec.buyer
    shop = spec.shop
    user = {
        "Platform": shop["Platform"],
        "BillbeeShopName": shop["Name"],
        "BillbeeShopId": shop["Id"],
    }
    customer_number = str(10000 + spec.billbee_id % 1000)
    return {
        "RebateDifference": 0.0,
        "ShippingIds": [],
        "AcceptLossOfReturnRight": False,
        "Id": str(5310000000000 + spec.billbee_id % 1000000),
        "OrderNumber": spec.number,
        "State": spec.state,
        "VatMode": spec.vat_mode,
        "CreatedAt": iso(created),
        "ShippedAt": iso(shipped_at) if shipped_at else None,
        "ConfirmedAt": iso(created + dt.timedelta(minutes=5)),
        "PayedAt": iso(paid_at) if paid_at else None,
        "SellerComment": None,
        "Comments": [],
        "InvoiceNumberPrefix": spec.invoice_prefix if invoiced else None,
        "InvoiceNumberPostfix": "" if invoiced else None,
        "InvoiceNumber": spec.invoice_number,
        "InvoiceDate": iso(invoice_date) if invoice_date else None,
        "InvoiceAddress": _address(buyer, spec.billbee_id * 10 + 1),
        "ShippingAddress": _address(buyer, spec.billbee_id * 10 + 2),
        "PaymentMethod": spec.payment_type,
        "ShippingCost": spec.shipping,
        "TotalCost": total,
        "AdjustmentCost": spec.adjustment,
        "AdjustmentReason": spec.adjustment_reason,
        "OrderItems": items,
        "Currency": spec.currency,
        "Seller": {
            **user,
            "Id": None,
            "Nick": None,
            "FirstName": None,
            "LastName": None,
            "FullName": None,
            "Email": None,
        },
        "Buyer": {
            **user,
            "Id": str(7780000 + spec.billbee_id % 1000),
            "Nick": None,
            "FirstName": buyer.first_name,
            "LastName": buyer.last_name,
            "FullName": f"{buyer.first_name} {buyer.last_name}",
            "Email": buyer.email,
        },
        "UpdatedAt": iso(modified),
        "TaxRate1": spec.tax_rate1,
        "TaxRate2": spec.tax_rate2,
        "BillBeeOrderId": spec.billbee_id,
        "BillBeeParentOrderId": None,
        "VatId": buyer.vat_id,
        "Tags": list(spec.tags),
        "ShipWeightKg": 0.5,
        "LanguageCode": "DE",
        "PaidAmount": total if spec.paid else 0.0,
        "ShippingProfileId": None,
        "ShippingProviderId": None,
        "ShippingProviderProductId": None,
        "ShippingProviderName": "DHL",
        "ShippingProviderProductName": "DHL Paket",
        "ShippingProfileName": None,
        "PaymentInstruction": None,
        "IsCancelationFor": None,
        "PaymentTransactionId": None,
        "DistributionCenter": None,
        "DeliverySourceCountryCode": "DE",
        "CustomInvoiceNote": None,
        "CustomerNumber": customer_number,
        "PaymentReference": spec.number,
        "ShippingServices": [],
        "Customer": {
            "Id": 100000150000000 + spec.billbee_id % 1000,
            "Name": f"{buyer.first_name} {buyer.last_name}",
            "Email": buyer.email,
            "Tel1": None,
            "Tel2": None,
            "Number": int(customer_number),
            "PriceGroupId": None,
            "LanguageId": 3,
            "VatId": buyer.vat_id,
            "Type": 1 if buyer.company else 0,
        },
        "History": [
            {
                "Created": iso(created + dt.timedelta(seconds=30)),
                "EventTypeName": "Auftrag eingelesen",
                "Text": "Der Auftrag wurde eingelesen",
                "EmployeeName": None,
                "TypeId": 0,
            }
        ],
        "Payments": (
            [
                {
                    "BillbeeId": 100000045000000 + spec.billbee_id % 100000,
                    "TransactionId": f"TX-{spec.billbee_id}",
                    "PayDate": iso(paid_at),
                    "PaymentType": spec.payment_type,
                    "SourceTechnology": shop["Platform"],
                    "SourceText": PAYMENT_TYPES.get(spec.payment_type, "unknown"),
                    "PayValue": total,
                    "Purpose": spec.number,
                    "Name": f"{buyer.first_name} {buyer.last_name}",
                }
            ]
            if paid_at
            else []
        ),
        "LastModifiedAt": iso(modified),
        "ArchivedAt": None,
        "RestoredAt": None,
        "ApiAccountId": 123456,
        "ApiAccountName": shop["Name"],
        "MerchantVatId": MERCHANT_VAT_ID,
        "CustomerVatId": buyer.vat_id,
        "IsFromBillbeeApi": False,
        "WebUrl": f"https://app.billbee.io/app_v2/order/{spec.billbee_id}",
    }


def reference_orders() -> list[dict[str, Any]]:
    """The reference's two synthesised orders, verbatim."""
    return [
        json.loads((DATA / name).read_text(encoding="utf-8"))
        for name in ("order_two_rates_shipping_coupon.json", "credit_note_storno_order.json")
    ]


JANA = Buyer("Jana", "Köhler", "Lindenstraße", "12a", "04109", "Leipzig", "DE", email="j@ex.org")
BASE = dt.datetime(2024, 12, 1, 9, 0, tzinfo=dt.UTC)
SHOPIFY, AMAZON, EBAY = SHOPS


def scenario_specs() -> list[OrderSpec]:
    """One order per case a bookkeeping export meets (fake-checklist "Data scenarios")."""
    tea = Item("Bio-Grüntee Sencha 250 g", "GT-SEN-250", 2, 8.9, tax_index=2)
    pot = Item("Teekanne Gusseisen 1,2 l", "TK-1200", 1, 59.9)
    return [
        # no invoice yet: confirmed, unpaid, bank transfer
        OrderSpec(100000223400001, "#1101", SHOPIFY, 2, BASE, [tea], JANA, payment_type=1,
                  paid=False),
        # cancelled before any invoice: nothing to book
        OrderSpec(100000223400002, "#1102", SHOPIFY, 8, BASE + dt.timedelta(hours=1), [pot],
                  JANA, paid=False),
        # Swiss buyer, paid in CHF, export without VAT
        OrderSpec(100000223400003, "#1103", SHOPIFY, 4, BASE + dt.timedelta(hours=2), [pot],
                  Buyer("Urs", "Meier", "Bahnhofstrasse", "5", "8001", "Zürich", "CH",
                        email="urs@example.ch"),
                  currency="CHF", vat_mode=3, invoice_number=1301, shipping=12.0,
                  payment_type=31),
        # Austrian business with VAT id: intra-community supply
        OrderSpec(100000223400004, "AMZ-302-7781", AMAZON, 4, BASE + dt.timedelta(hours=3),
                  [Item("Teeschale Steingut", "TS-01", 6, 14.5)],
                  Buyer("Lukas", "Gruber", "Mariahilfer Straße", "88", "1070", "Wien", "AT",
                        company="Gruber Gastro GmbH", email="einkauf@gruber.at",
                        vat_id="ATU13585627"),
                  vat_mode=2, invoice_number=1302, shipping=0.0, payment_type=61),
        # small business seller (§19 UStG) mode
        OrderSpec(100000223400005, "#1105", SHOPIFY, 7, BASE + dt.timedelta(hours=4), [tea],
                  JANA, vat_mode=1, invoice_number=1303, payment_type=26),
        # line discount 10 % and an order-level surcharge
        OrderSpec(100000223400006, "EB-11-22", EBAY, 3, BASE + dt.timedelta(hours=5),
                  [Item("Teedose Washi", "TD-W", 3, 12.0, discount_percent=10), tea],
                  Buyer("Özlem", "Şahin", "Kölner Str.", "3", "50667", "Köln", "DE",
                        email="oezlem@example.de"),
                  adjustment=2.5, adjustment_reason="Geschenkverpackung", invoice_number=1304,
                  payment_type=104),
        # French private buyer, taxed at French rates (OSS)
        OrderSpec(100000223400007, "#1107", SHOPIFY, 4, BASE + dt.timedelta(hours=6), [pot],
                  Buyer("Chloé", "Dubois", "Rue de Rivoli", "10", "75001", "Paris", "FR",
                        email="chloe@example.fr"),
                  tax_rate1=20.0, tax_rate2=5.5, invoice_number=1305, payment_type=63),
        # a payment type Billbee has but belegsync has no name for
        OrderSpec(100000223400008, "#1108", SHOPIFY, 3, BASE + dt.timedelta(hours=7), [pot],
                  JANA, invoice_number=1306, payment_type=145),
        # totals that do not add up: TotalCost off by 1.00
        OrderSpec(100000223400009, "#1109", SHOPIFY, 4, BASE + dt.timedelta(hours=8), [pot],
                  JANA, invoice_number=1307, total_cost=65.8),
    ]  # fmt: skip


def bulk_specs(count: int, start_invoice: int = 2000) -> list[OrderSpec]:
    """``count`` ordinary orders across shops, states and payment types (paging)."""
    shops = list(SHOPS)
    payments = [3, 1, 31, 61, 19, 23]
    specs = []
    for n in range(count):
        state = n % 17 + 1
        invoiced = state not in (1, 2, 8, 14)
        specs.append(
            OrderSpec(
                100000224000000 + n,
                f"B-{n:05d}",
                shops[n % len(shops)],
                state,
                BASE + dt.timedelta(days=1, minutes=7 * n),
                [
                    Item("Earl Grey 100 g", "EG-100", 1 + n % 3, 6.5, tax_index=2),
                    Item("Teesieb Edelstahl", "TS-E", 1, 9.9),
                ],
                JANA,
                payment_type=payments[n % len(payments)],
                paid=state not in (1, 2, 14),
                invoice_number=start_invoice + n if invoiced else None,
            )
        )
    return specs


def seed_orders(bulk: int = 300) -> list[dict[str, Any]]:
    orders = reference_orders()
    orders += [make_order(s) for s in scenario_specs()]
    orders += [make_order(s) for s in bulk_specs(bulk)]
    return [copy.deepcopy(o) for o in orders]
