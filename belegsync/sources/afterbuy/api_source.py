"""The Afterbuy API source: cyclic fetch through the XML API, invoice PDFs by web login.

Registered as ``afterbuy_api``. It feeds the same documents as the CSV upload
(``afterbuy_csv``): the engine stores by (connection, kind, invoice number), and
:mod:`.api_mapping` builds the very voucher the CSV reader builds, so an invoice
uploaded by CSV and later read here is the same document, not a second one.

Fetching (STYLE "Singer taps"): orders modified since ``bookmark − OVERLAP`` up to
the run's start (``DateFilter`` on ``ModDate``), invoices (``Plattform=not_gutschrift``)
then credit notes (``gutschrift``), each paged by ``RangeID`` from ``LastOrderID + 1``
in ascending OrderID. Every page but the last carries the old cursor; the last
carries ``min(run start, newest ModDate seen)``. An order changed while paging
gets a ModDate after the run start, so the next window holds it: nothing is lost,
and what is read twice is stored once (same number, same data: unchanged).

An order without an invoice number has no document yet; it is not stored and
comes back when Afterbuy writes the invoice (which modifies it). An order whose
invoice was issued elsewhere (Amazon VCS), before the start date, or of a kind
not selected is kept as *skipped* with the reason.
"""

from __future__ import annotations

import datetime as dt
import logging
import xml.etree.ElementTree as ET
from collections.abc import Iterator
from typing import Any, ClassVar

from django.utils.translation import gettext_lazy as _

from belegsync.connectors.base import AdapterContext, Cursor, FetchResult, SourceDocument
from belegsync.connectors.ratelimit import Rate
from belegsync.connectors.reasons import Reason

from .api import (
    BERLIN,
    AfterbuyClient,
    ApiCredentials,
    date_filter,
    platform_filter,
    text,
)
from .api_mapping import UnreadableOrder, map_order, placeholder
from .csv_source import RechnungslisteUploads
from .pdf import AfterbuyWebClient
from .settings import AFTERBUY_PAYMENT_METHODS, AfterbuyApiSettings

log = logging.getLogger("belegsync.sources.afterbuy")

#: Re-read this much before the bookmark: Afterbuy's clock and ours may differ, and its
#: ModDate has whole seconds only.
OVERLAP = dt.timedelta(minutes=10)
#: Without a start date, the first fetch reads everything modified since then.
EARLIEST = dt.datetime(2000, 1, 1, tzinfo=BERLIN)
QUERIES = (("not_gutschrift", False), ("gutschrift", True))


def api_credentials(credentials: Any) -> ApiCredentials:
    return ApiCredentials(
        **{
            name: str(credentials.get(name) or "").strip()
            for name in ApiCredentials.__dataclass_fields__
        }
    )


