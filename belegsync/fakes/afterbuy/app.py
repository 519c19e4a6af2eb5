"""A local double of Afterbuy: the XML API (``GetSoldItems``, ``UpdateSoldItems``) and PDFs.

Its reading of Afterbuy (tests/reference/afterbuy/README.md, fake-checklist.md):

- one URL ``/afterbuy/ABInterface.aspx`` for every call, POST or GET with the XML
  body; the call is chosen by ``AfterbuyGlobal/CallName``. ``<Request>`` is the root
  or the child of an outer element (a public Go client wraps it so and works
  against the real API);
- every answer is HTTP 200 with ``<Afterbuy><CallStatus/><CallName/><VersionID>8``
  and ``<Result>``; errors are ``Result/ErrorList/Error`` in ``ErrorLanguage``
  (DE/EN). An unparsable request is error 2 with ``CallName NotFound``; no filter
  or an unknown one is error 30; more than 150 orders in ``UpdateSoldItems`` 75.
  **Invented** (the reference has no code): 4 wrong credentials, 6 unknown
  ``CallName``, 98 too many calls per second, 99 call limit used up, 77 unknown
  ``OrderID`` in ``UpdateSoldItems``, 97 an injected server failure (HTTP 5xx);
- credentials: ``PartnerToken`` + ``AccountToken``, or the legacy quadruple
  ``PartnerID``/``PartnerPassword``/``UserID``/``UserPassword``;
- ``GetSoldItems``: filters ``OrderID``, ``RangeID`` (inclusive), ``InvoiceNumber``,
  ``DateFilter`` (``dd.MM.yyyy HH:mm:ss`` Europe/Berlin, inclusive), ``DefaultFilter``,
  ``Plattform`` (``gutschrift`` / ``not_gutschrift``), ``Tag``, ``ShopId``,
  ``UserDefinedFlag``, ``AfterbuyUserID``, ``AfterbuyUserEmail``, AND-combined;
  ascending ``OrderID`` for ``OrderDirection`` 0 (descending 1 — mapping unverified);
  ``MaxSoldItems`` 1–250 (more is clamped, none means 100: both unverified);
  ``HasMoreItems``, ``OrdersCount``, ``LastOrderID``, ``ItemsCount``. ``DetailLevel``
  must be a sum of the documented bits; the full order is always returned (the
  meaning of the bits is not captured in the reference);
- modification: every change of an order moves its ``ModDate`` (shown as the
  items' ``ItemModDate``; the order-level element is not documented);
- PDFs (the real URL is unverified, so the paths here are invented): a login form
  at ``/Account/Login`` (fields ``Username``, ``Password``) sets a session cookie;
  ``/afterbuy/invoice.aspx?OrderID=N`` answers the invoice PDF, or a redirect to the
  login without a valid session.

The orders are :mod:`.seed`'s invoices — the same ones the Rechnungsliste generator
writes — plus a few scenarios (an Amazon-invoiced order, a hidden one, one
without invoice yet).
"""

from __future__ import annotations

import argparse
import copy
import datetime as dt
import secrets
import time
from collections.abc import Callable, Iterable
from decimal import Decimal, InvalidOperation
from typing import Any
from urllib.parse import quote
from xml.etree.ElementTree import Element
from xml.sax.saxutils import escape, quoteattr
from zoneinfo import ZoneInfo

import defusedxml.ElementTree as SafeXML
from defusedxml import DefusedXmlException
from werkzeug.routing import Rule
from werkzeug.wrappers import Request, Response

from belegsync.fakes.base import FakeApp, json_response
from belegsync.fakes.billbee.app import tiny_pdf

from .seed import CREDIT_PLATFORM, SeedInvoice, invoices

BERLIN = ZoneInfo("Europe/Berlin")
API_PATH = "/afterbuy/ABInterface.aspx"
LOGIN_PATH = "/Account/Login"
PDF_PATH = "/afterbuy/invoice.aspx"
SESSION_COOKIE = "ABAuth"
MAX_SOLD_ITEMS = 250
DEFAULT_SOLD_ITEMS = 100
MAX_UPDATE = 150
DETAIL_BITS = (0, 2, 4, 8, 16, 32, 64, 128)

ERRORS: dict[int, tuple[str, str, str]] = {
    # code: (DE short, DE long, EN short)
    2: (
        "Request XML Parsefehler",
        "Beim Parsen Ihrer Anfrage ist ein Fehler aufgetreten.",
        "Request XML parse error",
    ),
    30: (
        "Kein gültiger Filter angegeben.",
        "Keine Filter oder kein gültiger Filter angegeben.",
        "No valid filter given.",
    ),
    75: (
        "Zu viele Elemente.",
        "Es dürfen höchstens 150 Vorgänge je Aufruf übergeben werden.",
        "Too many elements (at most 150 orders per call).",
    ),
    # invented below: the reference documents no code or text for these
    4: (
        "Authentifizierung fehlgeschlagen.",
        "PartnerToken/AccountToken oder Zugangsdaten sind ungültig.",
        "Authentication failed.",
    ),
    6: ("Unbekannter CallName.", "Der CallName ist nicht bekannt.", "Unknown CallName."),
    77: ("Vorgang nicht gefunden.", "Die OrderID ist nicht bekannt.", "Order not found."),
    98: (
        "Zu viele Anfragen.",
        "Bitte senden Sie weniger Anfragen pro Sekunde.",
        "Too many requests per second.",
    ),
    97: (
        "Interner Fehler.",
        "Bei der Verarbeitung ist ein Fehler aufgetreten. Bitte später erneut versuchen.",
        "Internal error.",
    ),
    99: (
        "Aufruflimit erreicht.",
        "Das Kontingent an API-Aufrufen ist aufgebraucht.",
        "API call limit reached.",
    ),
}

