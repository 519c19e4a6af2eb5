"""sevDesk API v1 client: the one way belegsync talks to sevDesk.

Quirks handled here (reference ``sevdesk/README.md`` §1):

- the token goes into ``Authorization`` as is, without ``Bearer``;
- every answer is wrapped in ``{"objects": …}``; :meth:`objects` unwraps it;
- some failures arrive with HTTP 200 and an ``error`` object; every body is
  inspected and ``error.responseCode`` is taken as the real status (§1.1);
- not-found by id is 404 with code 151 (measured), the spec says 400.
"""

from __future__ import annotations

import json
from typing import Any, ClassVar

import httpx

from belegsync.connectors.errors import (
    ConnectorError,
    NetworkError,
    PermanentError,
    RateLimited,
    RetryableError,
)
from belegsync.connectors.http import RAW_LIMIT, ApiClient, excerpt, parse_json

DEFAULT_BASE_URL = "https://my.sevdesk.de/api/v1"
USER_AGENT = "belegsync (sevDesk connector)"

#: sevDesk's error codes that mean something to the connector [RS src/error.rs].
CODE_NOT_FOUND = 151
CODE_ALREADY_PAID = 751
CODE_NOT_DRAFT = 90400


#: What sevDesk's own error codes mean for the merchant (README §1.1); 751 "already
#: paid" is no failure for belegsync (the payment step treats it as done).
ERROR_CODES = {
    CODE_NOT_FOUND: "sevdesk.not_found",
    159: "sevdesk.not_deletable",
    CODE_NOT_DRAFT: "sevdesk.not_a_draft",
}
#: Statuses whose words are sevDesk's: validation (422), malformed (400), conflict (409).
STATUS_CODES = {422: "sevdesk.refused", 400: "sevdesk.bad_request", 409: "sevdesk.conflict"}


#: PUTs that are not idempotent in sevDesk: repeating a booking books twice.
UNSAFE_PUTS = ("/bookAmount", "/resetToDraft", "/resetToOpen")


