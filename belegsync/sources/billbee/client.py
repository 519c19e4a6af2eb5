"""Billbee REST API v1 client: the only way belegsync talks to Billbee.

Auth is two things on every request (reference README §2): HTTP Basic with the
Billbee user and its *API password*, and the developer's ``X-Billbee-Api-Key``.
Numbers are parsed as ``Decimal`` straight from the JSON text, so a double such
as ``9.563865546218487`` never passes through a float.
"""

from __future__ import annotations

import base64
import binascii
import datetime as dt
from collections.abc import Iterator
from dataclasses import dataclass
from decimal import Decimal
from typing import Any, ClassVar
from urllib.parse import quote

import httpx

from belegsync.connectors.errors import (
    ConnectorError,
    NotFound,
    PermanentError,
    ValidationRejected,
)
from belegsync.connectors.http import (
    BODY_LIMITS,
    MB,
    RAW_LIMIT,
    ApiClient,
    BodyKind,
    excerpt,
    parse_json,
)

DEFAULT_BASE_URL = "https://api.billbee.io/api/v1/"
MAX_PAGE_SIZE = 250
#: CreateInvoice carries the PDF base64-encoded in its JSON: a third larger than the PDF.
INVOICE_ANSWER_LIMIT = BODY_LIMITS[BodyKind.PDF] * 4 // 3 + MB

#: Billbee's ErrorCode values a merchant may meet (reference README §4).
ERROR_CODES = {
    1: "the API is not activated in the Billbee account",
    2: "order not found",
    3: "invoice not created",
    4: "Billbee cannot create an invoice for this order",
    5: "the order is cancelled",
    6: "the order is deleted",
    7: "the order is not paid",
    8: "internal error at Billbee",
    11: "invalid data",
    16: "no paid Billbee account",
    17: "the API service is not booked",
}


@dataclass(frozen=True)
class Page:
    rows: list[dict[str, Any]]
    page: int
    total_pages: int
    total_rows: int


@dataclass(frozen=True)
class Shop:
    id: int
    name: str


def moment(value: dt.datetime) -> str:
    """A date-time as Billbee reads it: ISO-8601 with offset."""
    return value.isoformat(timespec="seconds")


