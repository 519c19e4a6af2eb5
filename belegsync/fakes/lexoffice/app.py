"""A local lexoffice (Lexware Office) public API: the endpoints belegsync uses.

Follows tests/reference/lexoffice (README and fake-checklist, cited as
"checklist N"). Error bodies come in lexoffice's three shapes: gateway
``{"message": ...}`` (401/403/429/5xx), legacy ``{"IssueList": [...]}``
(vouchers, files, contacts) and the regular body (voucherlist, profile, ...).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import html
import itertools
import json
import re
import threading
import uuid
from collections import deque
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

from werkzeug.routing import Rule
from werkzeug.wrappers import Request, Response

from belegsync.fakes.base import FakeApp, json_response

from . import rules as checks
from .data import POSTING_CATEGORIES, countries

BERLIN = ZoneInfo("Europe/Berlin")
MAX_FILE_BYTES = 5 * 1024 * 1024
MAX_PAGE_SIZE = 250
SEARCH_WINDOW = 10_000
SORT_FIELDS = {
    "voucherdate": "voucherDate",
    "vouchernumber": "voucherNumber",
    "createddate": "_created",
    "updateddate": "_updated",
}
VOUCHERLIST_TYPES = (
    "salesinvoice",
    "salescreditnote",
    "purchaseinvoice",
    "purchasecreditnote",
    "invoice",
    "creditnote",
    "orderconfirmation",
    "quotation",
    "downpaymentinvoice",
    "deliverynote",
)
VOUCHERLIST_STATUSES = (
    "draft",
    "open",
    "overdue",
    "paid",
    "paidoff",
    "voided",
    "transferred",
    "sepadebit",
    "accepted",
    "rejected",
    "unchecked",
)


def timestamp(moment: dt.datetime) -> str:
    """lexoffice's timestamp: ``yyyy-MM-ddTHH:mm:ss.SSS+hh:mm`` in Europe/Berlin."""
    local = moment.astimezone(BERLIN)
    offset = local.strftime("%z")
    return f"{local:%Y-%m-%dT%H:%M:%S}.{local.microsecond // 1000:03d}{offset[:3]}:{offset[3:]}"


def midnight(day: str | None) -> str | None:
    """A voucher date as GET renders it: local midnight (checklist 32)."""
    if day is None:
        return None  # a voucher still to be checked has no date yet
    return timestamp(dt.datetime.combine(dt.date.fromisoformat(day), dt.time(), tzinfo=BERLIN))


def legacy_error(status: int, issues: list[dict[str, Any]]) -> Response:
    return json_response({"IssueList": issues}, status=status)


class TokenBucketWindow:
    """lexoffice's gateway limit: a token bucket per key (checklist 8).

    Has the ``admit(key, now)`` interface of the base's sliding window.
    """

    def __init__(self, per_second: float, capacity: float) -> None:
        self.per_second = per_second
        self.capacity = capacity
        self._buckets: dict[str, tuple[float, float]] = {}

    def admit(self, key: str, now: float) -> bool:
        tokens, last = self._buckets.get(key, (self.capacity, now))
        tokens = min(self.capacity, tokens + (now - last) * self.per_second)
        if tokens < 1:
            self._buckets[key] = (tokens, now)
            return False
        self._buckets[key] = (tokens - 1, now)
        return True


@dataclass
class Options:
    """How this fake answers where the reference is unverified (configurable, checklist)."""

    #: Status of a created voucher or contact: 201 per the status table (§4.1), 200 seen.
    create_status: int = 201
    upload_status: int = 202
    retry_after_header: bool = False
    #: A known route with the wrong method: 405, or the gateway's 403 (checklist 6).
    wrong_method_status: int = 405
    #: Date filters of the voucherlist: ``yyyy-MM-dd`` only (the docs), or also a
    #: timestamp whose date part is used ("lenient"; what some client libraries send).
    lenient_filter_dates: bool = False
    #: ``size`` above 250: refused with 400, or clamped to 250 (checklist 49).
    clamp_page_size: bool = False
    #: Render whole amounts as ``119`` instead of ``119.0`` (as the docs' sample does).
    compact_amounts: bool = True
    e_invoice: bool = False
    bookkeeping: bool = True
    strict: checks.Strictness = field(default_factory=checks.Strictness)


ROUTES = (
    Rule("/v1/vouchers", endpoint="vouchers", methods=["GET", "POST"]),
    Rule("/v1/vouchers/<voucher_id>", endpoint="voucher", methods=["GET", "PUT"]),
    Rule("/v1/vouchers/<voucher_id>/files", endpoint="voucher_files", methods=["POST"]),
    Rule("/v1/files", endpoint="files", methods=["POST"]),
    Rule("/v1/files/<file_id>", endpoint="file", methods=["GET"]),
    Rule("/v1/voucherlist", endpoint="voucherlist", methods=["GET"]),
    Rule("/v1/contacts", endpoint="contacts", methods=["GET", "POST"]),
    Rule("/v1/contacts/<contact_id>", endpoint="contact", methods=["GET", "PUT"]),
    Rule("/v1/profile", endpoint="profile", methods=["GET"]),
    Rule("/v1/posting-categories", endpoint="posting_categories", methods=["GET"]),
    Rule("/v1/countries", endpoint="countries", methods=["GET"]),
    Rule("/v1/payments/<voucher_id>", endpoint="payments", methods=["GET"]),
    Rule("/v1/transaction-assignment-hint", endpoint="assignment_hint", methods=["POST"]),
)


