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
    FailureReason,
    PermanentError,
    PermissionDenied,
    RemoteIssue,
    ValidationRejected,
)
from belegsync.connectors.http import RAW_LIMIT, ApiClient, RetryPolicy, excerpt, parse_json
from belegsync.connectors.ratelimit import Limiter
from belegsync.connectors.reasons import Reason

CURRENT_BASE_URL = "https://api.lexware.io"
#: Replaced on 2025-05-26, reachable until December 2025 (README §1).
OLD_BASE_URL = "https://api.lexoffice.io"
MAX_PAGE_SIZE = 250
DEFAULT_RETRY = RetryPolicy()

#: What a refused field of a voucher, file or contact means, by the issue's ``source``
#: (README §4.3, the rules of §5.1 and §5.3): the i18nKeys of voucher failures are not
#: documented ("map by HTTP status, not by key"), the fields they name are.
FIELD_CODES: tuple[tuple[str, str], ...] = (
    ("totalGrossAmount", "lexoffice.gross_total_mismatch"),
    ("totalTaxAmount", "lexoffice.tax_total_mismatch"),
    ("taxAmount", "lexoffice.item_tax_mismatch"),
    ("taxRatePercent", "lexoffice.rate_not_allowed"),
    ("categoryId", "lexoffice.category_not_usable"),
    ("contactId", "lexoffice.contact_not_usable"),
    ("voucherStatus", "lexoffice.status_not_writable"),
    ("voucherDate", "lexoffice.date_refused"),
    ("voucherNumber", "lexoffice.number_refused"),
    ("file", "lexoffice.file_refused"),
)
#: The documented keys that say more than their field (README §4.3, §5.3).
KEY_CODES: dict[str, str] = {
    "inacceptable_file_extension": "lexoffice.file_type_refused",
    "contact_is_neither_customer_nor_vendor": "lexoffice.contact_not_customer",
    "bad_request_error": "lexoffice.bad_request",
}
#: A refused field belegsync has no words of its own for.
FIELD_REFUSED = "lexoffice.field_refused"


def issue_reason(source: str | None, key: str) -> Reason:
    """One issue of lexoffice's IssueList as a reason the merchant can act on."""
    params = {"remote_field": source or "–", "key": key or "–"}
    if key in KEY_CODES or (source or "") in KEY_CODES:
        return Reason(KEY_CODES.get(key) or KEY_CODES[str(source)], params)
    for field_name, code in FIELD_CODES:
        if source and (source == field_name or source.endswith("." + field_name)):
            return Reason(code, params)
    return Reason(FIELD_REFUSED, params)


def issue_reasons(data: Any) -> list[Reason]:
    """Every issue of a legacy IssueList, as reasons; the same issue once."""
    if not isinstance(data, dict):
        return []
    found: dict[str, Reason] = {}
    for item in data.get("IssueList") or []:
        if isinstance(item, dict):
            source, key = item.get("source"), str(item.get("i18nKey") or item.get("type") or "")
            reason = issue_reason(str(source) if source else None, key)
            found.setdefault(reason.code, reason)
    return list(found.values())


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
            issues.append(RemoteIssue(str(source or ""), f"{source or 'voucher'}: {key}"))
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
        body = _body(response)
        issues = parse_issues(body)
        reasons = issue_reasons(body)
        said = self.error_message(response)
        if status in (400, 406):
            reasons = reasons or [Reason("lexoffice.refused", {"status": status})]
            return ValidationRejected(
                f"lexoffice rejected the voucher: {said}",
                raw=raw,
                status=status,
                issues=issues,
                code=reasons[0].code,
                params=dict(reasons[0].params),
                issue_reasons=reasons,
            )
        if status == 402:
            return PermissionDenied(
                "The lexoffice plan does not include bookkeeping through the API (402).",
                raw=raw,
                status=status,
                code="lexoffice.plan_lacks_bookkeeping",
            )
        if status == 409:
            return Conflict(
                "The voucher was changed in lexoffice meanwhile (version conflict).",
                raw=raw,
                status=status,
                issues=issues,
                code="lexoffice.version_conflict",
            )
        if status == 415:
            return PermanentError(
                "belegsync sent lexoffice a request in the wrong format (415): a bug.",
                raw=raw,
                status=status,
                reason=FailureReason.INTERNAL,
                code="lexoffice.wrong_format",
            )
        if status == 500 and any(r.code == "lexoffice.contact_not_customer" for r in reasons):
            # a 500 that is no outage: the contact's role (README §4.3), the same on retry
            return ValidationRejected(
                f"lexoffice refused the contact: {said}",
                raw=raw,
                status=status,
                issues=issues,
                code="lexoffice.contact_not_customer",
                params=dict(reasons[0].params),
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