COUNTRY_SHORT = {"DE": "D", "AT": "A", "CH": "CH", "NL": "NL", "FR": "F", "GB": "GB", "US": "USA"}
PAYMENT_IDS = {
    "PayPal": "PAYPAL",
    "Überweisung": "TRANSFER",
    "Rechnung": "INVOICE",
    "Kreditkarte": "CREDIT_CARD",
    "eBay Managed Payment": "OTHERS",
}
DATE_FIELDS = {
    "ModDate": "ModDate",
    "InvoiceDate": "InvoiceDate",
    "PayDate": "PaymentDate",
    "AuctionEndDate": "OrderDate",
    "XmlDate": "XmlDate",
    "FeedbackDate": "FeedbackDate",
    "MailDate": "MailDate",
    "ReminderDate": "ReminderDate",
    "ShippingDate": "ShippingDate",
}


class RequestProblem(Exception):
    def __init__(self, code: int) -> None:
        super().__init__(code)
        self.code = code


# --- values as Afterbuy writes and reads them -----------------------------------------------


def money(value: Decimal) -> str:
    return f"{value:.2f}".replace(".", ",")


def moment(value: dt.datetime | None) -> str:
    return value.astimezone(BERLIN).strftime("%d.%m.%Y %H:%M:%S") if value else ""


def day(value: dt.date | None) -> str:
    return value.strftime("%d.%m.%Y") if value else ""


def parse_moment(text: str) -> dt.datetime:
    return dt.datetime.strptime(text.strip(), "%d.%m.%Y %H:%M:%S").replace(tzinfo=BERLIN)


def _at(date: dt.date, hour: int, second: int = 0) -> dt.datetime:
    return dt.datetime.combine(date, dt.time(hour), tzinfo=BERLIN) + dt.timedelta(seconds=second)


def order_from_seed(invoice: SeedInvoice) -> dict[str, Any]:
    """The fake's order for one invoice of the shared seed model."""
    person, sign = invoice.person, invoice.sign
    jitter = invoice.order_id % 3600
    return {
        "OrderID": invoice.order_id,
        "InvoiceNumber": invoice.number,
        "OrderDate": _at(invoice.order_date, 10, jitter),
        "ModDate": _at(invoice.invoice_date, 18, jitter),
        "InvoiceDate": invoice.invoice_date,
        "FeedbackDate": None,
        "MailDate": None,
        "ReminderDate": None,
        "ShippingDate": None,
        "XmlDate": None,
        "PaymentID": PAYMENT_IDS.get(invoice.payment_method, "OTHERS"),
        "PaymentMethod": invoice.payment_method,
        "PaymentTransactionID": "",
        "PaymentDate": _at(invoice.invoice_date, 9, jitter) if invoice.paid else None,
        "AlreadyPaid": invoice.paid_amount,
        "FullAmount": invoice.total,
        "Billing": {
            "AfterbuyUserID": str(88000000 + int(person.customer)),
            "AfterbuyUserIDAlt": person.customer,
            "FirstName": person.first,
            "LastName": person.last,
            "Company": person.company,
            "Street": person.street,
            "Street2": "",
            "PostalCode": person.zip,
            "City": person.city,
            "Country": COUNTRY_SHORT.get(person.country, person.country),
            "CountryISO": person.country,
            # the generator's model has no e-mail column, so neither has the order
            "Mail": "",
            "IsMerchant": bool(person.company or person.vat_id),
            "TaxIDNumber": person.vat_id,
        },
        "Items": [
            {
                "ItemID": invoice.order_id * 10 + index,
                "ItemTitle": item.title,
                "ItemQuantity": item.quantity,
                "ItemPrice": item.unit_gross * sign,
                "TaxRate": item.rate,
                "ItemPlatformName": invoice.platform,
                "IsAmazonInvoiced": False,
            }
            for index, item in enumerate(invoice.items)
        ],
        "ShippingMethod": "DHL Paket" if invoice.shipping else "",
        "ShippingCost": invoice.shipping * sign,
        "ShippingTaxRate": invoice.shipping_rate,
        "DeliveryDate": None,
        "InvoiceMemo": f"Gutschrift zu Rechnung {invoice.refers_to}" if invoice.credit_note else "",
        "UserComment": "",
        "Platform": invoice.platform,
        "Hidden": False,
        "Tags": [],
        "Exported": False,
        "ShopId": "1",
        "UserDefinedFlag": "",
    }


