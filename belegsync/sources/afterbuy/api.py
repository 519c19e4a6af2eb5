"""Afterbuy XML API client: the only way belegsync talks to ``ABInterface.aspx``.

Reference: reference/afterbuy/README.md §1–§5. One URL for every call, the call
named in ``AfterbuyGlobal/CallName``; always sent as POST (GET with a body is
what some clients do, and proxies may strip it). Afterbuy answers HTTP 200 also
for errors, so the envelope's ``CallStatus`` decides; this client turns an
``Error`` into the typed families of :mod:`belegsync.connectors.errors`.

Remote XML is parsed only with ``defusedxml`` (no DTDs, no entity expansion, no
external references): an order's free text is written by buyers.

Error codes the reference does not document are marked *invented*: the fake
uses the same ones, so both must be checked against a real account.
"""

from __future__ import annotations

import datetime as dt
import logging
import xml.etree.ElementTree as ET
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any, ClassVar
from xml.etree.ElementTree import Element
from zoneinfo import ZoneInfo

import defusedxml.ElementTree as SafeXML
import httpx
from defusedxml import DefusedXmlException

from belegsync.connectors.errors import (
    AuthError,
    ConfigError,
    PermanentError,
    RateLimited,
    RetryableError,
    ValidationRejected,
)
from belegsync.connectors.http import RAW_LIMIT, ApiClient, BodyKind

log = logging.getLogger("belegsync.sources.afterbuy")

API_BASE_URL = "https://api.afterbuy.de/"
#: The XML interface is one file under the base (reference README §2).
API_PATH = "/afterbuy/ABInterface.aspx"
BERLIN = ZoneInfo("Europe/Berlin")
MAX_SOLD_ITEMS = 250
#: All blocks of an order (the SDK allows up to 32 for GetSoldItems; bits unverified).
DETAIL_LEVEL = 0

#: Error codes of the XML API a client reacts to (README §3; *invented* where marked).
PARSE_ERROR = 2
NO_FILTER = 30
AUTH_CODES = frozenset({4})  # invented: the real code for wrong credentials is unverified
TOO_FAST = 98  # invented
CALL_LIMIT = 99  # invented


@dataclass(frozen=True)
class ApiCredentials:
    """The current token pair, or the legacy partner + user quadruple (README §2)."""

    partner_token: str = ""
    account_token: str = ""
    partner_id: str = ""
    partner_password: str = ""
    user_id: str = ""
    user_password: str = ""

    @property
    def uses_tokens(self) -> bool:
        return bool(self.partner_token and self.account_token)

    @property
    def uses_legacy(self) -> bool:
        return all((self.partner_id, self.partner_password, self.user_id, self.user_password))

    @property
    def account(self) -> str:
        """Who the limiter counts calls for (not a secret: the token's tail, the user id)."""
        return f"token:{self.account_token[-6:]}" if self.uses_tokens else f"user:{self.user_id}"

    def elements(self) -> list[tuple[str, str]]:
        if self.uses_tokens:
            return [("PartnerToken", self.partner_token), ("AccountToken", self.account_token)]
        if self.uses_legacy:
            return [
                ("PartnerID", self.partner_id),
                ("PartnerPassword", self.partner_password),
                ("UserID", self.user_id),
                ("UserPassword", self.user_password),
            ]
        raise ConfigError(
            "The Afterbuy API credentials are incomplete: enter the PartnerToken and the "
            "AccountToken (or, for older accounts, PartnerID, partner password, UserID and "
            "user password) in the connection settings.",
            code="afterbuy.credentials_incomplete",
        )


@dataclass(frozen=True)
class Filter:
    """One ``DataFilter/Filter``: its name and ``FilterValues`` children in order."""

    name: str
    values: tuple[tuple[str, str], ...]


def date_filter(field_name: str, since: dt.datetime | None, until: dt.datetime | None) -> Filter:
    values: list[tuple[str, str]] = []
    if since is not None:
        values.append(("DateFrom", afterbuy_moment(since)))
    if until is not None:
        values.append(("DateTo", afterbuy_moment(until)))
    values.append(("FilterValue", field_name))
    return Filter("DateFilter", tuple(values))