class AfterbuyApiSource(RechnungslisteUploads):
    identifier: ClassVar[str] = "afterbuy_api"
    #: Afterbuy's common payment methods (its ``PaymentMethod`` texts), offered on the
    #: payment-account mapping even before a document showed them.
    payment_methods: ClassVar[tuple[str, ...]] = AFTERBUY_PAYMENT_METHODS
    verbose_name: ClassVar[str] = _("Afterbuy (XML API, with invoice PDFs)")
    #: No documented limit (README §4, unverified); it recommends ≥ 1 s between calls.
    rate: ClassVar[Rate] = Rate(per_second=1, burst=1)
    #: Its UI part (forms.py), named by path: the core imports no Django forms.
    credentials_form: ClassVar[str] = "forms.ApiCredentialsForm"
    settings_model: ClassVar[type[AfterbuyApiSettings]] = AfterbuyApiSettings
    settings_form: ClassVar[str] = "forms.ApiSettingsForm"
    policy_fields: ClassVar[tuple[str, ...]] = ("start_date",)
    policy_help: ClassVar[dict[str, Any]] = {
        "start_date": _("Invoices and credit notes dated from this day on are transferred."),
    }

    def __init__(self, context: AdapterContext, *, client: AfterbuyClient | None = None) -> None:
        self.context = context
        self.settings = context.settings_as(AfterbuyApiSettings)
        self._client = client
        self._web: AfterbuyWebClient | None = None

    # -- construction and credentials ---------------------------------------------------

    @staticmethod
    def make_client(context: AdapterContext) -> AfterbuyClient:
        credentials = api_credentials(context.credentials)
        credentials.elements()  # raises ConfigError with what is missing
        return AfterbuyClient(credentials, limiter=context.limiter)

    @classmethod
    def check_credentials(cls, context: AdapterContext) -> None:
        """Ask Afterbuy for one order (and log in when a web login is given); raise if refused."""
        source = cls(context)
        try:
            now = dt.datetime.now(BERLIN)
            source.client.sold_items(
                [date_filter("ModDate", now - dt.timedelta(days=1), now)], max_items=1
            )
            web = source.web()
            if web is not None:
                web.login()
        finally:
            source.close()

    @property
    def client(self) -> AfterbuyClient:
        """Made on first use: reading an uploaded Rechnungsliste needs no API access."""
        if self._client is None:
            self._client = self.make_client(self.context)
        return self._client

    def close(self) -> None:
        if self._client is not None:
            self._client.close()
        if self._web is not None:
            self._web.close()

    # -- settings ------------------------------------------------------------------------

    @property
    def start_date(self) -> dt.date | None:
        return self.context.policy.start_date

    @property
    def kinds(self) -> set[str]:
        return set(self.settings.afterbuy_documents)

    # -- fetching --------------------------------------------------------------------------

    def window_start(self, cursor: Cursor) -> dt.datetime:
        if not cursor.is_start:
            return dt.datetime.fromisoformat(cursor.value) - OVERLAP
        if self.start_date is not None:
            return dt.datetime.combine(self.start_date, dt.time(), tzinfo=BERLIN)
        return EARLIEST

    def fetch(self, cursor: Cursor, now: dt.datetime) -> Iterator[FetchResult]:
        since = self.window_start(cursor)
        newest: dt.datetime | None = None
        for index, (platform, credit) in enumerate(QUERIES):
            last_query = index == len(QUERIES) - 1
            filters = [date_filter("ModDate", since, now), platform_filter(platform)]
            for page in self.client.iter_sold_items(filters):
                documents = []
                for order in page.orders:
                    document, modified = self.document(order, credit)
                    if modified is not None:
                        newest = modified if newest is None else max(newest, modified)
                    if document is not None:
                        documents.append(document)
                done = last_query and not page.has_more
                bookmark = cursor
                if done and newest is not None:
                    bookmark = Cursor(min(now, newest).isoformat())
                yield FetchResult(documents, bookmark, more=not done)

    def document(
        self, order: ET.Element, credit: bool
    ) -> tuple[SourceDocument | None, dt.datetime | None]:
        """The document of one order (None without invoice yet) and its modification time."""
        order_id = text(order, "OrderID")
        if not text(order, "InvoiceNumber"):
            log.debug("afterbuy order %s has no invoice yet", order_id)
            return None, None
        try:
            mapped = map_order(order, credit)
        except UnreadableOrder as problem:
            voucher = placeholder(order, credit)
            meta = {"source": "afterbuy_api", "order_id": order_id}
            return SourceDocument(voucher, order_id, (problem.reason,), meta), None
        voucher = mapped.voucher
        reasons = list(mapped.skip_reasons)
        if self.start_date and voucher.invoice_date < self.start_date:
            reasons.append(
                Reason(
                    "skip.dated_before_start_date",
                    {"invoice_date": voucher.invoice_date, "start_date": self.start_date},
                )
            )
        if voucher.kind.value not in self.kinds:
            reasons.append(Reason("skip.kind_not_selected", {"kind": voucher.kind.value}))
        document = SourceDocument(
            voucher=voucher,
            source_id=mapped.order_id,
            skip_reasons=tuple(reasons),
            meta=mapped.meta,
        )
        return document, mapped.modified

    # -- after fetching ------------------------------------------------------------------

    def mark_transferred(self, document: SourceDocument) -> None:
        """Tag the order in Afterbuy (``UpdateSoldItems``) when a tag is set; else nothing.

        Afterbuy has ways to mark an order (``OrderExported``, ``XmlDate``, tags,
        README §6); which one a merchant's other exports already use is theirs to
        choose, so belegsync writes nothing unless a tag is configured. Adding a
        tag the order has is a no-op in the fake (real behaviour unverified).
        """
        tag = self.settings.afterbuy_export_tag.strip()
        order_id = str(document.meta.get("order_id") or document.source_id)
        if not tag or not order_id.isdigit():
            return
        order = ET.Element("Order")
        ET.SubElement(order, "OrderID").text = order_id
        tags = ET.SubElement(order, "Tags")
        ET.SubElement(tags, "Tag").text = tag
        self.client.update_sold_items([order])