def scenario_orders(
    template: dict[str, Any], next_id: int, next_number: int
) -> list[dict[str, Any]]:
    """Orders the bookkeeping must not book as they are: Amazon-invoiced, hidden, no invoice."""
    amazon = copy.deepcopy(template)
    amazon.update(OrderID=next_id, InvoiceNumber=str(next_number), Platform="AmazonSC")
    for item in amazon["Items"]:
        item["IsAmazonInvoiced"] = True
        item["ItemPlatformName"] = "AmazonSC"
    hidden = copy.deepcopy(template)
    hidden.update(OrderID=next_id + 1, InvoiceNumber=str(next_number + 1), Hidden=True)
    pending = copy.deepcopy(template)
    pending.update(OrderID=next_id + 2, InvoiceNumber="", InvoiceDate=None)
    return [amazon, hidden, pending]


def seed_orders(count: int, seed: int = 1) -> list[dict[str, Any]]:
    orders = [order_from_seed(invoice) for invoice in invoices(count, seed=seed)]
    if orders:
        last = orders[-1]
        first_invoice = next(o for o in orders if not o["InvoiceMemo"])
        orders += scenario_orders(
            first_invoice, last["OrderID"] + 1, int(last["InvoiceNumber"]) + 1
        )
    return orders


# --- the XML the fake writes ------------------------------------------------------------------


def cdata(text: str) -> str:
    return "<![CDATA[" + text.replace("]]>", "]]]]><![CDATA[>") + "]]>"


class Xml:
    """A tiny writer: elements with escaped text or CDATA (free text, as Afterbuy does)."""

    def __init__(self) -> None:
        self.parts: list[str] = []

    def el(self, name: str, value: object = "", *, free: bool = False) -> None:
        text = "" if value is None else str(value)
        body = cdata(text) if free else escape(text)
        self.parts.append(f"<{name}>{body}</{name}>")

    def open(self, name: str) -> None:
        self.parts.append(f"<{name}>")

    def close(self, name: str) -> None:
        self.parts.append(f"</{name}>")

    def text(self) -> str:
        return "".join(self.parts)


def envelope(call: str, status: str, result: str) -> Response:
    body = (
        '<?xml version="1.0" encoding="utf-8"?>'
        f"<Afterbuy><CallStatus>{status}</CallStatus><CallName>{escape(call)}</CallName>"
        f"<VersionID>8</VersionID><Result>{result}</Result></Afterbuy>"
    )
    return Response(body.encode("utf-8"), status=200, content_type="text/xml; charset=utf-8")


def error_response(call: str, code: int, language: str = "DE") -> Response:
    short_de, long_de, short_en = ERRORS[code]
    english = language.upper() == "EN"
    x = Xml()
    x.open("ErrorList")
    x.open("Error")
    x.el("ErrorCode", code)
    x.el("ErrorDescription", short_en if english else short_de, free=True)
    x.el("ErrorLongDescription", short_en if english else long_de, free=True)
    x.close("Error")
    x.close("ErrorList")
    return envelope(call, "Error", x.text())


PAYMENT_FUNCTIONS = {"PAYPAL": "PAYPAL", "TRANSFER": "TRANSFER", "INVOICE": "INVOICE"}