class LexofficeFake(FakeApp):
    system = "lexoffice"

    rules = ROUTES
    unverified = {
        "create_status": "created voucher/contact: 201 (status table) | 200",
        "upload_status": "voucher file upload: 202 (as /v1/files) | 201",
        "retry_after_header": "429 without Retry-After | with Retry-After: 1",
        "compact_amounts": "whole amounts as 119 (docs sample) | as 119.0",
        "wrong_method_status": "wrong method: 405 | the gateway's 403",
        "lenient_filter_dates": "voucherlist dates yyyy-MM-dd only | timestamps too",
        "clamp_page_size": "size above 250: 400 | clamped to 250",
    }

    def apply_reading(self, *, alternative: bool) -> None:
        options = self.options
        options.create_status = 200 if alternative else 201
        options.upload_status = 201 if alternative else 202
        options.retry_after_header = alternative
        options.compact_amounts = not alternative
        options.wrong_method_status = 403 if alternative else 405
        options.lenient_filter_dates = alternative
        options.clamp_page_size = alternative

    def __init__(
        self,
        *,
        api_keys: tuple[str, ...] = ("test-key",),
        partner_keys: tuple[str, ...] = (),
        rate_per_second: float = 2.0,
        burst: float = 2.0,
        profile: checks.Profile | None = None,
        options: Options | None = None,
        base_url: str = "https://api.lexware.io",
    ) -> None:
        super().__init__(rate_limit=None)
        self.window = TokenBucketWindow(rate_per_second, burst) if rate_per_second else None
        self.api_keys = set(api_keys)
        #: OAuth partner tokens with scope transaction-assignment-hint.write (checklist 63).
        self.partner_keys = set(partner_keys)
        self.profile = profile or checks.Profile()
        self.options = options or Options()
        self.base_url = base_url
        self.organization_id = "aa93e8a8-2aa3-470b-b914-caad8a255dd8"
        self._write_then_504: deque[str] = deque()
        self._customer_numbers = itertools.count(10000)
        self._ids_lock = threading.Lock()
        self.reset_state()

    # -- state ---------------------------------------------------------------

    def reset_state(self) -> None:
        self.vouchers: dict[str, dict[str, Any]] = {}
        self.files: dict[str, dict[str, Any]] = {}
        self.contacts: dict[str, dict[str, Any]] = {}
        self.hints: dict[str, dict[str, Any]] = {}

    def state(self) -> dict[str, Any]:
        return {
            "vouchers": [self.render_voucher(v) for v in self.vouchers.values()],
            "files": {
                fid: {k: v for k, v in f.items() if k != "content"} for fid, f in self.files.items()
            },
            "contacts": list(self.contacts.values()),
            "hints": list(self.hints.values()),
        }

    def set_credentials(self, data: dict[str, Any]) -> None:
        if "api_keys" in data:
            self.api_keys = set(data["api_keys"])
        if "partner_keys" in data:
            self.partner_keys = set(data["partner_keys"])

    def by_number(self, number: str) -> list[dict[str, Any]]:
        """Vouchers with this number (tests count duplicates with this)."""
        with self.lock:
            return [v for v in self.vouchers.values() if v["voucherNumber"] == number]

    def fail_next_write_with_504(self, count: int = 1) -> None:
        """The next ``count`` writes are carried out, then answered 504 (checklist 7)."""
        with self.lock:
            self._write_then_504.extend(["504"] * count)

    def pay(self, voucher_id: str, day: dt.date | None = None) -> None:
        """Test hook: what the merchant's bank matching does in the app (checklist 58)."""
        with self.lock:
            voucher = self.vouchers[voucher_id]
            paid = "paidoff" if voucher["type"] == "salescreditnote" else "paid"
            voucher["voucherStatus"] = paid
            when = dt.datetime.combine(day or self._now().date(), dt.time(), tzinfo=BERLIN)
            voucher["_payments"] = [
                {
                    "paymentItemType": "manualPayment",
                    "postingDate": timestamp(when),
                    "amount": voucher["totalGrossAmount"],
                    "currency": "EUR",
                }
            ]
            voucher["_paidDate"] = timestamp(dt.datetime.now(tz=BERLIN))

    # -- gateway -------------------------------------------------------------

    def authenticate(self, request: Request) -> Response | str:
        header = request.headers.get("Authorization")
        if not header:
            return json_response({"message": "Unauthorized"}, status=401)
        if not header.startswith("Bearer "):
            token = header.split(" ")[-1]
            return json_response(
                {
                    "message": f"'{token}' not a valid key=value pair (missing equal-sign) "
                    f"in Authorization header: 'Bearer {token}'."
                },
                status=403,
            )
        token = header.removeprefix("Bearer ").strip()
        if token not in self.api_keys and token not in self.partner_keys:
            return json_response({"message": "Unauthorized"}, status=401)
        return hashlib.sha256(token.encode()).hexdigest()[:16]

    def rate_limited_response(self) -> Response:
        headers = {"Retry-After": "1"} if self.options.retry_after_header else None
        return json_response({"message": "Too Many Requests"}, status=429, headers=headers)

    def server_error_response(self, status: int) -> Response:
        return json_response({"message": None}, status=status)

    def not_found_response(self, request: Request) -> Response:
        return json_response({"message": "Not Found"}, status=404)

    def error_response(self, request: Request, status: int, message: str) -> Response:
        """The gateway's ``{"message"}`` for 401/403/429/5xx, else the endpoint's own form."""
        if status in (401, 403, 429) or status >= 500:
            return json_response({"message": None if status == 500 else message}, status)
        if _legacy_errors(request.path):
            kind = "bad_request_error" if status < 406 else "validation_failure"
            return legacy_error(status, [checks.issue(kind, None, kind)])
        return self._regular_error(request, status, _REASONS.get(status, "Error"), message)

    def method_not_allowed_response(self, request: Request, allowed: list[str]) -> Response:
        if self.options.wrong_method_status == 403:
            token = (request.headers.get("Authorization") or "").split(" ")[-1]
            message = (
                f"'{token}' not a valid key=value pair (missing equal-sign) "
                f"in Authorization header: 'Bearer {token}'."
            )
            return json_response({"message": message}, 403)
        response = self._regular_error(
            request, 405, "Method Not Allowed", f"Request method '{request.method}' not supported"
        )
        response.headers["Allow"] = ", ".join(sorted(allowed))
        return response

    def finish(self, request: Request, response: Response) -> Response:
        if (
            request.method in ("POST", "PUT")
            and request.path.startswith("/v1/")
            and 200 <= response.status_code < 300
        ):
            with self.lock:
                fault = self._write_then_504.popleft() if self._write_then_504 else None
            if fault:
                self.stats["fault_504_after_write"] += 1
                response = json_response({"message": "Endpoint request timed out"}, status=504)
        return super().finish(request, response)

    # -- helpers -------------------------------------------------------------

    def _now(self) -> dt.datetime:
        return dt.datetime.now(tz=BERLIN)

    def _new_id(self) -> str:
        return str(uuid.uuid4())

    def _json_body(self, request: Request) -> tuple[Any, Response | None]:
        if request.mimetype != "application/json":
            return None, json_response({"message": "Unsupported Media Type"}, status=415)
        try:
            return json.loads(request.get_data(as_text=True) or "null"), None
        except ValueError:
            return None, legacy_error(
                400, [checks.issue("bad_request_error", None, "bad_request_error")]
            )

    def _regular_error(self, request: Request, status: int, error: str, message: str) -> Response:
        return json_response(
            {
                "timestamp": timestamp(self._now()),
                "status": status,
                "error": error,
                "path": request.path,
                "traceId": uuid.uuid4().hex[:12],
                "message": message,
            },
            status=status,
        )

    def _action_result(self, resource: str, entity: dict[str, Any], status: int) -> Response:
        uri = f"{self.base_url}/v1/{resource}/{entity['id']}"
        return json_response(
            {
                "id": entity["id"],
                "resourceUri": uri,
                "createdDate": entity["createdDate"],
                "updatedDate": entity["updatedDate"],
                "version": entity["version"],
            },
            status=status,
            headers={"Location": uri},
        )

    def _amount(self, value: Decimal) -> float | int:
        if self.options.compact_amounts and value == value.to_integral_value():
            return int(value)
        return float(value)

    def render_voucher(self, v: dict[str, Any]) -> dict[str, Any]:
        """``GET /v1/vouchers/{id}``: dates as timestamps, amounts as numbers (checklist 32)."""
        out: dict[str, Any] = {
            "id": v["id"],
            "organizationId": self.organization_id,
            "type": v["type"],
            "voucherStatus": v["voucherStatus"],
            "voucherNumber": v["voucherNumber"],
            "voucherDate": midnight(v["voucherDate"]),
        }
        if v.get("shippingDate"):
            out["shippingDate"] = midnight(v["shippingDate"])
        out["dueDate"] = midnight(v.get("dueDate") or v["voucherDate"])
        out["totalGrossAmount"] = self._amount(v["totalGrossAmount"])
        out["totalTaxAmount"] = self._amount(v["totalTaxAmount"])
        out["taxType"] = v["taxType"]
        out["useCollectiveContact"] = v["useCollectiveContact"]
        if v.get("contactId"):
            out["contactId"] = v["contactId"]
        if v.get("contactName"):
            out["contactName"] = v["contactName"]
        if v.get("remark") is not None:
            out["remark"] = v["remark"]
        out["voucherItems"] = [
            {
                "amount": self._amount(item["amount"]),
                "taxAmount": self._amount(item["taxAmount"]),
                "taxRatePercent": self._amount(item["taxRatePercent"]),
                "categoryId": item["categoryId"],
            }
            for item in v["voucherItems"]
        ]
        out["files"] = list(v["files"])
        out["createdDate"] = v["createdDate"]
        out["updatedDate"] = v["updatedDate"]
        out["version"] = v["version"]
        return out

    def _store(self, body: dict[str, Any], existing: dict[str, Any] | None) -> dict[str, Any]:
        now = self._now()
        collective = bool(body.get("useCollectiveContact"))
        entry: dict[str, Any] = {
            "type": body["type"],
            "voucherStatus": body.get("voucherStatus") or "open",
            "voucherNumber": body.get("voucherNumber") or "",
            "voucherDate": body.get("voucherDate") or now.date().isoformat(),
            "shippingDate": body.get("shippingDate"),
            "dueDate": body.get("dueDate") or body.get("voucherDate"),
            "totalGrossAmount": checks.money(body.get("totalGrossAmount")) or Decimal(0),
            "totalTaxAmount": checks.money(body.get("totalTaxAmount")) or Decimal(0),
            "taxType": body["taxType"],
            "useCollectiveContact": collective,
            "contactId": None if collective else body.get("contactId"),
            "contactName": body.get("contactName"),
            "remark": body.get("remark"),
            "voucherItems": [
                {
                    "amount": checks.money(i["amount"]),
                    "taxAmount": checks.money(i["taxAmount"]),
                    "taxRatePercent": checks.money(i["taxRatePercent"]),
                    "categoryId": i["categoryId"],
                }
                for i in body.get("voucherItems") or []
            ],
        }
        if existing is None:
            entry.update(
                id=self._new_id(),
                files=[],
                version=1,
                createdDate=timestamp(now),
                updatedDate=timestamp(now),
                _created=now,
                _updated=now,
                _payments=[],
            )
        else:
            kept = list(body.get("files") or [])
            for file_id in existing["files"]:
                if file_id not in kept:
                    # Omitted on PUT → deleted permanently (checklist 35).
                    self.files.pop(file_id, None)
            entry.update(
                id=existing["id"],
                files=[f for f in kept if f in self.files],
                version=existing["version"] + 1,
                createdDate=existing["createdDate"],
                updatedDate=timestamp(now),
                _created=existing["_created"],
                _updated=now,
                _payments=existing["_payments"],
            )
        self.vouchers[entry["id"]] = entry
        return entry

    def _check_bookkeeping(self) -> Response | None:
        if not self.options.bookkeeping:
            return json_response({"message": "Payment Required"}, status=402)
        return None

    # -- vouchers --------------------------------------------------------------

    def on_vouchers(self, request: Request) -> Response:
        if request.method == "GET":
            return self._deprecated_voucher_search(request)
        refused = self._check_bookkeeping()
        if refused:
            return refused
        body, error = self._json_body(request)
        if error:
            return error
        issues = checks.check_voucher(
            body,
            contacts=self.contacts,
            profile=self.profile,
            strict=self.options.strict,
            creating=True,
        )
        if issues:
            return legacy_error(406, issues)
        entry = self._store(body, None)
        return self._action_result("vouchers", entry, self.options.create_status)

    def _deprecated_voucher_search(self, request: Request) -> Response:
        number = request.args.get("voucherNumber", "")
        found = [
            self.render_voucher(v)
            for v in self.vouchers.values()
            if _escaped(v["voucherNumber"]) == number
        ]
        return json_response(_page(found, 0, 25, []))

    def on_voucher(self, request: Request, voucher_id: str) -> Response:
        voucher = self.vouchers.get(voucher_id)
        if voucher is None:
            return legacy_error(404, [checks.issue("missing_entity", "id", "not_found")])
        if request.method == "GET":
            return json_response(self.render_voucher(voucher))
        refused = self._check_bookkeeping()
        if refused:
            return refused
        body, error = self._json_body(request)
        if error:
            return error
        if not isinstance(body, dict) or body.get("version") is None:
            return legacy_error(406, [checks.issue("missing_entity", "version")])
        if body["version"] != voucher["version"]:
            return legacy_error(
                409, [checks.issue("optimistic_locking_failure", "version", "conflict")]
            )
        issues = checks.check_voucher(
            body,
            contacts=self.contacts,
            profile=self.profile,
            strict=self.options.strict,
            creating=False,
        )
        wanted = body.get("voucherStatus") or voucher["voucherStatus"]
        if wanted != voucher["voucherStatus"] and not (
            voucher["voucherStatus"] == "unchecked" and wanted == "open"
        ):
            issues.append(checks.issue("invalid_voucher_status", "voucherStatus"))
        for file_id in body.get("files") or []:
            if file_id not in voucher["files"]:
                issues.append(checks.issue("missing_entity", "files"))
        if issues:
            return legacy_error(406, issues)
        entry = self._store({**body, "voucherStatus": voucher["voucherStatus"]}, voucher)
        return self._action_result("vouchers", entry, 200)

    # -- files ---------------------------------------------------------------

    def on_voucher_files(self, request: Request, voucher_id: str) -> Response:
        if request.mimetype != "multipart/form-data":
            return json_response({"message": "Unsupported Media Type"}, status=415)
        voucher = self.vouchers.get(voucher_id)
        if voucher is None:
            return legacy_error(404, [checks.issue("missing_entity", "voucherId", "not_found")])
        upload = request.files.get("file")
        if upload is None:
            return legacy_error(406, [checks.issue("missing_entity", "file")])
        content = upload.read()
        filename = upload.filename or ""
        problem = _file_problem(filename, content, e_invoice=self.options.e_invoice)
        if problem:
            return legacy_error(406, [checks.issue(problem, "file")])
        checksum = hashlib.sha256(content).hexdigest()
        for file_id in voucher["files"]:
            if self.files[file_id]["checksum"] == checksum:
                # Same bytes again: the existing id, no second copy (checklist 42).
                return json_response(
                    {"id": file_id, "voucherId": voucher_id}, status=self.options.upload_status
                )
        file_id = self._store_file(voucher, filename, content)
        return json_response(
            {"id": file_id, "voucherId": voucher_id}, status=self.options.upload_status
        )

    def on_files(self, request: Request) -> Response:
        """``POST /v1/files`` with ``type=voucher``: a new voucher "to check" (README §5.3).

        lexoffice creates it in status ``blank`` and its OCR makes it ``unchecked``; this
        double has no OCR and stores it ``unchecked`` at once, without number or items.
        """
        if request.mimetype != "multipart/form-data":
            return json_response({"message": "Unsupported Media Type"}, status=415)
        if request.form.get("type") != "voucher":
            return legacy_error(
                400, [checks.issue("bad_request_error", "type", "bad_request_error")]
            )
        upload = request.files.get("file")
        if upload is None:
            return json_response({"message": None}, status=500)  # documented: [DOCS] status table
        content = upload.read()
        filename = upload.filename or ""
        problem = _file_problem(filename, content, e_invoice=self.options.e_invoice)
        if problem:
            return legacy_error(406, [checks.issue(problem, "file")])
        now = self._now()
        voucher = {
            "id": self._new_id(),
            "type": "purchaseinvoice",  # what OCR makes of it is unknown; the double's pick
            "voucherStatus": "unchecked",
            "voucherNumber": "",
            "voucherDate": None,
            "shippingDate": None,
            "dueDate": None,
            "totalGrossAmount": Decimal(0),
            "totalTaxAmount": Decimal(0),
            "taxType": "gross",
            "useCollectiveContact": False,
            "contactId": None,
            "contactName": None,
            "remark": None,
            "voucherItems": [],
            "files": [],
            "version": 0,
            "createdDate": timestamp(now),
            "updatedDate": timestamp(now),
            "_created": now,
            "_updated": now,
            "_payments": [],
        }
        self.vouchers[voucher["id"]] = voucher
        file_id = self._store_file(voucher, filename, content)
        return json_response({"id": file_id, "voucherId": voucher["id"]}, status=202)

    def _store_file(self, voucher: dict[str, Any], filename: str, content: bytes) -> str:
        file_id = self._new_id()
        self.files[file_id] = {
            "id": file_id,
            "voucherId": voucher["id"],
            "filename": filename,
            "content": content,
            "contentType": _content_type(filename),
            "checksum": hashlib.sha256(content).hexdigest(),
            "size": len(content),
        }
        voucher["files"].append(file_id)
        voucher["version"] += 1
        voucher["_updated"] = self._now()
        voucher["updatedDate"] = timestamp(voucher["_updated"])
        return file_id

    def on_file(self, request: Request, file_id: str) -> Response:
        stored = self.files.get(file_id)
        if stored is None:
            return legacy_error(404, [checks.issue("missing_entity", "id", "not_found")])
        accept = request.headers.get("Accept", "*/*")
        if not any(a in accept for a in ("*/*", stored["contentType"])):
            return legacy_error(
                406, [checks.issue("not_acceptable", "Accept", "bad_request_error")]
            )
        return Response(
            stored["content"],
            status=200,
            content_type=stored["contentType"],
            headers={
                "Content-Length": str(stored["size"]),
                "Content-Disposition": f'attachment; filename="{stored["filename"]}"',
            },
        )

    # -- voucherlist -----------------------------------------------------------

    def on_voucherlist(self, request: Request) -> Response:
        args = request.args
        for name in ("voucherType", "voucherStatus"):
            if not args.get(name):
                return self._regular_error(
                    request,
                    400,
                    "Bad Request",
                    f"Required request parameter '{name}' for method parameter type String "
                    "is not present",
                )
        types = _choice(args["voucherType"], VOUCHERLIST_TYPES)
        statuses = _choice(args["voucherStatus"], VOUCHERLIST_STATUSES)
        if types is None or statuses is None:
            return self._regular_error(request, 400, "Bad Request", "Invalid filter value")
        if args["voucherStatus"] != "any" and "overdue" in statuses and len(statuses) > 1:
            return self._regular_error(
                request, 400, "Bad Request", "Status overdue cannot be combined with other statuses"
            )
        paging = self._paging(args)
        if isinstance(paging, str):
            return self._regular_error(request, 400, "Bad Request", paging)
        page, size = paging
        bounds = _date_bounds(args, lenient=self.options.lenient_filter_dates)
        if isinstance(bounds, str):
            return self._regular_error(request, 400, "Bad Request", bounds)
        if (page + 1) * size > SEARCH_WINDOW:
            return self._regular_error(
                request, 400, "Bad Request", "Maximum search window size exceeded"
            )
        sort_field, direction = _sort(args.get("sort", "voucherDate,DESC"))
        if sort_field is None:
            return self._regular_error(request, 400, "Bad Request", "Invalid sort parameter")
        today = self._now().date()
        matches = [
            v
            for v in self.vouchers.values()
            if v["type"] in types
            and (_status(v, today) in statuses or v["voucherStatus"] in statuses)
            and _matches_filters(v, args, bounds)
        ]
        matches.sort(
            key=lambda v: (v[sort_field] or "", v["_created"]), reverse=direction == "DESC"
        )
        sort_info = [
            {
                "property": sort_field.lstrip("_").lower(),
                "direction": direction,
                "ignoreCase": False,
                "nullHandling": "NATIVE",
                "ascending": direction == "ASC",
            }
        ]
        items = [self._list_item(v, today) for v in matches]
        return json_response(_page(items, page, size, sort_info))

    def _paging(self, args: Any) -> tuple[int, int] | str:
        """``page`` (0-based) and ``size`` of a paged list, or what is wrong with them."""
        page, size = args.get("page", "0"), args.get("size", "25")
        if not _INTEGER.match(page) or not _INTEGER.match(size):
            return f"page and size must be whole numbers (page={page!r}, size={size!r})"
        page_number, size_number = int(page), int(size)
        if size_number > MAX_PAGE_SIZE and self.options.clamp_page_size:
            size_number = MAX_PAGE_SIZE
        if page_number < 0 or not 1 <= size_number <= MAX_PAGE_SIZE:
            return f"page must be 0 or more, size between 1 and {MAX_PAGE_SIZE}"
        return page_number, size_number

    def _list_item(self, v: dict[str, Any], today: dt.date) -> dict[str, Any]:
        open_amount = Decimal(0) if v["_payments"] else v["totalGrossAmount"]
        return {
            "id": v["id"],
            "voucherType": v["type"],
            "voucherStatus": v["voucherStatus"],  # overdue is a filter only (unverified)
            "voucherNumber": v["voucherNumber"],
            "voucherDate": midnight(v["voucherDate"]),
            "createdDate": timestamp(v["_created"].replace(microsecond=0)),
            "updatedDate": timestamp(v["_updated"].replace(microsecond=0)),
            "dueDate": midnight(v.get("dueDate") or v["voucherDate"]),
            "contactId": v.get("contactId"),
            "contactName": v.get("contactName")
            or ("Sammelkunde" if v["useCollectiveContact"] else ""),
            "totalAmount": self._amount(v["totalGrossAmount"]),
            "openAmount": self._amount(open_amount),
            "currency": "EUR",
            "archived": False,
        }

    # -- contacts ------------------------------------------------------------

    def on_contacts(self, request: Request) -> Response:
        if request.method == "GET":
            return self._search_contacts(request)
        body, error = self._json_body(request)
        if error:
            return error
        issues = checks.check_contact(body)
        if issues:
            return legacy_error(406, issues)
        now = timestamp(self._now())
        contact = {**body, "id": self._new_id(), "organizationId": self.organization_id}
        contact["roles"] = {role: dict(data) for role, data in body["roles"].items()}
        if "customer" in contact["roles"]:
            contact["roles"]["customer"]["number"] = next(self._customer_numbers)
        contact.update(version=1, createdDate=now, updatedDate=now, archived=False)
        self.contacts[contact["id"]] = contact
        return self._action_result("contacts", contact, self.options.create_status)

    def _search_contacts(self, request: Request) -> Response:
        args = request.args
        for name in ("name", "email"):
            if name in args and len(args[name]) < 3:
                return legacy_error(
                    400,
                    [
                        checks.issue(
                            "bad_request_error",
                            "size must be between 3 and 255",
                            "bad_request_error",
                        )
                    ],
                )
        found = []
        for contact in self.contacts.values():
            names = [
                (contact.get("company") or {}).get("name", ""),
                " ".join(
                    filter(
                        None,
                        [
                            (contact.get("person") or {}).get(k, "")
                            for k in ("firstName", "lastName")
                        ],
                    )
                ),
            ]
            emails = [e for group in (contact.get("emailAddresses") or {}).values() for e in group]
            if "name" in args and not any(_like(args["name"], n) for n in names if n):
                continue
            if "email" in args and not any(_like(args["email"], e) for e in emails):
                continue
            if args.get("customer") == "true" and "customer" not in contact["roles"]:
                continue
            if args.get("vendor") == "true" and "vendor" not in contact["roles"]:
                continue
            if (
                "number" in args
                and str(contact["roles"].get("customer", {}).get("number")) != args["number"]
            ):
                continue
            found.append(contact)
        paging = self._paging(args)
        if isinstance(paging, str):
            issue = checks.issue("bad_request_error", paging, "bad_request_error")
            return legacy_error(400, [issue])
        page, size = paging
        return json_response(_page(found, page, size, []))

    def on_contact(self, request: Request, contact_id: str) -> Response:
        contact = self.contacts.get(contact_id)
        if contact is None:
            return legacy_error(404, [checks.issue("missing_entity", "id", "not_found")])
        if request.method == "GET":
            return json_response(contact)
        body, error = self._json_body(request)
        if error:
            return error
        if not isinstance(body, dict) or body.get("version") != contact["version"]:
            return legacy_error(
                409, [checks.issue("optimistic_locking_failure", "version", "conflict")]
            )
        contact.update(
            {k: v for k, v in body.items() if k not in ("id", "organizationId", "version")}
        )
        contact["version"] += 1
        contact["updatedDate"] = timestamp(self._now())
        return self._action_result("contacts", contact, 200)

    # -- profile, categories, countries, payments -----------------------------

    def on_profile(self, request: Request) -> Response:
        features = ["BOOKKEEPING", "INVOICING"] if self.options.bookkeeping else ["INVOICING"]
        body: dict[str, Any] = {
            "organizationId": self.organization_id,
            "companyName": "Musterfrau Handel GmbH",
            "created": {
                "userId": "1aea7a0e-0b1f-4f1c-9f34-1c2d3e4f5a6b",
                "userName": "Erika Musterfrau",
                "userEmail": "erika@example.org",
                "date": "2024-01-15T09:00:00.000+01:00",
            },
            "connectionId": "3dea098b-fc8f-4d6c-8c4e-1c2d3e4f5a6b",
            "features": ["cashbox"],
            "businessFeatures": features,
            "subscriptionStatus": "active",
            "taxType": "vatfree" if self.profile.small_business else "gross",
            "smallBusiness": self.profile.small_business,
        }
        if self.profile.distance_sales_principle:
            body["distanceSalesPrinciple"] = self.profile.distance_sales_principle
        return json_response(body)

    def on_posting_categories(self, request: Request) -> Response:
        return json_response(POSTING_CATEGORIES)

    def on_countries(self, request: Request) -> Response:
        return json_response(countries())

    def on_payments(self, request: Request, voucher_id: str) -> Response:
        voucher = self.vouchers.get(voucher_id)
        if voucher is None:
            return self._regular_error(request, 404, "Not Found", "Resource not found")
        paid = bool(voucher["_payments"])
        body: dict[str, Any] = {
            "openAmount": self._amount(Decimal(0) if paid else voucher["totalGrossAmount"]),
            "currency": "EUR",
            "paymentStatus": "balanced" if paid else "openRevenue",
            "voucherType": voucher["type"],
            "voucherStatus": voucher["voucherStatus"],
            "paymentItems": voucher["_payments"],
        }
        if paid:
            body["paidDate"] = voucher["_paidDate"]
        return json_response(body)

    def on_assignment_hint(self, request: Request) -> Response:
        """Partner-only stub (checklist 63, unverified): only partner tokens may call it."""
        token = (request.headers.get("Authorization") or "").removeprefix("Bearer ").strip()
        if token not in self.partner_keys:
            return json_response({"message": "Forbidden"}, status=403)
        body, error = self._json_body(request)
        if error:
            return error
        if not isinstance(body, dict) or body.get("voucherId") not in self.vouchers:
            return self._regular_error(request, 406, "Not Acceptable", "Unknown voucherId")
        has_ref, has_e2e = bool(body.get("externalReference")), bool(body.get("endToEndId"))
        if has_ref == has_e2e:
            return self._regular_error(
                request, 406, "Not Acceptable", "Exactly one of externalReference, endToEndId"
            )
        if body["voucherId"] in self.hints:
            return self._regular_error(
                request, 406, "Not Acceptable", "A hint for this voucher already exists"
            )
        self.hints[body["voucherId"]] = dict(body)
        return json_response({"voucherId": body["voucherId"]}, status=200)


