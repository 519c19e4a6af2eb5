"""The lexoffice (Lexware Office) public API client: the only way belegsync reaches it.

Reference: tests/reference/lexoffice/README.md. lexoffice words errors
three ways (README §4): gateway ``{"message": ...}``, the legacy
``{"IssueList": [...]}`` of vouchers/files/contacts and the regular body of
the voucherlist. Validation is 406, not 400/422. 504 means "may have been
processed", so a POST is never repeated here (the base's rule); the target's
find step heals it.
"""

from __future__ import annotations

import hashlib
import html
from collections.abc import Callable
from typing import Any, ClassVar

import httpx

from belegsync.connectors.errors import (
    Conflict,
    ConnectorError,
    PermanentError,
    PermissionDenied,
    RemoteIssue,
    ValidationRejected,
)
from belegsync.connectors.http import RAW_LIMIT, ApiClient, RetryPolicy, excerpt, parse_json
from belegsync.connectors.ratelimit import Limiter

CURRENT_BASE_URL = "https://api.lexware.io"
#: Replaced on 2025-05-26, reachable until December 2025 (README §1).
OLD_BASE_URL = "https://api.lexoffice.io"
MAX_PAGE_SIZE = 250
DEFAULT_RETRY = RetryPolicy()

#: What a rejected field means for the merchant, English / German, by issue source.
FIELD_MESSAGES: tuple[tuple[str, str], ...] = (
    (
        "totalTaxAmount",
        "tax amount does not match the lines / Steuerbetrag passt nicht zur Summe der Positionen",
    ),
    (
        "totalGrossAmount",
        "gross total does not match the lines / Bruttobetrag passt nicht zur Summe der Positionen",
    ),
    (
        "taxRatePercent",
        "tax rate not allowed for this posting category / "
        "Steuersatz für diese Buchungskategorie nicht zulässig",
    ),
    (
        "taxAmount",
        "tax of a position does not match its amount / "
        "Steuerbetrag einer Position passt nicht zum Betrag",
    ),
    (
        "categoryId",
        "posting category unknown or not usable here (check the category overrides) / "
        "Buchungskategorie unbekannt oder hier nicht zulässig",
    ),
    (
        "contactId",
        "contact missing or not a customer / Kontakt fehlt oder ist kein Kunde",
    ),
    ("voucherStatus", "voucher status cannot be set / Belegstatus nicht änderbar"),
    ("voucherDate", "voucher date missing or malformed / Belegdatum fehlt oder ist ungültig"),
    ("voucherNumber", "voucher number missing / Belegnummer fehlt"),
    ("file", "file rejected (type, size or content) / Datei abgelehnt"),
)


def describe_issue(source: str | None, key: str) -> str:
    for field_name, message in FIELD_MESSAGES:
        if source and (source == field_name or source.endswith("." + field_name)):
            return message
    return f"{source or 'voucher'}: {key}"


def escape_search(value: str) -> str:
    """lexoffice compares search strings HTML-escaped (README §5.0 "Search-string encoding").

    httpx URL-encodes the result; ``&`` must arrive as ``%26amp%3B``.
    """
    return html.escape(value, quote=False)


def parse_issues(data: Any) -> list[RemoteIssue]:
    """Issues of any of lexoffice's error bodies, as the neutral issue list."""
    if not isinstance(data, dict):
        return []
    issues = []
    for item in data.get("IssueList") or []:
        if isinstance(item, dict):
            source = item.get("source")
            key = str(item.get("i18nKey") or item.get("type") or "")
            issues.append(RemoteIssue(str(source or ""), describe_issue(source, key) + f" [{key}]"))
    for item in data.get("details") or []:
        if isinstance(item, dict):
            issues.append(RemoteIssue(str(item.get("field") or ""), str(item.get("message") or "")))
    return issues


def _body(response: httpx.Response) -> Any:
    try:
        return parse_json(response.content)
    except ValueError:
        return None