def write_order(x: Xml, order: dict[str, Any]) -> None:
    """One ``Order`` with every element of the reference example (GetSoldItems_response.xml),
    plus the original-currency blocks, ``VorgangsInfo`` and item ``Tags`` that public clients
    read; values the seed has no notion of are empty, as Afterbuy writes "not set"."""
    paid = order["PaymentDate"] is not None
    x.open("Order")
    x.el("InvoiceNumber", order["InvoiceNumber"])
    x.el("OrderID", order["OrderID"])
    x.el("EbayAccount", "", free=True)
    x.el("AmazonAccount", "")
    x.el("FeedbackDate", moment(order["FeedbackDate"]))
    x.el("UserComment", order["UserComment"], free=True)
    x.el("AdditionalInfo", "", free=True)
    x.el("TrackingLink", "", free=True)
    x.el("Memo", "", free=True)
    x.el("InvoiceMemo", order["InvoiceMemo"], free=True)
    x.el("FeedbackLink", f"https://www.afterbuy.de/fb.aspx?ui={order['OrderID']}")
    x.el("OrderDate", moment(order["OrderDate"]))
    x.el("OrderIDAlt", "")
    x.open("PaymentInfo")
    x.el("PaymentID", order["PaymentID"])
    x.el("PaymentMethod", order["PaymentMethod"], free=True)
    x.el("PaymentFunction", PAYMENT_FUNCTIONS.get(order["PaymentID"], "OTHERS"), free=True)
    x.el("PaymentTransactionID", order["PaymentTransactionID"], free=True)
    x.el("PaymentStatus", "Completed" if paid else "", free=True)
    x.el("PaymentDate", moment(order["PaymentDate"]))
    x.el("AlreadyPaid", money(order["AlreadyPaid"]))
    x.el("FullAmount", money(order["FullAmount"]))
    x.el("PaymentInstruction", "")
    x.el("InvoiceDate", day(order["InvoiceDate"]))
    x.el("EFTID", "")
    x.close("PaymentInfo")
    x.el("IsCheckoutConfirmedByCustomer", 1)
    x.el("ContainseBayPlusTransaction", "False")
    billing = order["Billing"]
    x.open("BuyerInfo")
    x.open("BillingAddress")
    for name in ("AfterbuyUserID", "AfterbuyUserIDAlt"):
        x.el(name, billing[name])
    x.el("UserIDPlattform", billing["Mail"])
    x.el("FirstName", billing["FirstName"], free=True)
    x.el("LastName", billing["LastName"], free=True)
    x.el("Title", "", free=True)
    for name in ("Company", "Street", "Street2"):
        x.el(name, billing[name], free=True)
    x.el("PostalCode", billing["PostalCode"])
    x.el("City", billing["City"], free=True)
    x.el("StateOrProvince", "")
    x.el("Country", billing["Country"])
    x.el("CountryISO", billing["CountryISO"])
    x.el("Phone", "")
    x.el("Fax", "")
    x.el("Mail", billing["Mail"])
    x.el("IsMerchant", int(billing["IsMerchant"]))
    x.el("TaxIDNumber", billing["TaxIDNumber"], free=True)
    x.close("BillingAddress")
    shipping = order.get("Shipping") or billing  # the seed ships to the billing address
    x.open("ShippingAddress")
    for name in ("FirstName", "LastName", "Company", "Street", "Street2"):
        x.el(name, shipping[name], free=True)
    x.el("PostalCode", shipping["PostalCode"])
    x.el("City", shipping["City"], free=True)
    x.el("StateOrProvince", "")
    x.el("Phone", "")
    x.el("Country", shipping["Country"])
    x.el("CountryISO", shipping["CountryISO"])
    x.el("TaxIDNumber", shipping["TaxIDNumber"], free=True)
    x.close("ShippingAddress")
    x.close("BuyerInfo")
    x.open("SoldItems")
    for item in order["Items"]:
        write_item(x, order, item)
    x.el("ItemsInOrder", len(order["Items"]))
    x.close("SoldItems")
    x.open("ShippingInfo")
    x.el("ShippingMethod", order["ShippingMethod"], free=True)
    x.el("ShippingCost", money(order["ShippingCost"]))
    x.el("ShippingAdditionalCost", money(Decimal(0)))
    x.el("ShippingTotalCost", money(order["ShippingCost"]))
    x.el("ShippingTaxRate", money(order["ShippingTaxRate"]))
    x.el("DeliveryDate", day(order["DeliveryDate"]))
    x.el("DeliveryService", order["ShippingMethod"].split(" ")[0])
    x.close("ShippingInfo")
    x.open("VorgangsInfo")
    for number in (1, 2, 3):
        x.el(f"VorgangsInfo{number}", "", free=True)
    x.close("VorgangsInfo")
    x.open("OrderOriginalCurrency")
    x.el("EbayShippingAmount", money(Decimal(0)))
    x.el("ShippingAmount", money(order["ShippingCost"]))
    x.el("PaymentSurcharge", money(Decimal(0)))
    x.el("PaymentSurchargePerCent", money(Decimal(0)))
    x.el("InvoiceAmount", money(order["FullAmount"]))
    x.el("InvoiceAmountCode", order.get("Currency", "EUR"))
    x.el("ExchangeRate", "1")
    x.el("PayedAmount", money(order["AlreadyPaid"]))
    x.close("OrderOriginalCurrency")
    x.close("Order")


def write_item(x: Xml, order: dict[str, Any], item: dict[str, Any]) -> None:
    x.open("SoldItem")
    x.el("ItemDetailsDone", -1)
    x.el("ItemID", item["ItemID"])
    x.el("Anr", "")
    x.el("AlternativeItemNumber1", "", free=True)
    x.el("IsAmazonInvoiced", "True" if item["IsAmazonInvoiced"] else "False")
    x.el("IsExternalInvoice", "False")
    x.el("ItemTitle", item["ItemTitle"], free=True)
    x.el("ItemQuantity", item["ItemQuantity"])
    x.el("ItemPrice", money(item["ItemPrice"]))
    x.open("ItemOriginalCurrency")
    x.el("ItemPrice", money(item["ItemPrice"]))
    x.el("ItemPriceCode", order.get("Currency", "EUR"))
    x.el("ItemShipping", money(Decimal(0)))
    x.close("ItemOriginalCurrency")
    x.el("ItemEndDate", moment(order["OrderDate"]))
    x.el("TaxRate", money(item["TaxRate"]))
    x.el("TaxCollectedBy", 0)
    x.el("ItemWeight", "")
    x.el("ItemXmlDate", moment(order["XmlDate"]))
    x.el("ItemModDate", moment(order["ModDate"]))
    x.el("ItemPlatformName", item["ItemPlatformName"], free=True)
    x.open("ShopProductDetails")
    x.el("ProductID", item["ItemID"])
    x.el("Name", item["ItemTitle"], free=True)
    x.el("EAN", "", free=True)
    x.el("Anr", "")
    x.el("UnitOfQuantity", "Stk")
    x.el("BasepriceFactor", "1")
    x.close("ShopProductDetails")
    x.open("Tags")
    for tag in order["Tags"]:
        x.el("Tag", tag, free=True)
    x.close("Tags")
    x.close("SoldItem")