# -- module helpers ----------------------------------------------------------


def _escaped(number: str) -> str:
    """Search strings are compared HTML-escaped (``&`` → ``&amp;``; checklist 48)."""
    return html.escape(number, quote=False)


def _choice(value: str, known: tuple[str, ...]) -> set[str] | None:
    if value == "any":
        return set(known)
    wanted = {v.strip() for v in value.split(",") if v.strip()}
    # New types may appear; unknown values simply match nothing.
    return wanted or None


def _status(v: dict[str, Any], today: dt.date) -> str:
    status: str = v["voucherStatus"]
    due_day = v.get("dueDate") or v["voucherDate"]
    if due_day is None:
        return status
    due = dt.date.fromisoformat(due_day)
    if status in ("open", "sepadebit") and due < today:
        return "overdue"
    return status


def _sort(value: str) -> tuple[str | None, str]:
    name, _, direction = value.partition(",")
    direction = (direction or "ASC").upper()
    if direction not in ("ASC", "DESC"):
        return None, direction
    return SORT_FIELDS.get(name.strip().lower()), direction


_INTEGER = re.compile(r"^-?\d{1,9}$")
_DATE_FILTERS = ("voucherDate", "createdDate", "updatedDate")
#: A timestamp as some client libraries send it: ``2025-06-01T00:00:00`` (offset optional).
_TIMESTAMP = re.compile(r"^(\d{4}-\d{2}-\d{2})T\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:\d{2})?$")
_REASONS = {400: "Bad Request", 404: "Not Found", 405: "Method Not Allowed", 406: "Not Acceptable"}


