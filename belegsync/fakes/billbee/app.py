"""A local double of Billbee's REST API v1, for what an importer of orders uses.

Its reading of Billbee (tests/reference/billbee/README.md, fake-checklist.md):

- every request needs HTTP Basic (user + API password) *and* ``X-Billbee-Api-Key``;
  wrong or missing → 401 with the envelope (body shape unverified);
- answers are envelopes ``{ErrorMessage, ErrorCode, ErrorDescription, Data}``,
  lists add ``Paging`` (1-based, ``TotalPages = ceil(TotalRows / PageSize)``,
  a page past the end is 200 with empty ``Data``); ``pageSize`` above 250 is
  clamped (real behaviour unverified);
- business errors: non-2xx **and** the envelope with ``ErrorCode`` (2 order not
  found, 4 cannot create invoice, 5 order cancelled);
- throttling: ``--rate-limit`` calls per second per key + user (Billbee: 10),
  at most ``--endpoint-rate-limit`` per second per endpoint (Billbee: 2), 6 per
  minute for one order by id, one ``CreateInvoice`` per order in 5 minutes;
  beyond that 429 with ``Retry-After`` in seconds;
- mutating an order (tags, state, invoice) moves ``LastModifiedAt``, so polling
  with ``modifiedAtMin`` sees it; a state change also writes a ``History`` entry
  (``TypeId`` 15, wording unverified).

Orders are ordered by ``BillBeeOrderId`` ascending (real order unverified).
Array filters are read in both forms clients send: repeated keys (``shopId=1&shopId=2``,
the swagger's ``collectionFormat: multi``) and indexed keys (``shopId[0]=1``, what the
official PHP SDK's ``http_build_query`` sends; ASP.NET binds both).
"""

from __future__ import annotations

import argparse
import base64
import collections
import copy
import datetime as dt
import math
import re
import time
from collections.abc import Callable
from typing import Any

from werkzeug.exceptions import HTTPException
from werkzeug.routing import Rule
from werkzeug.wrappers import Request, Response

from belegsync.fakes.base import FakeApp, SlidingWindow, json_response

from .seed import MERCHANT_VAT_ID, PAYMENT_TYPES, SHOPS, STATES, iso, seed_orders
from .webhooks import FILTERS, Deliveries, echo_check

MAX_PAGE_SIZE = 250
API = "/api/v1"

ERROR_TEXT = {
    1: "Die API ist nicht aktiviert",
    2: "Bestellung nicht gefunden",
    4: "Rechnung kann nicht erstellt werden",
    5: "Bestellung ist storniert",
    11: "Ungültige Daten",
}


class BadParameter(HTTPException):
    """A query parameter whose value Billbee cannot bind: 400, ErrorCode 11 InvalidData."""

    code = 400

    def __init__(self, name: str, value: str | None) -> None:
        super().__init__(f"Der Wert '{value}' ist für den Parameter '{name}' ungültig.")

    def get_response(self, environ: Any = None, scope: Any = None) -> Response:
        return json_response(envelope(None, 11, self.description), status=400)


def multi(args: Any, name: str) -> list[str]:
    """An array parameter: ``name=a&name=b``, ``name[]=a`` or ``name[0]=a&name[1]=b``."""
    indexed = re.compile(rf"^{re.escape(name)}\[(\d*)\]$")
    values = list(args.getlist(name))
    keyed = sorted(
        ((int(m.group(1) or 0), key) for key in args if (m := indexed.match(key))),
        key=lambda pair: pair[0],
    )
    for _, key in keyed:
        values.extend(args.getlist(key))
    return [v for v in values if v != ""]


def integer(args: Any, name: str, default: int) -> int:
    value = args.get(name)
    if value in (None, ""):
        return default
    if not re.fullmatch(r"-?\d{1,18}", value):
        raise BadParameter(name, value)
    return int(value)


def integers(args: Any, name: str) -> set[int]:
    values = multi(args, name)
    for value in values:
        if not re.fullmatch(r"-?\d{1,18}", value):
            raise BadParameter(name, value)
    return {int(v) for v in values}