def login_page(error: str = "", return_url: str = "") -> Response:
    message = f'<p class="error">{escape(error)}</p>' if error else ""
    html = (
        "<!DOCTYPE html><html><head><title>Afterbuy Login</title></head><body>"
        f'<form method="post" action="{LOGIN_PATH}">{message}'
        f'<input type="hidden" name="ReturnUrl" value={quoteattr(return_url)}>'
        '<input name="Username"><input name="Password" type="password">'
        '<input name="StaySignedIn" type="checkbox" value="true">'
        "<button>Anmelden</button></form></body></html>"
    )
    return Response(html, content_type="text/html; charset=utf-8")


# --- the fake -------------------------------------------------------------------------------


def _find(node: Element, name: str) -> str:
    found = node.find(name)
    return (found.text or "").strip() if found is not None else ""


class AfterbuyFake(FakeApp):
    system = "afterbuy"
    unverified = {
        "require_filter": "GetSoldItems without a filter: error 30 | all orders",
        "ascending_direction": "OrderDirection 0 ascending, 1 descending | the reverse",
    }

    def apply_reading(self, *, alternative: bool) -> None:
        self.require_filter = not alternative
        self.ascending_direction = "1" if alternative else "0"

    rules = (
        Rule(API_PATH, endpoint="api", methods=["GET", "POST"]),
        Rule(LOGIN_PATH, endpoint="login", methods=["GET", "POST"]),
        Rule(PDF_PATH, endpoint="pdf", methods=["GET"]),
        Rule("/afterbuy/", endpoint="home", methods=["GET"]),
        Rule("/__fake__/orders", endpoint="control_add_order", methods=["POST"]),
        Rule("/__fake__/orders/<int:order_id>", endpoint="control_change", methods=["POST"]),
        Rule("/__fake__/sessions/expire", endpoint="control_expire", methods=["POST"]),
    )

    def __init__(
        self,
        *,
        partner_token: str,
        account_token: str,
        legacy: tuple[str, str, str, str] | None = None,
        web_user: str = "",
        web_password: str = "",
        rate_limit: int | None = None,
        call_limit: int | None = None,
        orders: int = 300,
        seed: int = 1,
        require_filter: bool = True,
        session_seconds: float = 1800,
        clock: Callable[[], dt.datetime] | None = None,
    ) -> None:
        super().__init__(rate_limit=rate_limit)
        self.partner_token, self.account_token = partner_token, account_token
        self.legacy = legacy
        self.web_user, self.web_password = web_user, web_password
        self.call_limit = call_limit
        self.bulk, self.seed = orders, seed
        self.require_filter = require_filter
        #: The ``OrderDirection`` value that sorts ascending (mapping unverified).
        self.ascending_direction = "0"
        self.session_seconds = session_seconds
        self.clock = clock or (lambda: dt.datetime.now(BERLIN))
        self.reset_state()

    # -- state -----------------------------------------------------------------------------

    def reset_state(self) -> None:
        self.orders: dict[int, dict[str, Any]] = {
            o["OrderID"]: o for o in seed_orders(self.bulk, self.seed)
        }
        self.calls: dict[str, int] = {}
        self.sessions: dict[str, float] = {}
        self.logins = 0
        self.failed_logins = 0
        #: Order ids whose PDF link answers an HTML page instead (maintenance, changed UI).
        self.html_instead_of_pdf: set[int] = set()
        #: Seen requests' AfterbuyGlobal (credentials redacted) and filters, for tests.
        self.calls_seen: list[dict[str, Any]] = []

    def state(self) -> dict[str, Any]:
        return {
            "orders": len(self.orders),
            "exported": sorted(k for k, o in self.orders.items() if o["Exported"]),
            "tags": {str(k): o["Tags"] for k, o in self.orders.items() if o["Tags"]},
            "logins": self.logins,
            "failed_logins": self.failed_logins,
            "calls": self.calls,
        }

    def set_credentials(self, data: dict[str, Any]) -> None:
        self.partner_token = data.get("partner_token", self.partner_token)
        self.account_token = data.get("account_token", self.account_token)
        self.web_user = data.get("web_user", self.web_user)
        self.web_password = data.get("web_password", self.web_password)
        if data.get("web_password") is not None:
            self.sessions.clear()

    # -- what tests and the control API call ------------------------------------------

    def add_order(self, order: dict[str, Any]) -> dict[str, Any]:
        """Add (or replace) an order; it counts as modified now."""
        with self.lock:
            order = copy.deepcopy(order)
            order["ModDate"] = self.clock()
            self.orders[int(order["OrderID"])] = order
            return order

    def change_order(self, order_id: int, **changes: Any) -> dict[str, Any]:
        """Change top-level fields of an order like a merchant in Afterbuy would."""
        with self.lock:
            order = self.orders[order_id]
            for key, value in changes.items():
                if key not in order:
                    raise KeyError(f"orders have no field {key!r}")
                order[key] = value
            order["ModDate"] = self.clock()
            return order

    def expire_sessions(self) -> None:
        with self.lock:
            self.sessions.clear()

    # -- the XML API -------------------------------------------------------------------

    def authenticate(self, request: Request) -> Response | str:
        """Rate-limit key only: the XML API refuses credentials in its own envelope."""
        return "afterbuy"

    def rate_limited_response(self) -> Response:
        return error_response("NotFound", 98)

    def server_error_response(self, status: int) -> Response:
        """An injected server failure: the status, and the envelope with invented code 97."""
        response = error_response("NotFound", 97)
        response.status_code = status
        return response

    def error_response(self, request: Request, status: int, message: str) -> Response:
        """Anything outside the API's one URL and methods: the XML envelope, never a page."""
        if request.path == API_PATH or not request.path.startswith((LOGIN_PATH, PDF_PATH)):
            response = error_response("NotFound", 2 if status < 500 else 97)
            response.status_code = status
            return response
        return Response(escape(message), status=status, content_type="text/plain; charset=utf-8")

    def _account(self, glob: Element) -> str | None:
        tokens = (_find(glob, "PartnerToken"), _find(glob, "AccountToken"))
        if all(tokens):
            ok = tokens == (self.partner_token, self.account_token)
            return f"token:{tokens[1]}" if ok else None
        legacy = tuple(
            _find(glob, n) for n in ("PartnerID", "PartnerPassword", "UserID", "UserPassword")
        )
        if all(legacy) and self.legacy is not None and legacy == self.legacy:
            return f"user:{legacy[2]}"
        return None

    def on_api(self, request: Request) -> Response:
        try:
            root = SafeXML.fromstring(request.get_data())
        except (SafeXML.ParseError, DefusedXmlException, ValueError):
            return error_response("NotFound", 2)
        wrapped = root.find("Request") if root.tag != "Request" else None
        root = wrapped if wrapped is not None else root
        glob = root.find("AfterbuyGlobal") if root.tag == "Request" else None
        if glob is None:
            return error_response("NotFound", 2)
        call = _find(glob, "CallName") or "NotFound"
        language = _find(glob, "ErrorLanguage") or "DE"
        account = self._account(glob)
        if account is None:
            return error_response(call, 4, language)
        used = self.calls.get(account, 0) + 1
        self.calls[account] = used
        if self.call_limit is not None and used > self.call_limit:
            return error_response(call, 99, language)
        self.calls_seen.append(
            {"call": call, "account": account, "detail": _find(glob, "DetailLevel")}
        )
        if call not in ("GetSoldItems", "UpdateSoldItems"):
            return error_response(call, 6, language)
        try:
            if call == "GetSoldItems":
                return self.get_sold_items(root, _find(glob, "DetailLevel") or "0")
            return self.update_sold_items(root)
        except RequestProblem as problem:
            return error_response(call, problem.code, language)

    def get_sold_items(self, root: Element, detail: str) -> Response:
        if not self._detail_ok(detail):
            raise RequestProblem(30)
        checks = [self._filter(f) for f in root.iterfind("DataFilter/Filter")]
        if not checks and self.require_filter:
            raise RequestProblem(30)
        try:
            wanted = int(_find(root, "MaxSoldItems") or DEFAULT_SOLD_ITEMS)
        except ValueError:
            raise RequestProblem(30) from None
        size = min(MAX_SOLD_ITEMS, max(1, wanted))
        hidden_ok = _find(root, "ReturnHiddenItems") == "1"
        direction = _find(root, "OrderDirection") or "0"
        descending = direction in ("0", "1") and direction != self.ascending_direction
        matching = [
            o
            for key, o in sorted(self.orders.items(), reverse=descending)
            if (hidden_ok or not o["Hidden"]) and all(check(o) for check in checks)
        ]
        page = matching[:size]
        self.calls_seen[-1]["filters"] = len(checks)
        x = Xml()
        x.el("HasMoreItems", int(len(matching) > size))
        x.open("Orders")
        for order in page:
            write_order(x, order)
        x.close("Orders")
        x.el("OrdersCount", len(page))
        x.el("LastOrderID", page[-1]["OrderID"] if page else "")
        x.el("ItemsCount", sum(len(o["Items"]) for o in page))
        return envelope("GetSoldItems", "Success", x.text())

    @staticmethod
    def _detail_ok(text: str) -> bool:
        try:
            value = int(text)
        except ValueError:
            return False
        allowed = sum(DETAIL_BITS)
        return 0 <= value <= allowed

    def _filter(self, node: Element) -> Callable[[dict[str, Any]], bool]:
        name = _find(node, "FilterName")
        values = node.find("FilterValues")
        if values is None:
            raise RequestProblem(30)
        value = _find(values, "FilterValue")
        try:
            return self._make_filter(name, values, value)
        except (ValueError, InvalidOperation):
            raise RequestProblem(30) from None

    def _make_filter(
        self, name: str, values: Element, value: str
    ) -> Callable[[dict[str, Any]], bool]:
        if name == "OrderID":
            wanted = int(value)
            return lambda o: o["OrderID"] == wanted
        if name == "RangeID":
            low = int(_find(values, "ValueFrom") or 0)
            high = int(_find(values, "ValueTo") or 2**62)
            return lambda o: low <= o["OrderID"] <= high
        if name == "InvoiceNumber":
            return lambda o: bool(o["InvoiceNumber"]) and o["InvoiceNumber"] == value
        if name == "DateFilter":
            return self._date_filter(values, value)
        if name == "DefaultFilter":
            return self._default_filter(value)
        if name == "Plattform":
            negate = value.lower().startswith("not_")
            platform = value.lower().removeprefix("not_")
            return lambda o: (o["Platform"].lower() == platform) != negate
        simple: dict[str, Callable[[dict[str, Any]], Iterable[str]]] = {
            "Tag": lambda o: o["Tags"],
            "ShopId": lambda o: [o["ShopId"]],
            "UserDefinedFlag": lambda o: [o["UserDefinedFlag"]],
            "AfterbuyUserID": lambda o: [o["Billing"]["AfterbuyUserID"]],
            "AfterbuyUserEmail": lambda o: [o["Billing"]["Mail"]],
        }
        if name in simple and value:
            get = simple[name]
            return lambda o: value in get(o)
        raise RequestProblem(30)

    def _date_filter(self, values: Element, value: str) -> Callable[[dict[str, Any]], bool]:
        field = DATE_FIELDS.get(value)
        date_from, date_to = _find(values, "DateFrom"), _find(values, "DateTo")
        if field is None or not (date_from or date_to):
            raise RequestProblem(30)
        low = parse_moment(date_from) if date_from else None
        high = parse_moment(date_to) if date_to else None

        def check(order: dict[str, Any]) -> bool:
            when = order[field]
            if when is None:
                return False
            if not isinstance(when, dt.datetime):
                when = dt.datetime.combine(when, dt.time(), tzinfo=BERLIN)
            # Afterbuy's dates are whole seconds: compare as it would
            when = when.replace(microsecond=0)
            return (low is None or when >= low) and (high is None or when <= high)

        return check

    @staticmethod
    def _default_filter(value: str) -> Callable[[dict[str, Any]], bool]:
        negate = value.lower().startswith("not_")
        name = value[4:] if negate else value
        tests: dict[str, Callable[[dict[str, Any]], bool]] = {
            "CompletedAuctions": lambda o: True,
            "PaidAuctions": lambda o: abs(o["AlreadyPaid"]) >= abs(o["FullAmount"]) > 0,
            "InvoicePrinted": lambda o: bool(o["InvoiceNumber"]),
            "NoXmlDate": lambda o: o["XmlDate"] is None,
        }
        if name not in tests:
            raise RequestProblem(30)
        test = tests[name]
        return lambda o: test(o) != negate

    def update_sold_items(self, root: Element) -> Response:
        nodes = root.findall("Orders/Order")
        if len(nodes) > MAX_UPDATE:
            raise RequestProblem(75)
        for node in nodes:
            try:
                order = self.orders[int(_find(node, "OrderID"))]
            except (KeyError, ValueError):
                raise RequestProblem(77) from None
            if _find(node, "OrderExported"):
                order["Exported"] = _find(node, "OrderExported").lower() in ("1", "true")
            for tag in node.iterfind("Tags/Tag"):
                if tag.text and tag.text.strip() not in order["Tags"]:
                    order["Tags"].append(tag.text.strip())
            if _find(node, "XmlDate"):
                try:
                    order["XmlDate"] = parse_moment(_find(node, "XmlDate"))
                except ValueError:
                    raise RequestProblem(30) from None
            order["ModDate"] = self.clock()
        return envelope("UpdateSoldItems", "Success", "")

    # -- the web login and PDFs -------------------------------------------------------

    def _session(self, request: Request) -> bool:
        token = request.cookies.get(SESSION_COOKIE, "")
        until = self.sessions.get(token)
        return until is not None and until > time.monotonic()

    def on_login(self, request: Request) -> Response:
        return_url = request.values.get("ReturnUrl", "")
        if request.method == "GET":
            return login_page(return_url=return_url)
        user, password = request.form.get("Username", ""), request.form.get("Password", "")
        if not (user and user == self.web_user and password == self.web_password):
            self.failed_logins += 1
            return login_page("Benutzername oder Passwort ist falsch.", return_url)
        self.logins += 1
        token = secrets.token_urlsafe(24)
        self.sessions[token] = time.monotonic() + self.session_seconds
        target = return_url if return_url.startswith("/") else "/afterbuy/"
        response = Response("", status=302, headers={"Location": target})
        response.set_cookie(SESSION_COOKIE, token, httponly=True, path="/")
        return response

    def on_home(self, request: Request) -> Response:
        if not self._session(request):
            return Response("", status=302, headers={"Location": LOGIN_PATH})
        return Response("<html><body>Afterbuy</body></html>", content_type="text/html")

    def on_pdf(self, request: Request) -> Response:
        if not self._session(request):
            location = f"{LOGIN_PATH}?ReturnUrl={quote(request.full_path, safe='/')}"
            return Response("", status=302, headers={"Location": location})
        try:
            order = self.orders[int(request.args.get("OrderID", ""))]
        except (KeyError, ValueError):
            return Response("<html>Vorgang nicht gefunden</html>", 404, content_type="text/html")
        if not order["InvoiceNumber"]:
            return Response("<html>Keine Rechnung</html>", 404, content_type="text/html")
        if order["OrderID"] in self.html_instead_of_pdf:
            return Response(
                "<html><body>Wartungsarbeiten – bitte später erneut versuchen.</body></html>",
                content_type="text/html; charset=utf-8",
            )
        kind = "Gutschrift" if order["Platform"] == CREDIT_PLATFORM else "Rechnung"
        pdf = tiny_pdf(f"{kind} {order['InvoiceNumber']} Vorgang {order['OrderID']}")
        return Response(
            pdf,
            content_type="application/pdf",
            headers={"Content-Disposition": f'inline; filename="{order["InvoiceNumber"]}.pdf"'},
        )

    # -- control API -----------------------------------------------------------------------

    def control_add_order(self, request: Request) -> Response:
        """Add an order from JSON: a seed-model-like dict (see :func:`order_from_json`)."""
        order = self.add_order(order_from_json(request.get_json(force=True), self))
        return json_response({"OrderID": order["OrderID"], "ModDate": moment(order["ModDate"])})

    def control_change(self, request: Request, order_id: int) -> Response:
        body = request.get_json(force=True)
        try:
            with self.lock:
                changes = order_from_json({**_plain(self.orders[order_id]), **body}, self)
                order = self.change_order(order_id, **{k: changes[k] for k in body})
        except KeyError as exc:
            return json_response({"message": str(exc)}, 404)
        return json_response({"OrderID": order_id, "ModDate": moment(order["ModDate"])})

    def control_expire(self, request: Request) -> Response:
        self.expire_sessions()
        return json_response({"ok": True})