def _legacy_errors(path: str) -> bool:
    """Vouchers, files and contacts answer in the legacy IssueList form (README §4.3)."""
    return path.startswith(("/v1/vouchers", "/v1/files", "/v1/contacts"))


def _date_bounds(args: Any, *, lenient: bool) -> dict[str, dt.date] | str:
    """The voucherlist's date filters (``yyyy-MM-dd``, whole days), or what is wrong."""
    bounds: dict[str, dt.date] = {}
    for name in (f"{p}{s}" for p in _DATE_FILTERS for s in ("From", "To")):
        value = args.get(name)
        if not value:
            continue
        timestamp_match = _TIMESTAMP.match(value) if lenient else None
        day = timestamp_match.group(1) if timestamp_match else value
        if not checks.is_date(day):
            return f"{name} must be a date yyyy-MM-dd, not {value!r}"
        bounds[name] = dt.date.fromisoformat(day)
    return bounds


def _matches_filters(v: dict[str, Any], args: Any, bounds: dict[str, dt.date]) -> bool:
    if "voucherNumber" in args and _escaped(v["voucherNumber"]) != args["voucherNumber"]:
        return False
    if "contactId" in args and v.get("contactId") != args["contactId"]:
        return False
    if args.get("archived") == "true":
        return False
    day = dt.date.fromisoformat(v["voucherDate"]) if v["voucherDate"] else None
    created = v["_created"].astimezone(BERLIN).date()
    updated = v["_updated"].astimezone(BERLIN).date()
    for prefix, value in (("voucherDate", day), ("createdDate", created), ("updatedDate", updated)):
        low, high = bounds.get(f"{prefix}From"), bounds.get(f"{prefix}To")
        if (low or high) and value is None:
            return False
        if low and value and value < low:
            return False
        if high and value and value > high:
            return False
    return True