def platform_filter(value: str) -> Filter:
    return Filter("Plattform", (("FilterValue", value),))


RANGE_END = 999_999_999


def range_filter(low: int, high: int = RANGE_END) -> Filter:
    return Filter("RangeID", (("ValueFrom", str(low)), ("ValueTo", str(high))))


def afterbuy_moment(moment: dt.datetime) -> str:
    """``dd.MM.yyyy HH:mm:ss`` in German local time (README §5.1; time zone unverified)."""
    return moment.astimezone(BERLIN).strftime("%d.%m.%Y %H:%M:%S")


def parse_xml(content: bytes) -> Element:
    """Parse remote XML safely; raises ``ValueError`` for anything that is not plain XML."""
    try:
        root: Element = SafeXML.fromstring(content, forbid_dtd=True)
    except (SafeXML.ParseError, DefusedXmlException) as exc:
        raise ValueError(str(exc)) from exc
    return root


def child(node: Element | None, name: str) -> Element | None:
    """A direct child by name, case-insensitively (the fixtures spell some names both ways)."""
    if node is None:
        return None
    found = node.find(name)
    if found is not None:
        return found
    wanted = name.lower()
    return next((c for c in node if c.tag.lower() == wanted), None)


def text(node: Element | None, name: str) -> str:
    found = child(node, name)
    return (found.text or "").strip() if found is not None else ""


@dataclass(frozen=True)
class RemoteError:
    code: int
    description: str
    long_description: str

    def __str__(self) -> str:
        return f"{self.description} (code {self.code})"


@dataclass(frozen=True)
class SoldItemsPage:
    orders: list[Element]
    has_more: bool
    last_order_id: int | None
    warnings: list[RemoteError] = field(default_factory=list)


def errors_of(root: Element, kind: str = "Error") -> list[RemoteError]:
    result = child(root, "Result")
    found = []
    for node in result.iterfind(f"{kind}List/{kind}") if result is not None else []:
        try:
            code = int(text(node, f"{kind}Code") or 0)
        except ValueError:
            code = 0
        found.append(
            RemoteError(
                code, text(node, f"{kind}Description"), text(node, f"{kind}LongDescription")
            )
        )
    return found