def _plain(order: dict[str, Any]) -> dict[str, Any]:
    """An order with JSON-safe values (decimals and dates as strings)."""

    def convert(value: Any) -> Any:
        if isinstance(value, dict):
            return {k: convert(v) for k, v in value.items()}
        if isinstance(value, list):
            return [convert(v) for v in value]
        if isinstance(value, (Decimal, dt.date)):
            return value.isoformat() if isinstance(value, dt.date) else str(value)
        return value

    return {k: convert(v) for k, v in order.items()}


def order_from_json(data: dict[str, Any], fake: AfterbuyFake) -> dict[str, Any]:
    """An order from JSON with ISO dates and decimal strings; missing fields from a template."""
    template = copy.deepcopy(next(iter(fake.orders.values())))
    order = {**template, **data}
    for key in ("OrderDate", "PaymentDate", "XmlDate", "ModDate"):
        if isinstance(order.get(key), str):
            order[key] = dt.datetime.fromisoformat(order[key]).astimezone(BERLIN)
    for key in ("InvoiceDate", "DeliveryDate"):
        if isinstance(order.get(key), str):
            order[key] = dt.date.fromisoformat(order[key])
    for key in ("AlreadyPaid", "FullAmount", "ShippingCost", "ShippingTaxRate"):
        order[key] = Decimal(str(order[key]))
    for item in order["Items"]:
        for key in ("ItemQuantity", "ItemPrice", "TaxRate"):
            item[key] = Decimal(str(item[key]))
    order["OrderID"] = int(order["OrderID"])
    order["InvoiceNumber"] = str(order["InvoiceNumber"] or "")
    return order