def _page(items: list[Any], page: int, size: int, sort: list[dict[str, Any]]) -> dict[str, Any]:
    chunk = items[page * size : (page + 1) * size]
    total_pages = max(1, -(-len(items) // size))
    return {
        "content": chunk,
        "first": page == 0,
        "last": page >= total_pages - 1,
        "totalPages": total_pages,
        "totalElements": len(items),
        "numberOfElements": len(chunk),
        "size": size,
        "number": page,
        "sort": sort,
    }


def _like(pattern: str, value: str) -> bool:
    """Case-insensitive LIKE with ``_``/``%`` as the contacts search does (checklist 53)."""

    regex = "".join(
        ".*" if ch == "%" else "." if ch == "_" else re.escape(ch) for ch in pattern.lower()
    )
    return re.search(regex, value.lower()) is not None


def _content_type(filename: str) -> str:
    extension = filename.rsplit(".", 1)[-1].lower() if "." in filename else ""
    return {
        "pdf": "application/pdf",
        "jpg": "image/jpeg",
        "jpeg": "image/jpeg",
        "png": "image/png",
        "xml": "application/xml",
    }.get(extension, "application/octet-stream")


def _file_problem(filename: str, content: bytes, *, e_invoice: bool) -> str | None:
    """Size, extension and content checks of an upload (checklist 40, 41)."""
    if len(content) > MAX_FILE_BYTES:
        return "file_too_large"
    if not content:
        return "invalid_file_contents"
    extension = filename.rsplit(".", 1)[-1].lower() if "." in filename else ""
    if extension not in ("pdf", "jpg", "jpeg", "png", "xml"):
        return "inacceptable_file_extension"
    if extension == "xml":
        if not e_invoice:
            return "inacceptable_file_extension"
        return None if content.lstrip().startswith(b"<") else "invalid_file_contents"
    magic = {
        "pdf": (b"%PDF-",),
        "jpg": (b"\xff\xd8\xff",),
        "jpeg": (b"\xff\xd8\xff",),
        "png": (b"\x89PNG\r\n\x1a\n",),
    }[extension]
    return None if content.startswith(magic) else "invalid_file_contents"