def moment(args: Any, name: str) -> dt.datetime | None:
    value = args.get(name)
    if not value:
        return None
    try:
        return parse_moment(value)
    except ValueError:
        raise BadParameter(name, value) from None


def flag(args: Any, name: str) -> bool:
    value = args.get(name, "false").lower()
    if value not in ("true", "false"):
        raise BadParameter(name, args.get(name))
    return value == "true"


def envelope(data: Any, code: int = 0, message: str | None = None) -> dict[str, Any]:
    return {"ErrorMessage": message, "ErrorCode": code, "ErrorDescription": code, "Data": data}


def parse_moment(value: str) -> dt.datetime:
    """ISO-8601 with or without offset; offset-less is UTC (reference §4, unverified)."""
    moment = dt.datetime.fromisoformat(value.replace("Z", "+00:00"))
    return moment if moment.tzinfo else moment.replace(tzinfo=dt.UTC)


def tiny_pdf(text: str) -> bytes:
    """A small but well-formed one-page PDF naming the invoice."""
    stream = f"BT /F1 12 Tf 72 720 Td ({text}) Tj ET".encode("latin-1", "replace")
    objects = [
        b"<</Type/Catalog/Pages 2 0 R>>",
        b"<</Type/Pages/Kids[3 0 R]/Count 1>>",
        b"<</Type/Page/Parent 2 0 R/MediaBox[0 0 595 842]/Contents 4 0 R"
        b"/Resources<</Font<</F1 5 0 R>>>>>>",
        b"<</Length %d>>stream\n" % len(stream) + stream + b"\nendstream",
        b"<</Type/Font/Subtype/Type1/BaseFont/Helvetica>>",
    ]
    out = bytearray(b"%PDF-1.4\n")
    offsets = []
    for number, body in enumerate(objects, start=1):
        offsets.append(len(out))
        out += b"%d 0 obj\n" % number + body + b"\nendobj\n"
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    for offset in offsets:
        out += b"%010d 00000 n \n" % offset
    out += b"trailer\n<</Size %d/Root 1 0 R>>\nstartxref\n%d\n%%%%EOF\n" % (
        len(objects) + 1,
        xref,
    )
    return bytes(out)