class SevdeskClient(ApiClient):
    system: ClassVar[str] = "sevDesk"
    remote: ClassVar[str] = "sevdesk"
    addresses: ClassVar[tuple[str, ...]] = (f"{DEFAULT_BASE_URL}/",)
    _unsafe = False

    def __init__(self, api_token: str, **kwargs: Any) -> None:
        self._token = api_token
        super().__init__(**kwargs)

    def auth_headers(self) -> dict[str, str]:
        return {
            "Authorization": self._token,
            "Accept": "application/json",
            "User-Agent": USER_AGENT,
        }

    # -- errors ------------------------------------------------------------------

    @staticmethod
    def error_object(response: httpx.Response) -> dict[str, Any] | None:
        try:
            body = parse_json(response.content)
        except ValueError:
            return None
        if isinstance(body, dict) and isinstance(body.get("error"), dict):
            return dict(body["error"])
        return None

    def error_message(self, response: httpx.Response) -> str:
        error = self.error_object(response)
        if error is None:
            return super().error_message(response)
        return excerpt(error.get("message") or "no message")

    def error_for(self, response: httpx.Response) -> ConnectorError:
        error = super().error_for(response)
        found = self.error_object(response) or {}
        said = str(found.get("message") or "")[:300] or f"HTTP {response.status_code}"
        code = found.get("code")
        if isinstance(code, int) and code in ERROR_CODES:
            return error.recode(ERROR_CODES[code], remote_message=said)
        if response.status_code in STATUS_CODES:
            return error.recode(STATUS_CODES[response.status_code], remote_message=said)
        return error

    def _send_once(self, method: str, path: str, **kwargs: Any) -> httpx.Response:
        response = super()._send_once(method, path, **kwargs)
        found = self.error_object(response)
        if found is not None:
            # An error inside a 2xx: treat it as the status sevDesk meant.
            status = found.get("responseCode")
            meant = status if isinstance(status, int) and status >= 400 else 400
            raise self.error_for(
                httpx.Response(meant, content=response.content, headers=response.headers)
            )
        return response

    # -- sending -----------------------------------------------------------------

    def request(self, method: str, path: str, **kwargs: Any) -> httpx.Response:
        self._unsafe = method.upper() == "PUT" and path.endswith(UNSAFE_PUTS)
        return super().request(method, path, **kwargs)

    def _may_repeat(self, method: str, error: RetryableError) -> bool:
        if self._unsafe:
            # Only when the call surely was not carried out (429, connection never opened).
            return isinstance(error, RateLimited) or (
                isinstance(error, NetworkError) and error.never_sent
            )
        return super()._may_repeat(method, error)

    def objects(self, method: str, path: str, **kwargs: Any) -> Any:
        """Send and return the unwrapped ``objects`` of the answer."""
        body = self.json(method, path.lstrip("/"), **kwargs)
        if not isinstance(body, dict) or "objects" not in body:
            raise PermanentError(
                "sevDesk sent an answer without 'objects'.",
                raw=json.dumps(body)[:RAW_LIMIT],
                code="remote.bad_answer",
                params={"system": self.system},
            )
        return body["objects"]

    def get(self, path: str, params: dict[str, str] | None = None) -> Any:
        return self.objects("GET", path, params=params)

    def post(self, path: str, body: dict[str, Any]) -> Any:
        return self.objects("POST", path, json=body)

    def put(self, path: str, body: dict[str, Any] | None = None) -> Any:
        if body is None:
            return self.objects("PUT", path)
        return self.objects("PUT", path, json=body)

    # -- the calls belegsync makes -------------------------------------------------

    def bookkeeping_version(self) -> str:
        return str(self.get("Tools/bookkeepingSystemVersion")["version"])

    def revenue_guidance(self) -> list[dict[str, Any]]:
        return list(self.get("ReceiptGuidance/forRevenue"))

    def check_accounts(self) -> list[dict[str, Any]]:
        return list(self.get("CheckAccount", {"limit": "1000"}))

    def vouchers_by_description(self, description: str) -> list[dict[str, Any]]:
        """Vouchers whose description contains ``description`` (a substring filter)."""
        return list(
            self.get(
                "Voucher",
                {"descriptionLike": description, "creditDebit": "D", "limit": "1000"},
            )
        )

    def voucher(self, voucher_id: str) -> dict[str, Any]:
        return dict(self.get(f"Voucher/{voucher_id}")[0])

    def voucher_positions(self, voucher_id: str) -> list[dict[str, Any]]:
        return list(
            self.get(
                "VoucherPos",
                {"voucher[id]": voucher_id, "voucher[objectName]": "Voucher", "limit": "1000"},
            )
        )

    def save_voucher(self, body: dict[str, Any]) -> dict[str, Any]:
        return dict(self.post("Voucher/Factory/saveVoucher", body))

    def upload_temp_file(self, content: bytes, filename: str) -> str:
        result = self.objects(
            "POST",
            "Voucher/Factory/uploadTempFile",
            files={"file": (filename, content, "application/pdf")},
        )
        return str(result["filename"])

    def reset_to_draft(self, voucher_id: str) -> dict[str, Any]:
        return dict(self.put(f"Voucher/{voucher_id}/resetToDraft"))

    def book_amount(self, voucher_id: str, body: dict[str, Any]) -> dict[str, Any]:
        return dict(self.put(f"Voucher/{voucher_id}/bookAmount", body))

    def contacts_by_customer_number(self, number: str) -> list[dict[str, Any]]:
        return list(self.get("Contact", {"depth": "1", "customerNumber": number}))

    def email_ways(self) -> list[dict[str, Any]]:
        """All e-mail addresses of contacts (the API cannot filter by value)."""
        found: list[dict[str, Any]] = []
        while True:
            page = list(
                self.get(
                    "CommunicationWay",
                    {"type": "EMAIL", "limit": "1000", "offset": str(len(found))},
                )
            )
            found += page
            if len(page) < 1000:
                return found

    def next_customer_number(self) -> str:
        return str(self.get("Contact/Factory/getNextCustomerNumber"))

    def create_contact(self, body: dict[str, Any]) -> dict[str, Any]:
        return dict(self.post("Contact", body))

    def create_address(self, body: dict[str, Any]) -> dict[str, Any]:
        return dict(self.post("ContactAddress", body))

    def create_communication_way(self, body: dict[str, Any]) -> dict[str, Any]:
        return dict(self.post("CommunicationWay", body))


def sevdesk_code(error: ConnectorError) -> int | None:
    """sevDesk's ``error.code`` of a failed call (151 not found, 751 already paid …)."""
    try:
        body = parse_json(error.raw)
    except ValueError:
        return None
    found = body.get("error") if isinstance(body, dict) else None
    code = found.get("code") if isinstance(found, dict) else None
    return code if isinstance(code, int) else None
