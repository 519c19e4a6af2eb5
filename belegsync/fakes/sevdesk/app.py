"""A local sevDesk (API v1, bookkeeping system "2.0") for tests, the bench and ``demo``.

Every rule here is this double's own reading of the reference
(``tests/reference/sevdesk/README.md`` and ``fake-checklist.md``; numbers like "C23"
below are the checklist items). Where the reference marks a behaviour
"unverified", the choice is a switch on :class:`SevdeskFake` so a test can
flip it once a real account shows otherwise.

Quirks reproduced on purpose:

- token in ``Authorization`` without ``Bearer`` (A2);
- every body wrapped in ``{"objects": …}``; ids, sums, status and booleans are
  strings, ``paidAmount`` a number, sums trimmed (``"0.1"``) (A4, A5);
- unknown query filters are ignored, so a typo returns everything (A7);
- errors as ``{"error": {…, "responseCode"}, "objects": null}``, optionally
  delivered with HTTP 200 (B10, B12);
- a write may be applied and still answer 500 (B13).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import itertools
import json
import re
import uuid
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from typing import Any
from zoneinfo import ZoneInfo

from werkzeug.exceptions import HTTPException
from werkzeug.routing import Rule
from werkzeug.wrappers import Request, Response

from belegsync.fakes.base import FakeApp, json_response

from .chart import NOT_FOR_VOUCHERS, RATE_TOKENS, guidance

BERLIN = ZoneInfo("Europe/Berlin")
API = "/api/v1"
CENT = Decimal("0.01")
SEV_CLIENT = {"id": "1303847", "objectName": "SevClient"}
CREATE_USER = {"id": "1551095", "objectName": "SevUser"}
BOOK_TYPES = frozenset({"FULL_PAYMENT", "N", "CB", "CF", "O", "OF", "MTC"})
JOURNAL_LIMIT = 20_000
_DDMMYYYY = re.compile(r"^(\d{2})\.(\d{2})\.(\d{4})$")


class ApiError(HTTPException):
    """A refusal, rendered as sevDesk's error body by the base's dispatch."""

    def __init__(self, status: int, message: str, code: int | None = None) -> None:
        super().__init__(message)
        self.status = status
        self.message = message
        self.error_code = code

    def get_response(self, environ: Any = None, scope: Any = None) -> Response:
        return json_response(error_body(self.status, self.message, self.error_code), self.status)


#: C11: measured 404 with code 151; the spec documents 400. Switch per fake instance.
def not_found(model: str, object_id: object, status: int = 404) -> ApiError:
    # Measured wording and code [RS error_404_code_151.json] (B11).
    return ApiError(status, f"No Model_{model} with the id {object_id} was found", code=151)


def error_body(status: int, message: str, code: int | None = None) -> dict[str, Any]:
    return {
        "error": {
            "exceptionUUID": str(uuid.uuid4()),
            "message": message,
            "errorCode": 0,
            "code": code,
            "data": [],
            "responseCode": status,
        },
        "objects": None,
    }


def money(value: Decimal) -> str:
    """sevDesk renders sums trimmed: ``0.1``, ``45``, ``0`` (A5)."""
    value = value.quantize(CENT, rounding=ROUND_HALF_UP)
    text = format(value.normalize(), "f")
    return "0" if text in ("-0", "0") else text


def flag(value: bool) -> str:
    return "1" if value else "0"


def ref(object_id: int | None, name: str) -> dict[str, str] | None:
    return None if object_id is None else {"id": str(object_id), "objectName": name}


def now_iso() -> str:
    return dt.datetime.now(BERLIN).replace(microsecond=0).isoformat()


def parse_decimal(value: object, field: str) -> Decimal:
    """Numbers or numeric strings (A8)."""
    if isinstance(value, bool) or value is None:
        raise ApiError(400, f"{field} must be a number")
    try:
        return Decimal(str(value))
    except InvalidOperation:
        raise ApiError(400, f"{field} must be a number, got {value!r}") from None


def parse_id(value: object, field: str) -> int:
    if isinstance(value, dict):
        value = value.get("id")
    if isinstance(value, bool):
        raise ApiError(400, f"{field} must be an id")
    try:
        return int(str(value))
    except ValueError:
        raise ApiError(400, f"{field} must be an id, got {value!r}") from None


def parse_bool(value: object) -> bool:
    if isinstance(value, str):
        return value.lower() in ("1", "true")
    return bool(value)


def unix_time(value: str, field: str) -> dt.datetime:
    """A list filter's timestamp: the spec's ``startDate``/``endDate`` are unix seconds; a
    ``dd.mm.yyyy`` there is refused rather than silently ignored."""
    if not re.fullmatch(r"-?\d{1,12}", value):
        raise ApiError(400, f"{field} must be a unix timestamp (seconds), got {value!r}")
    return dt.datetime.fromtimestamp(int(value), BERLIN)


def parse_date(value: object, field: str) -> dt.datetime:
    """``dd.mm.yyyy``, unix timestamp or ISO-8601; Berlin time (A9)."""
    if isinstance(value, int | float) and not isinstance(value, bool):
        return dt.datetime.fromtimestamp(value, BERLIN)
    if isinstance(value, str):
        match = _DDMMYYYY.match(value)
        try:
            if match:
                day, month, year = (int(g) for g in match.groups())
                return dt.datetime(year, month, day, tzinfo=BERLIN)
            if value.isdigit():
                return dt.datetime.fromtimestamp(int(value), BERLIN)
            parsed = dt.datetime.fromisoformat(value)
        except ValueError:
            raise ApiError(422, f"{field}: '{value}' is not a valid date") from None
        return parsed.astimezone(BERLIN) if parsed.tzinfo else parsed.replace(tzinfo=BERLIN)
    raise ApiError(422, f"{field}: a date is required")


ROUTES: tuple[tuple[str, str, str], ...] = (
    ("/Tools/bookkeepingSystemVersion", "GET", "version"),
    ("/ReceiptGuidance/forRevenue", "GET", "guidance_revenue"),
    ("/ReceiptGuidance/forExpense", "GET", "guidance_expense"),
    ("/ReceiptGuidance/forAllAccounts", "GET", "guidance_all"),
    ("/ReceiptGuidance/forAccountNumber", "GET", "guidance_account"),
    ("/ReceiptGuidance/forTaxRule", "GET", "guidance_rule"),
    ("/Voucher/Factory/uploadTempFile", "POST", "upload"),
    ("/Voucher/Factory/saveVoucher", "POST", "save_voucher"),
    ("/Voucher", "GET", "list_vouchers"),
    ("/Voucher/<int:vid>", "GET", "get_voucher"),
    ("/Voucher/<int:vid>", "PUT", "update_voucher"),
    ("/Voucher/<int:vid>", "DELETE", "delete_voucher"),
    ("/Voucher/<int:vid>/bookAmount", "PUT", "book_amount"),
    ("/Voucher/<int:vid>/resetToOpen", "PUT", "reset_to_open"),
    ("/Voucher/<int:vid>/resetToDraft", "PUT", "reset_to_draft"),
    ("/Voucher/<int:vid>/enshrine", "PUT", "enshrine"),
    ("/VoucherPos", "GET", "list_positions"),
    ("/CheckAccount", "GET", "list_check_accounts"),
    ("/CheckAccount/<int:aid>", "GET", "get_check_account"),
    ("/CheckAccount/Factory/clearingAccount", "POST", "create_clearing_account"),
    ("/CheckAccountTransaction", "GET", "list_transactions"),
    ("/CheckAccountTransaction", "POST", "create_transaction"),
    ("/Contact", "GET", "list_contacts"),
    ("/Contact", "POST", "create_contact"),
    ("/Contact/<int:cid>", "GET", "get_contact"),
    ("/Contact/Factory/getNextCustomerNumber", "GET", "next_customer_number"),
    (
        "/Contact/Mapper/checkCustomerNumberAvailability",
        "GET",
        "customer_number_available",
    ),
    ("/ContactAddress", "GET", "list_addresses"),
    ("/ContactAddress", "POST", "create_address"),
    ("/CommunicationWay", "GET", "list_ways"),
    ("/CommunicationWay", "POST", "create_way"),
)


class SevdeskFake(FakeApp):
    system = "sevdesk"
    unverified = {
        "not_found_status": "unknown id: 404 code 151 (measured) | 400 (the spec)",
        "strict_supplier": "voucher without supplier/supplierName refused | accepted",
        "strict_sign": "payment against the voucher's sign refused | accepted",
    }

    def apply_reading(self, *, alternative: bool) -> None:
        self.not_found_status = 400 if alternative else 404
        self.strict_supplier = not alternative
        self.strict_sign = not alternative

    rules = tuple(
        Rule(f"{API}{path}", endpoint=endpoint, methods=[method])
        for path, method, endpoint in ROUTES
    )

    def __init__(
        self,
        *,
        api_token: str,
        rate_limit: int | None = None,
        small_business: bool = False,
        bookkeeping_version: str = "2.0",
    ) -> None:
        super().__init__(rate_limit=rate_limit)
        self.api_token = api_token
        self.small_business = small_business
        self.bookkeeping_version = bookkeeping_version
        #: Switches for behaviours the reference marks "unverified".
        self.strict_supplier = True  # C24: reject a voucher without supplier/supplierName
        self.strict_sign = True  # C40: refuse a payment whose sign opposes the voucher's
        self.not_found_status = 404  # C11: measured 404/151; the spec says 400
        self.max_upload_bytes = 10 * 1024 * 1024  # C47: real limit undocumented
        #: Fault injection beyond the base's: errors inside HTTP 200, 500 after a write.
        self.error_with_200_next = 0
        self.fail_after_write_next = 0
        #: Every API exchange (method, path, status, JSON request, JSON response), for
        #: checks against the OpenAPI spec; ``None`` switches recording off.
        self.journal: list[dict[str, Any]] | None = []
        self.reset_state()

    # -- state -------------------------------------------------------------------

    def not_found(self, model: str, object_id: object) -> ApiError:
        return not_found(model, object_id, self.not_found_status)

    def reset_state(self) -> None:
        self._ids: dict[str, itertools.count[int]] = {
            "Voucher": itertools.count(156270700),
            "VoucherPos": itertools.count(213070400),
            "Document": itertools.count(300938500),
            "VoucherLog": itertools.count(148586900),
            "CheckAccount": itertools.count(6306100),
            "CheckAccountTransaction": itertools.count(1890000),
            "Contact": itertools.count(138810400),
            "ContactAddress": itertools.count(120178900),
            "CommunicationWay": itertools.count(115440700),
        }
        self.vouchers: dict[int, dict[str, Any]] = {}
        self.positions: dict[int, dict[str, Any]] = {}
        self.temp_files: dict[str, dict[str, Any]] = {}
        self.documents: dict[int, dict[str, Any]] = {}
        self.check_accounts: dict[int, dict[str, Any]] = {}
        self.transactions: dict[int, dict[str, Any]] = {}
        self.contacts: dict[int, dict[str, Any]] = {}
        self.addresses: dict[int, dict[str, Any]] = {}
        self.ways: dict[int, dict[str, Any]] = {}
        self.deleted_vouchers: set[int] = set()
        if getattr(self, "journal", None) is not None:
            self.journal = []
        self.next_customer_number = 1000
        # C48: the built-in offline "Basiskonto" and one online bank account.
        self.add_check_account("Basiskonto", "offline", accounting_number="1220", base=True)
        self.add_check_account("Geschäftskonto", "online", accounting_number="1800", default=True)

    def _next(self, kind: str) -> int:
        return next(self._ids[kind])

    def add_check_account(
        self,
        name: str,
        kind: str = "offline",
        *,
        accounting_number: str = "",
        base: bool = False,
        default: bool = False,
        archived: bool = False,
    ) -> int:
        account_id = self._next("CheckAccount")
        self.check_accounts[account_id] = {
            "id": account_id,
            "name": name,
            "type": kind,
            "accountingNumber": accounting_number or str(1360 + len(self.check_accounts)),
            "baseAccount": base,
            "defaultAccount": default,
            "status": "0" if archived else "100",
            "create": now_iso(),
        }
        return account_id

    def state(self) -> dict[str, Any]:
        return {
            "vouchers": [self.render_voucher(v) for v in self.vouchers.values()],
            "check_accounts": [self.render_check_account(a) for a in self.check_accounts.values()],
            "contacts": [self.render_contact(c) for c in self.contacts.values()],
            "transactions": [self.render_transaction(t) for t in self.transactions.values()],
        }

    def set_credentials(self, data: dict[str, Any]) -> None:
        self.api_token = str(data.get("api_token", ""))

    # -- transport -----------------------------------------------------------------

    def authenticate(self, request: Request) -> Response | str:
        # A2: the raw token, no "Bearer"; the spec's 401 description is the message.
        if not self.api_token or request.headers.get("Authorization") != self.api_token:
            return json_response(error_body(401, "Authentication required"), status=401)
        return self.api_token

    def before(self, request: Request) -> Response | None:
        refused = super().before(request)
        if refused is not None:
            return refused
        with self.lock:
            if self.error_with_200_next > 0:
                # B12: sevDesk sometimes reports a failure inside an HTTP 200.
                self.error_with_200_next -= 1
                self.stats["fault_error_with_200"] += 1
                body = error_body(400, "An error occurred, nothing was changed", code=390)
                return json_response(body, status=200)
        return None

    def rate_limited_response(self) -> Response:
        # B13: rejected before processing; honour Retry-After.
        return json_response(
            error_body(429, "Too many requests"), status=429, headers={"Retry-After": "1"}
        )

    def server_error_response(self, status: int) -> Response:
        return json_response(error_body(status, "Internal server error"), status=status)

    def not_found_response(self, request: Request) -> Response:
        return json_response(error_body(404, f"No route {request.path}"), status=404)

    def error_response(self, request: Request, status: int, message: str) -> Response:
        return json_response(error_body(status, message), status=status)

    def finish(self, request: Request, response: Response) -> Response:
        if (
            request.method != "GET"
            and request.path.startswith(API)
            and response.status_code < 300
            and self.fail_after_write_next > 0
        ):
            # B13: the write happened; the caller only sees a 500 and must read back.
            with self.lock:
                self.fail_after_write_next -= 1
                self.stats["fault_500_after_write"] += 1
            response = self.server_error_response(500)
        if self.journal is not None and request.path.startswith(API):
            self.record(request, response)
        return super().finish(request, response)

    def record(self, request: Request, response: Response) -> None:
        def parse(text: str) -> Any:
            try:
                return json.loads(text) if text else None
            except ValueError:
                return text

        sent = parse(request.get_data(as_text=True)) if request.is_json else None
        with self.lock:
            assert self.journal is not None
            if len(self.journal) >= JOURNAL_LIMIT:  # a long-running demo fake stays small
                del self.journal[: JOURNAL_LIMIT // 2]
            self.journal.append(
                {
                    "method": request.method,
                    "path": request.path,
                    "status": response.status_code,
                    "request": sent,
                    "response": parse(response.get_data(as_text=True)),
                }
            )

    @staticmethod
    def body(request: Request) -> dict[str, Any]:
        """JSON or form-urlencoded body (A8)."""
        if request.mimetype == "application/x-www-form-urlencoded":
            return dict(request.form)
        try:
            data = json.loads(request.get_data(as_text=True) or "null")
        except ValueError:
            raise ApiError(400, "The request body is not valid JSON") from None
        if not isinstance(data, dict):
            raise ApiError(400, "The request body must be a JSON object")
        return data

    @staticmethod
    def ok(objects: Any, status: int = 200, total: int | None = None) -> Response:
        body: dict[str, Any] = {"objects": objects}
        if total is not None:
            body["total"] = str(total)
        return json_response(body, status=status)

    def page(self, request: Request, items: list[dict[str, Any]]) -> Response:
        """limit (1..1000), offset, countAll (A6)."""
        args = request.args
        try:
            limit = int(args.get("limit", "100"))
            offset = int(args.get("offset", "0"))
        except ValueError:
            raise ApiError(400, "limit and offset must be numbers") from None
        if not 1 <= limit <= 1000:
            raise ApiError(400, "limit must be between 1 and 1000")
        total = len(items) if parse_bool(args.get("countAll", "false")) else None
        return self.ok(items[offset : offset + limit], total=total)

    # -- reference data --------------------------------------------------------------

    def guidance(self, receipt_type: str | None = None) -> list[dict[str, Any]]:
        entries = guidance(self.small_business)
        if receipt_type:
            entries = [e for e in entries if receipt_type in e["allowedReceiptTypes"]]
        return entries

    def on_version(self, request: Request) -> Response:
        return self.ok({"version": self.bookkeeping_version})

    def on_guidance_revenue(self, request: Request) -> Response:
        return self.ok(self.guidance("REVENUE"))

    def on_guidance_expense(self, request: Request) -> Response:
        return self.ok(self.guidance("EXPENSE"))

    def on_guidance_all(self, request: Request) -> Response:
        return self.ok(self.guidance())

    def on_guidance_account(self, request: Request) -> Response:
        number = request.args.get("accountNumber", "")
        found = [e for e in self.guidance() if e["accountNumber"] == number]
        if not found:
            raise ApiError(422, f"No account with the number {number} was found")
        return self.ok(found)

    def on_guidance_rule(self, request: Request) -> Response:
        code = request.args.get("taxRule", "")
        found = [e for e in self.guidance() if any(r["name"] == code for r in e["allowedTaxRules"])]
        if not found:
            raise ApiError(422, f"Unknown tax rule {code}")
        return self.ok(found)

    def allowed(self, account_id: int, rule_id: int, rate: Decimal, credit_debit: str) -> bool:
        """C23: (account, rule, rate) must be in the account's guidance for this receipt type."""
        receipt_type = "REVENUE" if credit_debit == "D" else "EXPENSE"
        for entry in self.guidance(receipt_type):
            if entry["accountDatevId"] != account_id:
                continue
            for rule in entry["allowedTaxRules"]:
                if rule["id"] == rule_id and any(
                    Decimal(RATE_TOKENS[t]) == rate for t in rule["taxRates"]
                ):
                    return True
        return False

    def account_exists(self, account_id: int) -> bool:
        return any(e["accountDatevId"] == account_id for e in self.guidance())

    # -- files ---------------------------------------------------------------------

    def on_upload(self, request: Request) -> Response:
        # C45/46: multipart with field "file"; the name becomes a hash name.
        if request.mimetype != "multipart/form-data":
            raise ApiError(400, "The file must be sent as multipart/form-data")
        upload = request.files.get("file")
        if upload is None:
            raise ApiError(400, "No file was uploaded (field 'file' is missing)")
        content = upload.read()
        if not content:
            raise ApiError(400, "The uploaded file is empty")
        if len(content) > self.max_upload_bytes:
            raise ApiError(400, "The uploaded file is too large")
        extension = (upload.filename or "file").rsplit(".", 1)[-1].lower()
        name = f"{uuid.uuid4().hex}.{extension}"
        origin = upload.mimetype or "application/octet-stream"
        self.temp_files[name] = {"content": content, "mimeType": origin}
        return self.ok(
            {
                "pages": 1,
                "mimeType": "image/jpg",
                "originMimeType": origin,
                "filename": name,
                "contentHash": hashlib.sha256(content).hexdigest(),
                "content": [],
                "isEInvoice": False,
            },
            status=201,
        )

    # -- vouchers --------------------------------------------------------------------

    def on_save_voucher(self, request: Request) -> Response:
        data = self.body(request)
        voucher_in = data.get("voucher")
        if not isinstance(voucher_in, dict):
            raise ApiError(400, "voucher is required")
        positions_in = data.get("voucherPosSave") or []
        deletes_in = data.get("voucherPosDelete") or []
        if not isinstance(positions_in, list) or not isinstance(deletes_in, list):
            raise ApiError(400, "voucherPosSave and voucherPosDelete must be lists")
        if voucher_in.get("objectName") != "Voucher" or not parse_bool(voucher_in.get("mapAll")):
            raise ApiError(400, "voucher needs objectName 'Voucher' and mapAll true")
        existing = None
        if voucher_in.get("id") not in (None, ""):
            vid = parse_id(voucher_in["id"], "voucher.id")
            existing = self.vouchers.get(vid)
            if existing is None:
                raise self.not_found("Voucher", vid)
            if existing["status"] != 50 or existing["enshrined"]:
                # C28: measured code and advice [RS].
                raise ApiError(
                    400,
                    "Voucher can only be updated in status draft. Use resetToDraft first.",
                    code=90400,
                )
        header = self.check_header(voucher_in, existing)
        positions = self.check_positions(positions_in, header, existing, deletes_in)
        if header["status"] == 100 and not positions:
            raise ApiError(422, "An open voucher needs at least one position")
        document_id = existing["document"] if existing else None
        filename = data.get("filename")
        if filename:
            temp = self.temp_files.get(str(filename))
            if temp is None:
                raise ApiError(400, f"File {filename} not found; upload it first")
            document_id = self._next("Document")
            self.documents[document_id] = {"filename": filename, **temp}
        vid = existing["id"] if existing else self._next("Voucher")
        voucher = existing or {
            "id": vid,
            "create": now_iso(),
            "paidAmount": Decimal(0),
            "payDate": None,
            "enshrined": None,
            "bookings": [],
        }
        voucher.update(header, document=document_id, update=now_iso())
        for pid in [p for p, pos in self.positions.items() if pos["voucher"] == vid]:
            if pid not in {p["id"] for p in positions}:
                del self.positions[pid]
        for position in positions:
            position["voucher"] = vid
            self.positions[position["id"]] = position
        self.vouchers[vid] = voucher
        self.recompute(voucher)
        return self.ok(
            {
                "voucher": self.render_voucher(voucher, saved=True),
                "voucherPos": [self.render_position(p) for p in self.voucher_positions(vid)],
                "vatdrop": "not relevant",
            },
            status=201,
        )

    def check_header(self, data: dict[str, Any], existing: dict[str, Any] | None) -> dict[str, Any]:
        # C22: 2.0 replaced taxType/taxSet by taxRule.
        if data.get("taxType") not in (None, "") or data.get("taxSet") not in (None, ""):
            raise ApiError(
                422, "taxType and taxSet are not supported in sevdesk-Update 2.0; use taxRule"
            )
        status = int(parse_decimal(data.get("status"), "voucher.status"))
        if status not in (50, 100):
            # C20: "A voucher can not be directly set to paid anymore".
            raise ApiError(422, f"Status {status} is not allowed; use 50 (draft) or 100 (open)")
        credit_debit = data.get("creditDebit")
        if credit_debit not in ("C", "D"):
            raise ApiError(422, "creditDebit must be C or D")
        voucher_type = data.get("voucherType", "VOU")
        if voucher_type not in ("VOU", "RV"):
            raise ApiError(422, "voucherType must be VOU or RV")
        if not isinstance(data.get("taxRule"), dict):
            raise ApiError(422, "taxRule is required")
        rule = parse_id(data["taxRule"], "taxRule.id")
        if rule in NOT_FOR_VOUCHERS:
            raise ApiError(422, f"Tax rule {rule} cannot be used for vouchers")
        supplier = data.get("supplier")
        supplier_id = parse_id(supplier, "supplier") if supplier else None
        if supplier_id is not None and supplier_id not in self.contacts:
            raise self.not_found("Contact", supplier_id)
        supplier_name = data.get("supplierName") or None
        if self.strict_supplier and supplier_id is None and not supplier_name:
            raise ApiError(422, "Either supplier or supplierName is required")
        if data.get("voucherDate") in (None, ""):
            raise ApiError(422, "voucherDate is required")
        voucher_date = parse_date(data["voucherDate"], "voucherDate")
        delivery = data.get("deliveryDate")
        delivery_date = parse_date(delivery, "deliveryDate") if delivery else voucher_date
        currency = str(data.get("currency") or "EUR")
        if currency != "EUR" and not (
            data.get("propertyExchangeRate") or data.get("propertyForeignCurrencyDeadline")
        ):
            raise ApiError(
                422, f"Currency {currency} needs propertyExchangeRate or a currency deadline"
            )
        return {
            "status": status,
            "creditDebit": credit_debit,
            "voucherType": voucher_type,
            "taxRule": rule,
            "supplier": supplier_id,
            "supplierName": supplier_name,
            "description": data.get("description"),
            "voucherDate": voucher_date,
            "deliveryDate": delivery_date,
            "currency": currency,
            "paymentDeadline": data.get("paymentDeadline"),
        }

    def check_positions(
        self,
        items: list[Any],
        header: dict[str, Any],
        existing: dict[str, Any] | None,
        deletes: list[Any],
    ) -> list[dict[str, Any]]:
        vid = existing["id"] if existing else None
        kept = {p["id"]: dict(p) for p in self.voucher_positions(vid)} if vid else {}
        for item in deletes:
            pid = parse_id(item, "voucherPosDelete")
            if pid not in kept:
                raise self.not_found("VoucherPos", pid)
            del kept[pid]
        modes = set()
        for index, item in enumerate(items):
            where = f"voucherPosSave[{index}]"
            if not isinstance(item, dict) or item.get("objectName") != "VoucherPos":
                raise ApiError(400, f"{where}: objectName 'VoucherPos' is required")
            for required in ("accountDatev", "taxRate", "net"):
                if item.get(required) in (None, ""):
                    raise ApiError(422, f"{where}: {required} is required")
            net = parse_bool(item["net"])
            modes.add(net)
            amount_field = "sumNet" if net else "sumGross"
            if item.get(amount_field) in (None, ""):
                raise ApiError(422, f"{where}: {amount_field} is required when net is {net}")
            account = parse_id(item["accountDatev"], f"{where}.accountDatev")
            if not self.account_exists(account):
                raise self.not_found("AccountDatev", account)
            rate = parse_decimal(item["taxRate"], f"{where}.taxRate")
            if not self.allowed(account, header["taxRule"], rate, header["creditDebit"]):
                raise ApiError(
                    422,
                    f"The combination of tax rule {header['taxRule']}, tax rate "
                    f"{money(rate)} and account {account} is not allowed",
                )
            amount = parse_decimal(item[amount_field], f"{where}.{amount_field}")
            if item.get("id") not in (None, ""):
                pid = parse_id(item["id"], f"{where}.id")
                if pid not in kept:
                    raise self.not_found("VoucherPos", pid)
            else:
                pid = self._next("VoucherPos")
            kept[pid] = {
                "id": pid,
                "create": kept.get(pid, {}).get("create", now_iso()),
                "accountDatev": account,
                "taxRate": rate,
                "net": net,
                "amount": amount,
                "comment": item.get("comment"),
                "isAsset": parse_bool(item.get("isAsset", False)),
            }
        if len(modes) > 1:
            # C21: all positions net or all gross.
            raise ApiError(422, "Net and gross positions cannot be mixed in one voucher")
        for position in kept.values():
            self.compute_position(position)
        return list(kept.values())

    @staticmethod
    def compute_position(position: dict[str, Any]) -> None:
        """C25: half-up to cents (the real rule is unverified)."""
        rate, amount = position["taxRate"], position["amount"]
        factor = 1 + rate / 100
        if position["net"]:
            net = amount.quantize(CENT, rounding=ROUND_HALF_UP)
            gross = (net * factor).quantize(CENT, rounding=ROUND_HALF_UP)
        else:
            gross = amount.quantize(CENT, rounding=ROUND_HALF_UP)
            net = (gross / factor).quantize(CENT, rounding=ROUND_HALF_UP)
        position.update(sumNet=net, sumGross=gross, sumTax=gross - net)

    def voucher_positions(self, vid: int | None) -> list[dict[str, Any]]:
        return [p for p in self.positions.values() if p.get("voucher") == vid]

    def recompute(self, voucher: dict[str, Any]) -> None:
        positions = self.voucher_positions(voucher["id"])
        for key in ("sumNet", "sumTax", "sumGross"):
            voucher[key] = sum((p[key] for p in positions), Decimal(0))
        voucher["showNet"] = bool(positions) and all(p["net"] for p in positions)

    def voucher(self, vid: int) -> dict[str, Any]:
        voucher = self.vouchers.get(vid)
        if voucher is None:
            raise self.not_found("Voucher", vid)
        return voucher

    def on_list_vouchers(self, request: Request) -> Response:
        # C30; unknown filters are ignored (A7).
        args = request.args
        items = list(self.vouchers.values())
        like = args.get("descriptionLike")
        if like is not None:
            items = [v for v in items if like.lower() in (v["description"] or "").lower()]
        if "status" in args:
            items = [v for v in items if str(v["status"]) == args["status"]]
        if "creditDebit" in args:
            items = [v for v in items if v["creditDebit"] == args["creditDebit"]]
        if "contact[id]" in args:
            items = [v for v in items if str(v["supplier"]) == args["contact[id]"]]
        for name, keep in (("startDate", lambda d, b: d >= b), ("endDate", lambda d, b: d <= b)):
            if name in args:
                bound = unix_time(args[name], name)
                items = [v for v in items if keep(v["voucherDate"], bound)]
        return self.page(request, [self.render_voucher(v) for v in items])

    def on_get_voucher(self, request: Request, vid: int) -> Response:
        return self.ok([self.render_voucher(self.voucher(vid))])

    def on_update_voucher(self, request: Request, vid: int) -> Response:
        # C32: simple fields of drafts only; status is ignored.
        voucher = self.voucher(vid)
        if voucher["status"] != 50 or voucher["enshrined"]:
            raise ApiError(400, "Voucher can only be updated in status draft", code=90400)
        data = self.body(request)
        for field in ("description", "supplierName", "paymentDeadline"):
            if field in data:
                voucher[field] = data[field]
        for field in ("voucherDate", "deliveryDate"):
            if data.get(field):
                voucher[field] = parse_date(data[field], field)
        return self.ok(self.render_voucher(voucher))

    def on_delete_voucher(self, request: Request, vid: int) -> Response:
        voucher = self.voucher(vid)
        if voucher["status"] != 50 or voucher["enshrined"]:
            raise ApiError(
                409,
                f"Voucher can only be deleted in status 50 but is status {voucher['status']}",
                code=159,
            )
        del self.vouchers[vid]
        for position in self.voucher_positions(vid):
            del self.positions[position["id"]]
        self.deleted_vouchers.add(vid)
        return self.ok([None])

    def on_list_positions(self, request: Request) -> Response:
        items = list(self.positions.values())
        if "voucher[id]" in request.args:
            items = [p for p in items if str(p["voucher"]) == request.args["voucher[id]"]]
        return self.page(request, [self.render_position(p) for p in items])

    def on_book_amount(self, request: Request, vid: int) -> Response:
        voucher = self.voucher(vid)
        data = self.body(request)
        for required in ("amount", "date", "type", "checkAccount"):
            if data.get(required) in (None, ""):
                raise ApiError(400, f"{required} is required")
        kind = data["type"]
        if kind not in BOOK_TYPES:
            raise ApiError(422, f"Unknown booking type {kind}")
        if kind == "CF":
            raise ApiError(422, "Booking type CF is not supported in sevdesk-Update 2.0")
        amount = parse_decimal(data["amount"], "amount")
        booked_at = parse_date(data["date"], "date")
        account_id = parse_id(data["checkAccount"], "checkAccount")
        account = self.check_accounts.get(account_id)
        if account is None:
            raise self.not_found("CheckAccount", account_id)
        if voucher["status"] == 50:
            # C34: exact status unverified.
            raise ApiError(422, "A Voucher can only be booked when it was registered beforehand")
        if voucher["status"] == 1000:
            # C35: measured code 751, HTTP status unverified.
            raise ApiError(400, "Voucher is already paid", code=751)
        if account["status"] != "100":
            raise ApiError(422, f"Check account {account_id} is archived")
        has_transaction = data.get("checkAccountTransaction") not in (None, "", {})
        if account["type"] == "online" and not has_transaction:
            raise ApiError(
                422, "Booking on an online check account needs a checkAccountTransaction"
            )
        if account["type"] != "online" and has_transaction:
            raise ApiError(
                422, "Do not send a checkAccountTransaction for offline or register accounts"
            )
        gross = voucher["sumGross"]
        if self.strict_sign and amount * gross < 0:
            raise ApiError(422, "The amount must have the same sign as the voucher's total")
        from_status = voucher["status"]
        paid = voucher["paidAmount"] + amount
        voucher["paidAmount"] = min(paid, gross) if gross >= 0 else max(paid, gross)
        voucher["status"] = 1000 if abs(paid) >= abs(gross) else 750
        if voucher["status"] == 1000:
            voucher["payDate"] = booked_at
        transaction_id = self._next("CheckAccountTransaction")
        self.transactions[transaction_id] = {
            "id": transaction_id,
            "checkAccount": account_id,
            "amount": amount,
            "valueDate": booked_at,
            "status": "400",
            "voucher": vid,
            "payeePayerName": voucher["supplierName"],
            "paymtPurpose": voucher["description"],
        }
        log_id = self._next("VoucherLog")
        voucher["bookings"].append(
            {"log": log_id, "transaction": transaction_id, "amount": amount, "type": kind}
        )
        voucher["update"] = now_iso()
        return self.ok(
            {
                "id": str(log_id),
                "objectName": "VoucherLog",
                "additionalInformation": None,
                "create": now_iso(),
                "voucher": ref(vid, "Voucher"),
                "fromStatus": str(from_status),
                "toStatus": str(voucher["status"]),
                "amountPayed": money(amount),
                "bookingDate": booked_at.isoformat(),
                "sevClient": SEV_CLIENT,
            }
        )

    def on_reset_to_open(self, request: Request, vid: int) -> Response:
        voucher = self.voucher(vid)
        if voucher["enshrined"]:
            raise ApiError(422, "Enshrined vouchers cannot be reset")
        if voucher["status"] == 50:
            raise ApiError(422, "A draft voucher cannot be reset to open")
        for booking in voucher["bookings"]:
            # Offline bookings' transactions go away (unverified, C42).
            self.transactions.pop(booking["transaction"], None)
        voucher.update(bookings=[], paidAmount=Decimal(0), payDate=None, status=100)
        return self.ok(self.render_voucher(voucher))

    def on_reset_to_draft(self, request: Request, vid: int) -> Response:
        voucher = self.voucher(vid)
        if voucher["enshrined"]:
            raise ApiError(422, "Enshrined vouchers cannot be reset")
        if voucher["status"] != 100:
            raise ApiError(
                422, f"Only open vouchers can be reset to draft (status {voucher['status']})"
            )
        voucher["status"] = 50
        return self.ok(self.render_voucher(voucher))

    def on_enshrine(self, request: Request, vid: int) -> Response:
        voucher = self.voucher(vid)
        if voucher["status"] < 100:
            raise ApiError(422, "Only vouchers in status 100 or higher can be enshrined")
        voucher["enshrined"] = now_iso()
        return self.ok(None)

    # -- check accounts ----------------------------------------------------------------

    def on_list_check_accounts(self, request: Request) -> Response:
        return self.page(
            request, [self.render_check_account(a) for a in self.check_accounts.values()]
        )

    def on_get_check_account(self, request: Request, aid: int) -> Response:
        account = self.check_accounts.get(aid)
        if account is None:
            raise self.not_found("CheckAccount", aid)
        return self.ok([self.render_check_account(account)])

    def on_create_clearing_account(self, request: Request) -> Response:
        data = self.body(request)
        name = str(data.get("name") or "").strip()
        if not name:
            raise ApiError(422, "name is required")
        number = str(data.get("accountingNumber") or "")
        if number and any(a["accountingNumber"] == number for a in self.check_accounts.values()):
            raise ApiError(422, f"The accounting number {number} is already in use")
        aid = self.add_check_account(name, "offline", accounting_number=number)
        return self.ok(self.render_check_account(self.check_accounts[aid]), status=201)

    def on_list_transactions(self, request: Request) -> Response:
        items = list(self.transactions.values())
        if "checkAccount[id]" in request.args:
            wanted = request.args["checkAccount[id]"]
            items = [t for t in items if str(t["checkAccount"]) == wanted]
        return self.page(request, [self.render_transaction(t) for t in items])

    def on_create_transaction(self, request: Request) -> Response:
        data = self.body(request)
        account_id = parse_id(data.get("checkAccount"), "checkAccount")
        account = self.check_accounts.get(account_id)
        if account is None:
            raise self.not_found("CheckAccount", account_id)
        if account["type"] != "online":
            # C38: measured wording [RS error_422_offline_account.json].
            raise ApiError(
                422,
                "You can only create transactions on online checkaccounts. "
                "Use document bookAmount to create transactions on other types.",
            )
        tid = self._next("CheckAccountTransaction")
        self.transactions[tid] = {
            "id": tid,
            "checkAccount": account_id,
            "amount": parse_decimal(data.get("amount"), "amount"),
            "valueDate": parse_date(data.get("valueDate"), "valueDate"),
            "status": "100",
            "voucher": None,
            "payeePayerName": data.get("payeePayerName"),
            "paymtPurpose": data.get("paymtPurpose"),
        }
        return self.ok(self.render_transaction(self.transactions[tid]), status=201)

    # -- contacts ------------------------------------------------------------------------

    def contact(self, cid: int) -> dict[str, Any]:
        contact = self.contacts.get(cid)
        if contact is None:
            raise self.not_found("Contact", cid)
        return contact

    def on_list_contacts(self, request: Request) -> Response:
        # C52: persons only with depth=1; customerNumber exact; name in any name field.
        args = request.args
        items = list(self.contacts.values())
        if args.get("depth") != "1":
            items = [c for c in items if c["name"]]
        if "customerNumber" in args:
            items = [c for c in items if c["customerNumber"] == args["customerNumber"]]
        if "name" in args:
            needle = args["name"].lower()
            items = [
                c
                for c in items
                if any(needle in (c[k] or "").lower() for k in ("name", "surename", "familyname"))
            ]
        return self.page(request, [self.render_contact(c) for c in items])

    def on_get_contact(self, request: Request, cid: int) -> Response:
        return self.ok([self.render_contact(self.contact(cid))])

    def on_create_contact(self, request: Request) -> Response:
        data = self.body(request)
        if not isinstance(data.get("category"), dict):
            raise ApiError(400, "category is required")
        category = parse_id(data["category"], "category")
        name = data.get("name") or None
        surename, familyname = data.get("surename") or None, data.get("familyname") or None
        if not (name or surename or familyname):
            raise ApiError(422, "A contact needs a name (organisation) or surename/familyname")
        number = data.get("customerNumber") or None
        if number and any(c["customerNumber"] == number for c in self.contacts.values()):
            # Unverified: the fake refuses duplicate customer numbers.
            raise ApiError(422, f"The customer number {number} is already in use")
        cid = self._next("Contact")
        self.contacts[cid] = {
            "id": cid,
            "create": now_iso(),
            "name": name,
            "surename": surename,
            "familyname": familyname,
            "customerNumber": number,
            "category": category,
            "status": str(data.get("status") or 1000),
            "vatNumber": data.get("vatNumber") or None,
            "description": data.get("description") or None,
        }
        return self.ok(self.render_contact(self.contacts[cid]), status=201)

    def on_next_customer_number(self, request: Request) -> Response:
        taken = {c["customerNumber"] for c in self.contacts.values()}
        number = self.next_customer_number
        while str(number) in taken:
            number += 1
        return self.ok(str(number))

    def on_customer_number_available(self, request: Request) -> Response:
        number = request.args.get("customerNumber", "")
        return self.ok(all(c["customerNumber"] != number for c in self.contacts.values()))

    def on_list_addresses(self, request: Request) -> Response:
        items = list(self.addresses.values())
        if "contact[id]" in request.args:
            items = [a for a in items if str(a["contact"]) == request.args["contact[id]"]]
        return self.page(request, [self.render_address(a) for a in items])

    def on_create_address(self, request: Request) -> Response:
        data = self.body(request)
        for required in ("contact", "country", "category"):
            if not isinstance(data.get(required), dict):
                raise ApiError(400, f"{required} is required")
        cid = parse_id(data["contact"], "contact")
        self.contact(cid)
        aid = self._next("ContactAddress")
        self.addresses[aid] = {
            "id": aid,
            "create": now_iso(),
            "contact": cid,
            "street": data.get("street"),
            "zip": data.get("zip"),
            "city": data.get("city"),
            "name": data.get("name"),
            "country": parse_id(data["country"], "country"),
            "category": parse_id(data["category"], "category"),
        }
        return self.ok(self.render_address(self.addresses[aid]), status=201)

    def on_list_ways(self, request: Request) -> Response:
        # Spec filters: contact, type, main. There is no filter by value (A7: ignored).
        args = request.args
        items = list(self.ways.values())
        if "contact[id]" in args:
            items = [w for w in items if str(w["contact"]) == args["contact[id]"]]
        if "type" in args:
            items = [w for w in items if w["type"] == args["type"]]
        return self.page(request, [self.render_way(w) for w in items])

    def on_create_way(self, request: Request) -> Response:
        data = self.body(request)
        for required in ("contact", "type", "value", "key"):
            if data.get(required) in (None, ""):
                raise ApiError(400, f"{required} is required")
        if data["type"] not in ("EMAIL", "PHONE", "WEB", "MOBILE"):
            raise ApiError(422, f"Unknown communication way type {data['type']}")
        cid = parse_id(data["contact"], "contact")
        self.contact(cid)
        wid = self._next("CommunicationWay")
        self.ways[wid] = {
            "id": wid,
            "create": now_iso(),
            "contact": cid,
            "type": data["type"],
            "value": str(data["value"]),
            "key": parse_id(data["key"], "key"),
            "main": parse_bool(data.get("main", False)),
        }
        return self.ok(self.render_way(self.ways[wid]), status=201)

    # -- rendering (all scalars strings, A5) --------------------------------------------

    def render_voucher(self, v: dict[str, Any], *, saved: bool = False) -> dict[str, Any]:
        """The fields and order of the recorded answers; unset links are left out, as
        there (``supplier``, ``document``), and ``propertyCreationOrigin`` only comes
        with the answer to ``saveVoucher`` [RS write_voucher_save_create.json,
        write_voucher_reset_to_open.json]."""
        sums = {k: money(v[k]) for k in ("sumNet", "sumTax", "sumGross")}
        links = {
            name: ref(v[key], kind)
            for name, key, kind in (
                ("supplier", "supplier", "Contact"),
                ("document", "document", "Document"),
            )
            if v[key] is not None
        }
        return {
            "id": str(v["id"]),
            "objectName": "Voucher",
            "additionalInformation": None,
            **({"propertyCreationOrigin": None} if saved else {}),
            "create": v["create"],
            "update": v.get("update", v["create"]),
            "sevClient": SEV_CLIENT,
            "createUser": CREATE_USER,
            "voucherDate": v["voucherDate"].isoformat(),
            **({"supplier": links["supplier"]} if "supplier" in links else {}),
            "supplierName": v["supplierName"],
            "description": v["description"],
            **({"document": links["document"]} if "document" in links else {}),
            "resultDisdar": None,
            "payDate": v["payDate"].isoformat() if v["payDate"] else None,
            "status": str(v["status"]),
            "currency": v["currency"],
            **sums,
            "sumNetAccounting": sums["sumNet"],
            "sumTaxAccounting": sums["sumTax"],
            "sumGrossAccounting": sums["sumGross"],
            "showNet": flag(v["showNet"]),
            "paidAmount": float(v["paidAmount"]) if v["paidAmount"] % 1 else int(v["paidAmount"]),
            "taxType": None,
            "creditDebit": v["creditDebit"],
            "hidden": "0",
            "voucherType": v["voucherType"],
            "recurringIntervall": None,
            "recurringInterval": None,
            "recurringStartDate": None,
            "recurringNextVoucher": None,
            "recurringLastVoucher": None,
            "recurringEndDate": None,
            "enshrined": v["enshrined"],
            "sendType": None,
            "inSource": None,
            "iban": None,
            "accountingSpecialCase": None,
            "paymentDeadline": v["paymentDeadline"],
            "tip": "0",
            "mileageRate": "0",
            "selectedForPaymentFile": "0",
            "supplierNameAtSave": None,
            "taxmaroStockAccount": None,
            "vatNumber": None,
            "deliveryDate": v["deliveryDate"].isoformat(),
            "deliveryDateUntil": None,
            "sumDiscountNet": "0",
            "sumDiscountGross": "0",
            "sumNetForeignCurrency": "0",
            "sumTaxForeignCurrency": "0",
            "sumGrossForeignCurrency": "0",
            "sumDiscountNetForeignCurrency": "0",
            "sumDiscountGrossForeignCurrency": "0",
            "taxRule": ref(v["taxRule"], "TaxRule"),
        }

    def render_position(self, p: dict[str, Any]) -> dict[str, Any]:
        sums = {k: money(p[k]) for k in ("sumNet", "sumTax", "sumGross")}
        return {
            "id": str(p["id"]),
            "objectName": "VoucherPos",
            "additionalInformation": None,
            "create": p["create"],
            "update": p["create"],
            "sevClient": SEV_CLIENT,
            "voucher": ref(p["voucher"], "Voucher"),
            "taxRate": money(p["taxRate"]),
            "sum": None,
            "net": flag(p["net"]),
            "isAsset": flag(p["isAsset"]),
            "assetMemoValue": "0",
            **sums,
            "sumNetAccounting": sums["sumNet"],
            "sumTaxAccounting": sums["sumTax"],
            "sumGrossAccounting": sums["sumGross"],
            "comment": p["comment"],
            "isGwg": "0",
            "cateringTaxRate": None,
            "cateringTip": None,
            "specialAccountingField1": None,
            "specialAccountingField2": None,
            "specialAccountingField3": None,
            "specialAccountingField4": None,
            "specialAccountingField5": None,
            "accountDatev": ref(p["accountDatev"], "AccountDatev"),
            "isPercentage": "1",
            "discountedValue": "0",
            "sumNetForeignCurrency": "0",
            "sumTaxForeignCurrency": "0",
            "sumGrossForeignCurrency": "0",
            "sumDiscountForeignCurrency": "0",
            "createNextPart": None,
        }

    def render_check_account(self, a: dict[str, Any]) -> dict[str, Any]:
        return {
            "id": str(a["id"]),
            "objectName": "CheckAccount",
            "additionalInformation": None,
            "create": a["create"],
            "update": a["create"],
            "sevClient": SEV_CLIENT,
            "name": a["name"],
            "type": a["type"],
            "importType": "CSV" if a["type"] == "online" else None,
            "currency": "EUR",
            "checkAccId": None,
            "pin": None,
            "defaultAccount": flag(a["defaultAccount"]),
            "status": a["status"],
            "translationCode": None,
            "bankServer": None,
            "balance": "0" if a["type"] == "online" else None,
            "accountingNumber": a["accountingNumber"],
            "iban": None,
            "bic": None,
            "baseAccount": flag(a["baseAccount"]),
            "priority": "0",
            "countryCode": None,
            "autoMapTransaction": "1",
            "autoSyncTransactions": "0",
            "lastSync": None,
        }

    def render_transaction(self, t: dict[str, Any]) -> dict[str, Any]:
        return {
            "id": str(t["id"]),
            "objectName": "CheckAccountTransaction",
            "sevClient": SEV_CLIENT,
            "valueDate": t["valueDate"].isoformat(),
            "entryDate": t["valueDate"].isoformat(),
            "amount": money(t["amount"]),
            "payeePayerName": t["payeePayerName"],
            "paymtPurpose": t["paymtPurpose"],
            "checkAccount": ref(t["checkAccount"], "CheckAccount"),
            "status": t["status"],
            "sourceTransaction": None,
            "targetTransaction": None,
        }

    def render_contact(self, c: dict[str, Any]) -> dict[str, Any]:
        return {
            "id": str(c["id"]),
            "objectName": "Contact",
            "additionalInformation": None,
            "create": c["create"],
            "update": c["create"],
            "name": c["name"],
            "status": c["status"],
            "customerNumber": c["customerNumber"],
            "surename": c["surename"],
            "familyname": c["familyname"],
            "titel": None,
            "category": ref(c["category"], "Category"),
            "description": c["description"],
            "academicTitle": None,
            "gender": None,
            "sevClient": SEV_CLIENT,
            "name2": None,
            "birthday": None,
            "vatNumber": c["vatNumber"],
            "bankAccount": None,
            "bankNumber": None,
            "mandateReference": None,
            "defaultCashbackTime": None,
            "defaultCashbackPercent": None,
            "defaultTimeToPay": None,
            "taxNumber": None,
            "taxOffice": None,
            "exemptVat": "0",
            "taxType": None,
            "defaultDiscountAmount": None,
            "defaultDiscountPercentage": "1",
            "buyerReference": "-",
            "governmentAgency": "0",
            "defaultShowVat": "1",
        }

    def render_address(self, a: dict[str, Any]) -> dict[str, Any]:
        return {
            "id": str(a["id"]),
            "objectName": "ContactAddress",
            "additionalInformation": None,
            "create": a["create"],
            "update": a["create"],
            "contact": self.render_contact(self.contacts[a["contact"]]),
            "street": a["street"],
            "zip": a["zip"],
            "city": a["city"],
            "country": ref(a["country"], "StaticCountry"),
            "category": ref(a["category"], "Category"),
            "name": a["name"],
            "sevClient": SEV_CLIENT,
        }

    def render_way(self, w: dict[str, Any]) -> dict[str, Any]:
        return {
            "id": str(w["id"]),
            "objectName": "CommunicationWay",
            "additionalInformation": None,
            "create": w["create"],
            "update": w["create"],
            "contact": ref(w["contact"], "Contact"),
            "type": w["type"],
            "value": w["value"],
            "key": ref(w["key"], "CommunicationWayKey"),
            "main": flag(w["main"]),
            "sevClient": SEV_CLIENT,
        }