def build(argv: list[str]) -> AfterbuyFake:
    parser = argparse.ArgumentParser(prog="belegsync fake afterbuy")
    parser.add_argument("--partner-token", required=True, help="the PartnerToken accepted")
    parser.add_argument("--account-token", required=True, help="the AccountToken accepted")
    parser.add_argument("--partner-id", default="", help="legacy PartnerID accepted (optional)")
    parser.add_argument("--partner-password", default="", help="legacy PartnerPassword")
    parser.add_argument("--user-id", default="", help="legacy UserID")
    parser.add_argument("--user-password", default="", help="legacy UserPassword")
    parser.add_argument("--user", default="", help="web login user name (for PDFs)")
    parser.add_argument("--password", default="", help="web login password (for PDFs)")
    parser.add_argument(
        "--rate-limit", type=int, default=0, help="calls per second per account (0 = off)"
    )
    parser.add_argument(
        "--call-limit", type=int, default=0, help="API calls per account until reset (0 = off)"
    )
    parser.add_argument("--orders", type=int, default=300, help="seeded invoices (for paging)")
    parser.add_argument("--seed", type=int, default=1, help="seed of the invoice generator")
    parser.add_argument(
        "--allow-no-filter",
        action="store_true",
        help="answer GetSoldItems without DataFilter (default: error 30)",
    )
    parser.add_argument("--session-seconds", type=float, default=1800, help="web session life")
    args = parser.parse_args(argv)
    legacy_parts = (args.partner_id, args.partner_password, args.user_id, args.user_password)
    if any(legacy_parts) and not all(legacy_parts):
        parser.error(
            "the legacy credentials need all four of --partner-id, --partner-password, "
            "--user-id and --user-password"
        )
    return AfterbuyFake(
        partner_token=args.partner_token,
        account_token=args.account_token,
        legacy=legacy_parts if all(legacy_parts) else None,
        web_user=args.user,
        web_password=args.password,
        rate_limit=args.rate_limit or None,
        call_limit=args.call_limit or None,
        orders=args.orders,
        seed=args.seed,
        require_filter=not args.allow_no_filter,
        session_seconds=args.session_seconds,
    )