class BillbeeClient(ApiClient):
    system: ClassVar[str] = "Billbee"
    remote: ClassVar[str] = "billbee"
    #: The last answer ``call`` read, for the raw text of a BadAnswer.
    _last: httpx.Response | None = None
    addresses: ClassVar[tuple[str, ...]] = (DEFAULT_BASE_URL,)

    def __init__(self, *, api_key: str, user: str, password: str, **kwargs: Any) -> None:
        self._api_key, self._user, self._password = api_key, user, password
        kwargs.setdefault("limiter_key", f"billbee:{user}")
        super().__init__(**kwargs)

    def auth_headers(self) -> dict[str, str]:
        return {"X-Billbee-Api-Key": self._api_key, "Accept": "application/json"}

    def auth(self) -> httpx.Auth | None:
        return httpx.BasicAuth(self._user, self._password)

    def error_message(self, response: httpx.Response) -> str:
        try:
            body = self._decode(response)
        except ValueError:
            return ""
        if isinstance(body, dict):
            said = excerpt(body.get("ErrorMessage") or body.get("Message") or "")
            code = body.get("ErrorCode")
            known = ERROR_CODES.get(code) if isinstance(code, int) else None
            return " – ".join(p for p in (said, known) if p)
        return ""

    def error_for(self, response: httpx.Response) -> ConnectorError:
        error = super().error_for(response)
        if response.status_code == 401:
            error.message = (
                "Billbee did not accept the credentials. Check the API key, the Billbee "
                "user (login e-mail) and the API password (Billbee: Settings → API), and "
                "that the API is activated in the Billbee account."
            )
        return error

    @staticmethod
    def _decode(response: httpx.Response) -> Any:
        # bytes, so that text that is not UTF-8 is refused rather than patched (RFC 8259)
        return parse_json(response.content, parse_float=Decimal)

    def call(self, method: str, path: str, **kwargs: Any) -> dict[str, Any]:
        """Send; return the envelope (an object); raise typed on a business error."""
        response = self.request(method, path, **kwargs)
        if not response.is_success:  # a redirect: Billbee's API sends none
            raise self.bad_answer(response, f"status {response.status_code}")
        try:
            body = self._decode(response) if response.content else {}
        except ValueError as exc:
            raise self.bad_answer(response, f"not JSON: {exc}") from exc
        if not isinstance(body, dict):
            raise self.bad_answer(response, f"a JSON {type(body).__name__}, not an object")
        self._last = response
        if body.get("ErrorCode") not in (None, 0):
            said = self.error_message(response)
            params = {"system": self.system, "remote_message": said}
            if body["ErrorCode"] == 2:
                error: ConnectorError = NotFound(
                    f"Billbee: {said}", code="remote.not_found", params=params
                )
            else:
                error = ValidationRejected(
                    f"Billbee: {said}", code="remote.rejected", params=params
                )
            error.raw, error.status = response.text[:RAW_LIMIT], response.status_code
            raise error
        return body

    # -- endpoints -------------------------------------------------------------

    def orders_page(
        self,
        *,
        page: int = 1,
        page_size: int = MAX_PAGE_SIZE,
        modified_min: dt.datetime | None = None,
        modified_max: dt.datetime | None = None,
        shop_ids: list[int] | None = None,
        state_ids: list[int] | None = None,
    ) -> Page:
        params: list[tuple[str, str | int]] = [("page", page), ("pageSize", page_size)]
        if modified_min is not None:
            params.append(("modifiedAtMin", moment(modified_min)))
        if modified_max is not None:
            params.append(("modifiedAtMax", moment(modified_max)))
        params += [("shopId", s) for s in shop_ids or []]
        params += [("orderStateId", s) for s in state_ids or []]
        body = self.call("GET", "orders", params=params)
        paging = body.get("Paging") or {}
        rows = self._rows(body)
        try:
            return Page(
                rows=rows,
                page=int(paging.get("Page") or page),
                total_pages=int(paging.get("TotalPages") or 0),
                total_rows=int(paging.get("TotalRows") or 0),
            )
        except (AttributeError, TypeError, ValueError) as exc:
            raise self.bad_answer(self._last, "the paging is not numbers") from exc

    def _rows(self, body: dict[str, Any]) -> list[dict[str, Any]]:
        """The envelope's ``Data`` as a list of objects (reference README §3)."""
        data = body.get("Data") or []
        if not isinstance(data, list) or not all(isinstance(row, dict) for row in data):
            raise self.bad_answer(self._last, "'Data' is not a list of objects")
        return data

    def order(self, order_id: int) -> dict[str, Any]:
        data = self.call("GET", f"orders/{order_id}").get("Data")
        if not isinstance(data, dict):
            raise NotFound(f"Billbee has no order {order_id}.")
        return data

    def add_tags(self, order_id: int, tags: list[str]) -> None:
        """Add tags (Billbee ignores ones the order has, case-insensitively)."""
        self.call("POST", f"orders/{order_id}/tags", json={"Tags": tags})

    def invoice_pdf(self, order_id: int) -> tuple[str, bytes | None]:
        """The invoice number and PDF of an order (creates the invoice if none exists).

        Billbee allows one call per order in five minutes: callers keep the result.
        """
        data = self.call(
            "POST",
            f"orders/CreateInvoice/{order_id}",
            params={"includeInvoicePdf": "true"},
            limit=INVOICE_ANSWER_LIMIT,
        ).get("Data")
        if not isinstance(data, dict):
            return "", None
        pdf = data.get("PDFData")
        if not pdf:
            return str(data.get("InvoiceNumber") or ""), None
        try:
            return str(data.get("InvoiceNumber") or ""), base64.b64decode(pdf, validate=True)
        except (binascii.Error, ValueError) as exc:
            raise PermanentError(
                f"Billbee sent an unreadable PDF for order {order_id}.", raw=str(pdf)[:200]
            ) from exc

    def shops(self) -> list[Shop]:
        shops: list[Shop] = []
        page = 1
        while True:
            body = self.call("GET", "shopaccounts", params={"page": page, "pageSize": 250})
            try:
                for row in self._rows(body):
                    shops.append(Shop(id=int(row["Id"]), name=str(row.get("Name") or row["Id"])))
                total = int((body.get("Paging") or {}).get("TotalPages") or 0)
            except (AttributeError, KeyError, TypeError, ValueError) as exc:
                raise self.bad_answer(self._last, "a shop without a numeric 'Id'") from exc
            if page >= total:
                return shops
            page += 1

    # -- webhooks (reference README §5.6, the swagger's WebHookApiModel; push.py) --------

    def webhook_filters(self) -> list[str]:
        """The event names Billbee offers to register for (an object in the swagger: its
        keys; a list of names is read too)."""
        response = self.request("GET", "webhooks/filters")
        try:
            body = self._decode(response) if response.content else {}
        except ValueError as exc:
            raise self.bad_answer(response, f"not JSON: {exc}") from exc
        if isinstance(body, dict):
            return [str(name) for name in body]
        if isinstance(body, list) and all(isinstance(name, str) for name in body):
            return list(body)
        raise self.bad_answer(response, "the webhook filters are not a list of names")

    def add_webhook(self, *, uri: str, secret: str, filters: list[str], description: str) -> str:
        """Register a webhook; Billbee calls ``uri`` once (the echo) before it answers.
        Returns the registration's id."""
        body = self.call(
            "POST",
            "webhooks",
            json={
                "WebHookUri": uri,
                "Secret": secret,
                "Filters": filters,
                "Description": description,
                "IsPaused": False,
            },
        )
        hook_id = body.get("Id")
        if not isinstance(hook_id, str) or not hook_id:
            raise self.bad_answer(self._last, "the registered webhook has no 'Id'")
        return hook_id

    def webhook(self, hook_id: str) -> dict[str, Any] | None:
        """The registration of this id, or None when Billbee has none."""
        try:
            return self.call("GET", f"webhooks/{quote(hook_id, safe='')}")
        except NotFound:
            return None

    def delete_webhook(self, hook_id: str) -> None:
        """Remove the registration; one Billbee does not know (404, or ErrorCode 2) is gone
        already. The swagger's answer is 200 with an object; ASP.NET's ``Ok()`` has no body
        (unverified which): both are read as removed."""
        try:
            self.call("DELETE", f"webhooks/{quote(hook_id, safe='')}")
        except NotFound:
            return

    def iter_orders(self, **filters: Any) -> Iterator[Page]:
        """All pages of a filtered order list, until ``Page >= TotalPages``."""
        page = 1
        while True:
            result = self.orders_page(page=page, **filters)
            yield result
            if page >= result.total_pages or not result.rows:
                return
            page += 1