class LexofficeClient(ApiClient):
    system: ClassVar[str] = "lexoffice"
    remote: ClassVar[str] = "lexoffice"
    addresses: ClassVar[tuple[str, ...]] = (CURRENT_BASE_URL, OLD_BASE_URL)

    def __init__(
        self,
        api_key: str,
        base_url: str = CURRENT_BASE_URL,
        *,
        limiter: Limiter | None = None,
        retry: RetryPolicy = DEFAULT_RETRY,
        sleep: Callable[[float], None] | None = None,
    ) -> None:
        self._api_key = api_key
        extra: dict[str, Any] = {} if sleep is None else {"sleep": sleep}
        super().__init__(
            base_url, limiter=limiter, limiter_key=account_key(api_key), retry=retry, **extra
        )

    # -- what the base asks ----------------------------------------------------

    def auth_headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self._api_key}", "Accept": "application/json"}

    def error_message(self, response: httpx.Response) -> str:
        data = _body(response)
        issues = parse_issues(data)
        if issues:
            return excerpt("; ".join(dict.fromkeys(i.message for i in issues)))
        if isinstance(data, dict) and data.get("message"):
            return excerpt(data["message"])
        return f"HTTP {response.status_code}"

    def error_for(self, response: httpx.Response) -> ConnectorError:
        status = response.status_code
        raw = response.text[:RAW_LIMIT]
        issues = parse_issues(_body(response))
        said = self.error_message(response)
        if status in (400, 406):
            return ValidationRejected(
                f"lexoffice rejected the voucher: {said}", raw=raw, status=status, issues=issues
            )
        if status == 402:
            return PermissionDenied(
                "Your lexoffice plan does not include bookkeeping (402): vouchers cannot be "
                "booked through the API. / Ihr lexoffice-Tarif enthält keine Buchhaltung.",
                raw=raw,
                status=status,
            )
        if status == 409:
            return Conflict(
                "The voucher was changed in lexoffice meanwhile (version conflict); "
                "belegsync reloads and retries.",
                raw=raw,
                status=status,
                issues=issues,
            )
        if status == 415:
            return PermanentError(
                "belegsync sent lexoffice a request in the wrong format (415); "
                "this is a bug, support has the details.",
                raw=raw,
                status=status,
            )
        return super().error_for(response)

    # -- endpoints -------------------------------------------------------------

    def profile(self) -> dict[str, Any]:
        return self._object("GET", "/v1/profile")

    def create_voucher(self, body: dict[str, Any]) -> dict[str, Any]:
        return self._object("POST", "/v1/vouchers", json=body)

    def get_voucher(self, voucher_id: str) -> dict[str, Any]:
        return self._object("GET", f"/v1/vouchers/{voucher_id}")

    def update_voucher(self, voucher_id: str, body: dict[str, Any]) -> dict[str, Any]:
        return self._object("PUT", f"/v1/vouchers/{voucher_id}", json=body)

    def upload_file(self, voucher_id: str, content: bytes, filename: str) -> dict[str, Any]:
        """``POST /v1/vouchers/{id}/files`` (multipart, part ``file``; README §5.3)."""
        content_type = "application/pdf" if filename.lower().endswith(".pdf") else None
        files = {"file": (filename, content, content_type or "application/octet-stream")}
        return self._object(
            "POST", f"/v1/vouchers/{voucher_id}/files", files=files, data={"type": "voucher"}
        )

    def voucherlist(self, **params: Any) -> dict[str, Any]:
        """One page of ``GET /v1/voucherlist`` (README §5.2); ``voucherNumber`` is escaped."""
        query = {"voucherType": "salesinvoice,salescreditnote", "voucherStatus": "any", **params}
        if "voucherNumber" in query:
            query["voucherNumber"] = escape_search(str(query["voucherNumber"]))
        return self._object("GET", "/v1/voucherlist", params=query)

    def payments(self, voucher_id: str) -> dict[str, Any]:
        return self._object("GET", f"/v1/payments/{voucher_id}")

    def search_contacts(self, **params: Any) -> dict[str, Any]:
        if "name" in params:
            params["name"] = escape_search(str(params["name"]))
        return self._object("GET", "/v1/contacts", params=params)

    def create_contact(self, body: dict[str, Any]) -> dict[str, Any]:
        return self._object("POST", "/v1/contacts", json=body)

    def transaction_assignment_hint(self, voucher_id: str, reference: str) -> dict[str, Any]:
        """Partner-only endpoint (README §6, unverified): lets lexoffice match a payment."""
        return self._object(
            "POST",
            "/v1/transaction-assignment-hint",
            json={"voucherId": voucher_id, "externalReference": reference},
        )

    def _object(self, method: str, path: str, **kwargs: Any) -> dict[str, Any]:
        data = self.json(method, path, **kwargs)
        if not isinstance(data, dict):
            raise PermanentError(
                f"lexoffice sent an unexpected answer to {method} {path}.",
                raw=str(data)[:RAW_LIMIT],
            )
        return data


def account_key(api_key: str) -> str:
    """The limiter's key for one lexoffice account: never the key itself (it may be logged)."""
    return "lexoffice:" + hashlib.sha256(api_key.encode()).hexdigest()[:16]