class BillbeeFake(FakeApp):
    system = "billbee"
    unverified = {
        "omit_optional_keys": "envelope with ErrorMessage, ErrorDescription | without (PHP)",
        "not_found_status": "unknown order: 404 + ErrorCode 2 | 200 + ErrorCode 2",
        "empty_deletes": "a removed webhook: 200 with an object (swagger) | 200 without a body",
        "newest_first": "orders by BillBeeOrderId ascending | descending",
    }

    def apply_reading(self, *, alternative: bool) -> None:
        self.omit_optional_keys = alternative
        self.not_found_status = 200 if alternative else 404
        self.empty_deletes = alternative
        self.newest_first = alternative

    rules = (
        Rule(f"{API}/orders", endpoint="orders", methods=["GET"]),
        Rule(f"{API}/orders/invoices", endpoint="invoices", methods=["GET"]),
        Rule(f"{API}/orders/<int:order_id>", endpoint="order", methods=["GET"]),
        Rule(f"{API}/orders/findbyextref/<ext_ref>", endpoint="order_by_ref", methods=["GET"]),
        Rule(f"{API}/orders/<int:order_id>/tags", endpoint="tags", methods=["POST", "PUT"]),
        Rule(f"{API}/orders/<int:order_id>/orderstate", endpoint="state", methods=["PUT"]),
        Rule(f"{API}/orders/CreateInvoice/<int:order_id>", endpoint="invoice", methods=["POST"]),
        Rule(f"{API}/shopaccounts", endpoint="shops", methods=["GET"]),
        Rule(f"{API}/enums/orderstates", endpoint="enum_states", methods=["GET"]),
        Rule(f"{API}/enums/paymenttypes", endpoint="enum_payments", methods=["GET"]),
        Rule("/__fake__/orders", endpoint="control_add_order", methods=["POST"]),
        Rule(
            "/__fake__/orders/<int:order_id>/state",
            endpoint="control_set_state",
            methods=["POST"],
        ),
        Rule("/__fake__/files/<name>", endpoint="control_file", methods=["GET"]),
        Rule(f"{API}/webhooks", endpoint="webhooks", methods=["GET", "POST", "DELETE"]),
        Rule(f"{API}/webhooks/filters", endpoint="webhook_filters", methods=["GET"]),
        Rule(f"{API}/webhooks/<hook_id>", endpoint="webhook", methods=["GET", "PUT", "DELETE"]),
        Rule("/__fake__/webhooks", endpoint="control_webhooks", methods=["GET"]),
    )

    def __init__(
        self,
        *,
        api_key: str,
        user: str,
        password: str,
        rate_limit: int | None = 10,
        endpoint_rate_limit: int | None = 2,
        bulk: int = 300,
        omit_optional_keys: bool = False,
        clock: Callable[[], dt.datetime] | None = None,
    ) -> None:
        super().__init__(rate_limit=rate_limit)
        self.api_key, self.user, self.password = api_key, user, password
        self.bulk = bulk
        #: Leave out ErrorMessage/ErrorDescription like the official fixtures do.
        self.omit_optional_keys = omit_optional_keys
        self.clock = clock or (lambda: dt.datetime.now(dt.UTC))
        self.endpoint_window = SlidingWindow(endpoint_rate_limit) if endpoint_rate_limit else None
        self.throttle_per_order = True
        self.not_found_status = 404
        self.empty_deletes = False
        self.newest_first = False
        self.reset_state()

    # -- state -----------------------------------------------------------------

    def reset_state(self) -> None:
        self.orders: dict[int, dict[str, Any]] = {
            o["BillBeeOrderId"]: o for o in seed_orders(self.bulk)
        }
        self.next_invoice_number = 5000
        self.pdfs: dict[str, bytes] = {}
        self.invoice_calls: dict[int, float] = {}
        self.invoice_list_calls: dict[tuple[int, str], float] = {}
        self.order_calls: dict[int, collections.deque[float]] = collections.defaultdict(
            collections.deque
        )
        #: Tag requests as received: (order id, method, tags).
        self.tag_requests: list[tuple[int, str, list[str]]] = []
        self.webhooks = Deliveries()

    def state(self) -> dict[str, Any]:
        return {
            "orders": len(self.orders),
            "tags": {str(k): o["Tags"] for k, o in self.orders.items() if o["Tags"]},
            "states": {str(k): o["State"] for k, o in self.orders.items()},
            "tag_requests": self.tag_requests,
        }

    def set_credentials(self, data: dict[str, Any]) -> None:
        self.api_key = data.get("api_key", self.api_key)
        self.user = data.get("user", self.user)
        self.password = data.get("password", self.password)

    def _touch(self, order: dict[str, Any], at: dt.datetime | None = None) -> None:
        order["LastModifiedAt"] = order["UpdatedAt"] = iso(at or self.clock())

    # -- what tests and the control API call ----------------------------------

    def add_order(self, order: dict[str, Any]) -> dict[str, Any]:
        """Add (or replace) an order as the shop would import it; it counts as modified now."""
        with self.lock:
            order = copy.deepcopy(order)
            self._touch(order)
            known = int(order["BillBeeOrderId"]) in self.orders
            self.orders[int(order["BillBeeOrderId"])] = order
        self.webhooks.notify(
            "order.updated" if known else "order.created",
            {"OrderId": order["BillBeeOrderId"], "OrderNumber": order.get("OrderNumber")},
        )
        return order

    def set_order_state(
        self, order_id: int, state: int, at: dt.datetime | None = None
    ) -> dict[str, Any]:
        """Change an order's state like a merchant in Billbee's UI would."""
        if state not in STATES:
            raise ValueError(f"unknown order state {state}")
        with self.lock:
            order = self.orders[order_id]
            old = order["State"]
            order["State"] = state
            moment = at or self.clock()
            order["History"].append(
                {
                    "Created": iso(moment),
                    "EventTypeName": "Status geändert",
                    "Text": f"Status geändert von {STATES[old]} auf {STATES[state]}",
                    "EmployeeName": "Fake",
                    "TypeId": 15,
                }
            )
            if state == 4 and not order.get("ShippedAt"):
                order["ShippedAt"] = iso(moment)
            self._touch(order, moment)
            return order

    def order(self, order_id: int) -> dict[str, Any]:
        return self.orders[order_id]

    # -- auth, throttling, envelopes ---------------------------------------------

    def envelope_response(
        self, data: Any, status: int = 200, code: int = 0, message: str | None = None, **extra: Any
    ) -> Response:
        body = {**extra, **envelope(data, code, message)}
        if self.omit_optional_keys:
            body.pop("ErrorMessage", None)
            body.pop("ErrorDescription", None)
        return json_response(body, status=status)

    def error(self, status: int, code: int, message: str | None = None) -> Response:
        return self.envelope_response(None, status, code, message or ERROR_TEXT.get(code, ""))

    def error_response(self, request: Request, status: int, message: str) -> Response:
        """ASP.NET's own refusals (no route, wrong method): ``Message`` plus the envelope."""
        return json_response({"Message": message, **envelope(None, 0, message)}, status=status)

    def authenticate(self, request: Request) -> Response | str:
        auth = request.authorization
        key = request.headers.get("X-Billbee-Api-Key", "")
        if (
            key != self.api_key
            or auth is None
            or auth.type != "basic"
            or auth.username != self.user
            or auth.password != self.password
        ):
            denied = "Authorization has been denied for this request."
            return json_response({"Message": denied, **envelope(None, 0, denied)}, status=401)
        return f"{key}:{auth.username}"

    def rate_limited_response(self, retry_after: int = 1) -> Response:
        return json_response(
            {"Message": "API rate limit exceeded"},
            status=429,
            headers={"Retry-After": str(retry_after)},
        )

    def server_error_response(self, status: int) -> Response:
        return self.error(status, 8, "Interner Fehler")

    def before(self, request: Request) -> Response | None:
        refused = super().before(request)
        if refused is not None or self.endpoint_window is None:
            return refused
        account = self.authenticate(request)
        endpoint = request.path.rstrip("/0123456789")
        with self.lock:
            admitted = self.endpoint_window.admit(
                f"{account}:{request.method}:{endpoint}", time.monotonic()
            )
        if not admitted:
            self.stats["rate_limited"] += 1
            return self.rate_limited_response()
        return None

    # -- orders ----------------------------------------------------------------

    def _paged(self, request: Request, rows: list[Any]) -> Response:
        page = max(1, integer(request.args, "page", 1))
        size = min(MAX_PAGE_SIZE, max(1, integer(request.args, "pageSize", 50)))
        total = len(rows)
        chunk = rows[(page - 1) * size : page * size]
        return self.envelope_response(
            chunk,
            Paging={
                "Page": page,
                "TotalPages": math.ceil(total / size),
                "TotalRows": total,
                "PageSize": size,
            },
        )

    def on_orders(self, request: Request) -> Response:
        args = request.args
        names = ("minOrderDate", "maxOrderDate", "modifiedAtMin", "modifiedAtMax")
        bounds = {name: value for name in names if (value := moment(args, name))}
        shops, states = integers(args, "shopId"), integers(args, "orderStateId")
        min_id = integer(args, "minimumBillBeeOrderId", 0)
        tags = {t.lower() for t in multi(args, "tag")}
        exclude = flag(args, "excludeTags")

        def wanted(order: dict[str, Any]) -> bool:
            created = parse_moment(order["CreatedAt"])
            modified = parse_moment(order["LastModifiedAt"])
            if "minOrderDate" in bounds and created < bounds["minOrderDate"]:
                return False
            if "maxOrderDate" in bounds and created > bounds["maxOrderDate"]:
                return False
            if "modifiedAtMin" in bounds and modified <= bounds["modifiedAtMin"]:
                return False  # swagger: "last modification newer than"
            if "modifiedAtMax" in bounds and modified > bounds["modifiedAtMax"]:
                return False  # swagger: "older or equal to"
            if order["BillBeeOrderId"] < min_id:
                return False
            return _in_shops_states_tags(order, shops, states, tags, exclude)

        ordered = sorted(self.orders, reverse=self.newest_first)
        rows = [self.orders[k] for k in ordered if wanted(self.orders[k])]
        return self._paged(request, rows)

    def on_invoices(self, request: Request) -> Response:
        """``GET /orders/invoices``: issued invoices and credit notes (README §5.3)."""
        args = request.args
        names = ("minInvoiceDate", "maxInvoiceDate", "minPayDate", "maxPayDate")
        bounds = {name: value for name in names if (value := moment(args, name))}
        shops, states = integers(args, "shopId"), integers(args, "orderStateId")
        tags = {t.lower() for t in multi(args, "tag")}
        exclude, positions = flag(args, "excludeTags"), flag(args, "includePositions")
        if self.throttle_per_order:
            key = (integer(args, "page", 1), args.get("minInvoiceDate", ""))
            now, last = time.monotonic(), self.invoice_list_calls.get(key)
            if last is not None and now - last < 60:
                self.stats["rate_limited"] += 1
                return self.rate_limited_response(int(60 - (now - last)) + 1)
            self.invoice_list_calls[key] = now

        def wanted(order: dict[str, Any]) -> bool:
            if not order.get("InvoiceNumber") or not order.get("InvoiceDate"):
                return False
            for name, at in (("Invoice", order["InvoiceDate"]), ("Pay", order.get("PayedAt"))):
                low, high = bounds.get(f"min{name}Date"), bounds.get(f"max{name}Date")
                if (low or high) and not at:
                    return False
                if (low and parse_moment(at) < low) or (high and parse_moment(at) > high):
                    return False
            return _in_shops_states_tags(order, shops, states, tags, exclude)

        rows = [
            invoice_of(order, self.invoice_number(order), with_positions=positions)
            for order in (self.orders[k] for k in sorted(self.orders))
            if wanted(order)
        ]
        return self._paged(request, rows)

    def _find(self, order_id: int) -> dict[str, Any] | None:
        return self.orders.get(order_id)

    def on_order(self, request: Request, order_id: int) -> Response:
        if self.throttle_per_order:
            calls = self.order_calls[order_id]
            now = time.monotonic()
            while calls and now - calls[0] >= 60:
                calls.popleft()
            if len(calls) >= 6:
                self.stats["rate_limited"] += 1
                return self.rate_limited_response(int(60 - (now - calls[0])) + 1)
            calls.append(now)
        order = self._find(order_id)
        if order is None:
            return self.error(self.not_found_status, 2)
        return self.envelope_response(order)

    def on_order_by_ref(self, request: Request, ext_ref: str) -> Response:
        for order in self.orders.values():
            if ext_ref in (order["OrderNumber"], order["Id"]):
                return self.envelope_response(order)
        return self.error(self.not_found_status, 2)

    def on_tags(self, request: Request, order_id: int) -> Response:
        order = self._find(order_id)
        if order is None:
            return self.error(self.not_found_status, 2)
        body = request.get_json(silent=True)
        tags = body.get("Tags") if isinstance(body, dict) else None
        if not isinstance(tags, list) or not all(isinstance(t, str) and t for t in tags):
            return self.error(400, 11, "Tags muss eine Liste von Texten sein")
        self.tag_requests.append((order_id, request.method, list(tags)))
        if request.method == "PUT":
            order["Tags"] = []
        known = {t.lower() for t in order["Tags"]}
        for tag in tags:
            if tag.lower() not in known:  # tags are case-insensitive
                order["Tags"].append(tag)
                known.add(tag.lower())
        self._touch(order)
        return self.envelope_response({})

    def on_state(self, request: Request, order_id: int) -> Response:
        if self._find(order_id) is None:
            return self.error(self.not_found_status, 2)
        body = request.get_json(silent=True)
        state = body.get("NewStateId") if isinstance(body, dict) else None
        if isinstance(state, bool) or not isinstance(state, int) or state not in STATES:
            return self.error(400, 11, "NewStateId fehlt oder ist unbekannt")
        self.set_order_state(order_id, state)
        return self.envelope_response({})

    def invoice_number(self, order: dict[str, Any]) -> str:
        prefix = order.get("InvoiceNumberPrefix") or ""
        postfix = order.get("InvoiceNumberPostfix") or ""
        return f"{prefix}{order['InvoiceNumber']}{postfix}"

    def on_invoice(self, request: Request, order_id: int) -> Response:
        order = self._find(order_id)
        if order is None:
            return self.error(self.not_found_status, 2)
        now = time.monotonic()
        last = self.invoice_calls.get(order_id)
        if self.throttle_per_order and last is not None and now - last < 300:
            self.stats["rate_limited"] += 1
            return self.rate_limited_response(int(300 - (now - last)) + 1)
        self.invoice_calls[order_id] = now
        if not order.get("InvoiceNumber"):
            if order["State"] == 8:
                return self.error(400, 5)
            if order["State"] in (6, 14):
                return self.error(400, 4)
            order["InvoiceNumber"] = self.next_invoice_number
            order["InvoiceNumberPrefix"] = order.get("InvoiceNumberPrefix") or "RE-"
            order["InvoiceNumberPostfix"] = order.get("InvoiceNumberPostfix") or ""
            order["InvoiceDate"] = iso(self.clock())
            self.next_invoice_number += 1
            self._touch(order)
            created = True
        else:
            created = False
        number = self.invoice_number(order)
        if created:
            self.webhooks.notify(
                "order.invoice_created",
                {"OrderId": order_id, "OrderNumber": order["OrderNumber"], "InvoiceNumber": number},
            )
        pdf = self.pdfs.setdefault(number, tiny_pdf(f"Rechnung {number} {order['OrderNumber']}"))
        with_pdf = flag(request.args, "includeInvoicePdf")
        total = float(order["TotalCost"])
        return self.envelope_response(
            {
                "OrderNumber": order["OrderNumber"],
                "InvoiceNumber": number,
                "PDFData": base64.b64encode(pdf).decode("ascii") if with_pdf else None,
                "InvoiceDate": order["InvoiceDate"],
                "TotalGross": total,
                "TotalNet": round(total - sum(i["TaxAmount"] for i in order["OrderItems"]), 2),
                "PdfDownloadUrl": f"{request.host_url}__fake__/files/{number}.pdf",
            }
        )

    def control_file(self, request: Request, name: str) -> Response:
        with self.lock:
            pdf = self.pdfs.get(name.removesuffix(".pdf"))
        if pdf is None:
            return json_response({"message": "no such file"}, 404)
        return Response(pdf, content_type="application/pdf")

    # -- shops and enums -----------------------------------------------------------

    def on_shops(self, request: Request) -> Response:
        rows = [
            {
                "Id": s["Id"],
                "AccountType": s["AccountType"],
                "Name": s["Name"],
                "LastSyncDate": "2024-12-01T08:00:00+00:00",
                "LastSyncState": 1,
            }
            for s in SHOPS
        ]
        return self._paged(request, rows)

    def on_enum_states(self, request: Request) -> Response:
        return json_response([{"Id": k, "Name": v} for k, v in STATES.items()])

    def on_enum_payments(self, request: Request) -> Response:
        return json_response([{"Id": k, "Name": v} for k, v in PAYMENT_TYPES.items()])

    # -- webhooks (fakes/billbee/webhooks.py) ----------------------------------------

    def on_webhooks(self, request: Request) -> Response:
        hooks = self.webhooks
        if request.method == "GET":
            with hooks.lock:
                return json_response([hooks.public(h) for h in hooks.hooks.values()])
        if request.method == "DELETE":
            with hooks.lock:
                hooks.hooks.clear()
            return self.deleted()
        body = request.get_json(force=True, silent=True)
        if not isinstance(body, dict) or not isinstance(body.get("WebHookUri"), str):
            return self.error_response(request, 400, "WebHookUri is required")
        unknown = [f for f in body.get("Filters") or [] if f not in FILTERS and f != "*"]
        if unknown:
            return self.error_response(request, 400, f"unknown filters: {unknown}")
        failed = echo_check(body["WebHookUri"])
        if failed:
            return self.error_response(request, 400, failed)
        return json_response(hooks.public(hooks.register(body)), 201)

    def deleted(self) -> Response:
        """A removal's answer: the swagger's 200 with an object, or (ASP.NET's ``Ok()``,
        the other reading) 200 without a body."""
        return Response(status=200) if self.empty_deletes else json_response({})

    def on_webhook_filters(self, request: Request) -> Response:
        # the swagger's answer is an object (its fields unverified): name -> description
        return json_response(FILTERS)

    def on_webhook(self, request: Request, hook_id: str) -> Response:
        hooks = self.webhooks
        with hooks.lock:
            hook = hooks.hooks.get(hook_id)
            if hook is None:
                return self.error_response(request, 404, f"no webhook {hook_id}")
            if request.method == "GET":
                return json_response(hooks.public(hook))
            if request.method == "DELETE":
                del hooks.hooks[hook_id]
                return self.deleted()
        body = request.get_json(force=True, silent=True)
        if not isinstance(body, dict) or not isinstance(body.get("WebHookUri"), str):
            return self.error_response(request, 400, "WebHookUri is required")
        # The API never returns the secret; a PUT without one keeps the stored one.
        hooks.register(
            {
                "Secret": hook["Secret"],
                **{k: v for k, v in body.items() if v is not None},
                "Id": hook_id,
            }
        )
        return Response(status=204)

    def control_webhooks(self, request: Request) -> Response:
        with self.webhooks.lock:
            return json_response(
                {"hooks": list(self.webhooks.hooks.values()), "delivered": self.webhooks.log}
            )

    # -- control API -------------------------------------------------------------------

    def control_add_order(self, request: Request) -> Response:
        order = self.add_order(request.get_json(force=True))
        return json_response({"BillBeeOrderId": order["BillBeeOrderId"]}, 201)

    def control_set_state(self, request: Request, order_id: int) -> Response:
        body = request.get_json(force=True)
        try:
            order = self.set_order_state(order_id, int(body["state"]))
        except KeyError:
            return json_response({"message": f"no order {order_id}"}, 404)
        except (TypeError, ValueError) as exc:
            return json_response({"message": str(exc)}, 400)
        return json_response({"State": order["State"], "LastModifiedAt": order["LastModifiedAt"]})