class AfterbuyClient(ApiClient):
    system: ClassVar[str] = "Afterbuy"
    remote: ClassVar[str] = "afterbuy"
    addresses: ClassVar[tuple[str, ...]] = (API_BASE_URL,)
    kind: ClassVar[BodyKind] = BodyKind.XML
    path = API_PATH

    def __init__(self, credentials: ApiCredentials, *, language: str = "DE", **kwargs: Any) -> None:
        self.credentials = credentials
        self.language = language
        self._last_root: Element | None = None
        kwargs.setdefault("limiter_key", f"afterbuy:{credentials.account}")
        super().__init__(**kwargs)

    def auth_headers(self) -> dict[str, str]:
        return {"Content-Type": "application/xml; charset=utf-8", "Accept": "text/xml"}

    # -- envelope ----------------------------------------------------------------------

    def request_body(self, call: str, children: Sequence[Element] = ()) -> bytes:
        root = ET.Element("Request")
        glob = ET.SubElement(root, "AfterbuyGlobal")
        for name, value in [
            *self.credentials.elements(),
            ("CallName", call),
            ("DetailLevel", str(DETAIL_LEVEL)),
            ("ErrorLanguage", self.language),
        ]:
            ET.SubElement(glob, name).text = value
        root.extend(children)
        body: bytes = ET.tostring(root, encoding="utf-8", xml_declaration=True)
        return body

    def _send_once(self, method: str, path: str, **kwargs: Any) -> httpx.Response:
        """Send and read the envelope here, so the base retries a 'too many calls' answer."""
        response = super()._send_once(method, path, **kwargs)
        try:
            root = parse_xml(response.content)
        except ValueError as exc:
            raise self.bad_answer(response, f"not XML: {exc}") from exc
        if text(root, "CallStatus") == "Error":
            raise self.call_error(root, response)
        self._last_root = root
        return response

    def call_error(self, root: Element, response: httpx.Response) -> Exception:
        errors = errors_of(root) or [RemoteError(0, "unknown error", "")]
        said = "; ".join(str(e) for e in errors)
        raw = response.text[:RAW_LIMIT]
        codes = {e.code for e in errors}
        if codes & AUTH_CODES:
            return AuthError(
                f"Afterbuy did not accept the API credentials ({said}). Check the PartnerToken "
                "and AccountToken (or the legacy partner and user ids) in the connection "
                "settings.",
                raw=raw,
                status=response.status_code,
                code="afterbuy.credentials_refused",
                params={"remote_message": said},
            )
        if TOO_FAST in codes:
            return RateLimited(f"Afterbuy: too many calls ({said}).", raw=raw, retry_after=1.0)
        if CALL_LIMIT in codes:
            return RetryableError(
                f"Afterbuy's call limit for this account is used up ({said}); belegsync tries "
                "again later.",
                raw=raw,
                retry_after=3600.0,
                code="afterbuy.call_limit",
            )
        return ValidationRejected(
            f"Afterbuy refused the request: {said}.", raw=raw, status=response.status_code
        )

    def call(self, call: str, children: Sequence[Element] = ()) -> Element:
        """Send one call; return the ``Result`` element of a Success/Warning answer."""
        self._last_root = None
        self.request("POST", self.path, content=self.request_body(call, children))
        root = self._last_root
        assert root is not None  # set by _send_once for every answer it lets through
        for warning in errors_of(root, "Warning"):
            log.warning("afterbuy %s warning: %s", call, warning)
        result = child(root, "Result")
        return result if result is not None else ET.Element("Result")

    # -- GetSoldItems ------------------------------------------------------------------

    def sold_items(
        self, filters: Sequence[Filter], *, max_items: int = MAX_SOLD_ITEMS
    ) -> SoldItemsPage:
        children = []
        for name, value in (
            ("RequestAllItems", "0"),
            ("MaxSoldItems", str(max(1, min(MAX_SOLD_ITEMS, max_items)))),
            ("OrderDirection", "0"),
            ("ReturnHiddenItems", "0"),
        ):
            element = ET.Element(name)
            element.text = value
            children.append(element)
        data = ET.Element("DataFilter")
        for item in filters:
            node = ET.SubElement(data, "Filter")
            ET.SubElement(node, "FilterName").text = item.name
            values = ET.SubElement(node, "FilterValues")
            for name, value in item.values:
                ET.SubElement(values, name).text = value
        children.append(data)
        result = self.call("GetSoldItems", children)
        orders_node = child(result, "Orders")
        orders = list(orders_node.iterfind("Order")) if orders_node is not None else []
        last = text(result, "LastOrderID")
        return SoldItemsPage(
            orders=orders,
            has_more=text(result, "HasMoreItems") == "1",
            last_order_id=int(last) if last.isdigit() else None,
        )

    def iter_sold_items(
        self, filters: Sequence[Filter], *, max_items: int = MAX_SOLD_ITEMS, start_id: int = 0
    ) -> Iterator[SoldItemsPage]:
        """All pages: continue with ``RangeID`` past the page's last order (README §5.2).

        Which ``OrderDirection`` sorts ascending is unverified, so the page says it: with
        ascending ids the next range starts after ``LastOrderID``, with descending ones
        it ends before it. Either way no order is skipped or read twice.
        """
        low, high = start_id, RANGE_END
        while True:
            page = self.sold_items([*filters, range_filter(low, high)], max_items=max_items)
            yield page
            if not page.has_more:
                return
            last = page.last_order_id
            if last is None or not low <= last <= high:
                raise PermanentError(
                    "Afterbuy said more orders follow but named no last OrderID to continue "
                    "from; the fetch stops here and is repeated next time.",
                )
            ids = [int(t) for o in page.orders if (t := text(o, "OrderID")).isdigit()]
            if len(ids) > 1 and ids[0] > ids[-1]:
                high = last - 1  # newest first
            else:
                low = last + 1

    def update_sold_items(self, orders: Sequence[Element]) -> None:
        """``UpdateSoldItems`` with at most 150 orders (README §6: more is error 75)."""
        if len(orders) > 150:
            raise ValueError("Afterbuy takes at most 150 orders per UpdateSoldItems")
        node = ET.Element("Orders")
        node.extend(orders)
        self.call("UpdateSoldItems", [node])