def _in_shops_states_tags(
    order: dict[str, Any], shops: set[int], states: set[int], tags: set[str], exclude: bool
) -> bool:
    if shops and order["Seller"]["BillbeeShopId"] not in shops:
        return False
    if states and order["State"] not in states:
        return False
    if tags:
        has = tags <= {t.lower() for t in order["Tags"]}
        return not has if exclude else has
    return True


def _local(moment_text: str | None) -> str | None:
    """The invoice list's dates carry no offset (reference example ``get_invoices_page``)."""
    if not moment_text:
        return None
    return parse_moment(moment_text).replace(tzinfo=None).isoformat(timespec="seconds")


def _four(value: float) -> float:
    return round(value, 4)


def invoice_of(order: dict[str, Any], number: str, *, with_positions: bool) -> dict[str, Any]:
    """An ``InvoiceApiModel`` of an order with an invoice: net/gross/VAT per position,
    shipping as an ``AdditionalFees`` entry at the goods' highest rate, coupons left
    out (a coupon is a means of payment, README §8)."""
    rates = {0: 0.0, 1: float(order["TaxRate1"] or 0), 2: float(order["TaxRate2"] or 0)}
    items = [i for i in order["OrderItems"] if not i.get("IsCoupon")]
    positions = []
    for index, item in enumerate(items, start=1):
        quantity = float(item["Quantity"]) or 1.0
        gross, vat = float(item["TotalPrice"]), float(item["TaxAmount"])
        positions.append(
            {
                "Position": index,
                "Amount": float(item["Quantity"]),
                "NetValue": _four(abs((gross - vat) / quantity)),
                "TotalNetValue": _four(gross - vat),
                "GrossValue": _four(abs(gross / quantity)),
                "TotalGrossValue": _four(gross),
                "VatRate": rates.get(item["TaxIndex"], 0.0),
                "ArticleBillbeeId": item["Product"]["BillbeeId"],
                "Sku": item["Product"]["SKU"],
                "Title": item["Product"]["Title"],
                "BillbeeId": item["BillbeeId"],
                "TotalVatAmount": _four(vat),
                "RebatePercent": float(item.get("Discount") or 0),
            }
        )
    fees = []
    shipping = float(order.get("ShippingCost") or 0)
    if shipping:
        rate = max((p["VatRate"] for p in positions), default=0.0)
        net = shipping / (1 + rate / 100)
        fees.append(
            {
                "Type": "ShipCost",
                "Gross": shipping,
                "Net": _four(net),
                "VatAmount": _four(shipping - net),
                "VatRate": rate,
            }
        )
    address = order.get("InvoiceAddress") or {}
    shipping_address = order.get("ShippingAddress") or address
    credit = str(order["OrderNumber"]).endswith("-GS") or bool(order.get("IsCancelationFor"))
    customer_number = str(order.get("CustomerNumber") or "")
    country = shipping_address.get("CountryISO2") or ""
    source = order.get("DeliverySourceCountryCode") or "DE"
    return {
        "BillbeeId": order["BillBeeOrderId"],
        "InvoiceNumber": number,
        "Type": "creditnote" if credit else "invoice",
        "Title": "",
        "Salutation": None,
        "LastName": address.get("LastName"),
        "FirstName": address.get("FirstName"),
        "Company": address.get("Company"),
        "CustomerNumber": int(customer_number) if customer_number.isdigit() else None,
        "DebtorNumber": int(customer_number) if customer_number.isdigit() else None,
        "InvoiceDate": _local(order["InvoiceDate"]),
        "TotalNet": round(
            sum(p["TotalNetValue"] for p in positions) + sum(f["Net"] for f in fees), 2
        ),
        "TotalGross": round(
            sum(p["TotalGrossValue"] for p in positions) + sum(f["Gross"] for f in fees), 2
        ),
        "Currency": order["Currency"],
        "PaymentTypeId": order.get("PaymentMethod"),
        "OrderNumber": order["OrderNumber"],
        "TransactionId": order.get("PaymentTransactionId"),
        "Email": address.get("Email"),
        "ShopName": order["Seller"]["BillbeeShopName"],
        "Positions": positions if with_positions else [],
        "PayDate": _local(order.get("PayedAt")),
        "VatMode": order["VatMode"],
        "VatFlags": {
            "ThirdPartyCountry": order["VatMode"] == 3,
            "SrcCountryIsEqualToDstCountry": country == source,
            "CustomerHasVatId": bool(order.get("VatId") or order.get("CustomerVatId")),
            "EuDeliveryThresholdExceeded": False,
            "OssEnabled": True,
            "SellerIsRegisteredInDstCountry": False,
            "OrderDistributionCountryIsEmpty": False,
            "UserProfileCountryIsEmpty": False,
            "SetIglWhenVatIdIsAvailableEnabled": True,
            "RatesFrom": "destination_country",
            "VatIdFrom": "destination_country",
            "IsDistanceSale": order["VatMode"] == 0 and bool(country) and country != source,
        },
        "ShippingCountry": country,
        "AdditionalFees": fees,
        "MerchantVatId": order.get("MerchantVatId") or MERCHANT_VAT_ID,
        "CustomerVatId": order.get("CustomerVatId") or order.get("VatId"),
    }


def build(argv: list[str]) -> BillbeeFake:
    parser = argparse.ArgumentParser(prog="belegsync fake billbee")
    parser.add_argument("--api-key", required=True, help="the X-Billbee-Api-Key accepted")
    parser.add_argument("--user", required=True, help="the Billbee user (login e-mail)")
    parser.add_argument("--password", required=True, help="the user's API password")
    parser.add_argument(
        "--rate-limit", type=int, default=10, help="calls per second per key+user (0 = off)"
    )
    parser.add_argument(
        "--endpoint-rate-limit", type=int, default=2, help="calls per second per endpoint (0 = off)"
    )
    parser.add_argument("--orders", type=int, default=300, help="bulk orders seeded for paging")
    args = parser.parse_args(argv)
    return BillbeeFake(
        api_key=args.api_key,
        user=args.user,
        password=args.password,
        rate_limit=args.rate_limit or None,
        endpoint_rate_limit=args.endpoint_rate_limit or None,
        bulk=args.orders,
    )
