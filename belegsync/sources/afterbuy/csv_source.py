"""The Afterbuy CSV source: documents arrive as an uploaded Rechnungsliste.

Registered as ``afterbuy_csv``. It is a :class:`~belegsync.connectors.base.FileSource`:
the engine reads each upload through :meth:`read_file` (the import job) and
stores the invoices like fetched ones; :meth:`fetch` yields nothing, since
there is nothing to poll.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from pathlib import Path
from typing import ClassVar

from django.utils.translation import gettext_lazy as _

from belegsync.connectors.base import (
    AdapterContext,
    Cursor,
    FetchResult,
    FileReading,
    Progress,
    RejectedRow,
    SourceDocument,
)

from .csv import RechnungslisteReader
from .pdf import AfterbuyWebClient
from .settings import AFTERBUY_PAYMENT_METHODS, RechnungslisteSettings


class RechnungslisteUploads:
    """What both Afterbuy sources share: uploaded Rechnungslisten, and the invoice PDFs
    downloaded with the merchant's Afterbuy login (the API has none; README §9) — the
    same client, the same failure reasons and the same double for both."""

    file_label: ClassVar[str] = _("Afterbuy Rechnungsliste (CSV file)")
    #: The name ``belegsync import`` knows these files by.
    file_format: ClassVar[str] = "afterbuy-csv"
    #: The upload page's guide: how to get the file out of Afterbuy.
    upload_guide: ClassVar[str] = "afterbuy/_upload_guide.html"
    #: Where the merchant assigns the file's columns when some are not recognised.
    mapping_url_name: ClassVar[str] = "afterbuy:import_mapping"
    context: AdapterContext
    _web: AfterbuyWebClient | None = None

    def web(self) -> AfterbuyWebClient | None:
        """The logged-in web session, made once and reused for every PDF of this run."""
        user = str(self.context.credentials.get("web_user") or "")
        if not user:
            return None
        if self._web is None:
            self._web = AfterbuyWebClient(
                user=user,
                password=str(self.context.credentials.get("web_password") or ""),
                limiter=self.context.limiter,
            )
        return self._web

    def pdf(self, document: SourceDocument) -> bytes | None:
        """The invoice PDF through the merchant's Afterbuy login; None without a login."""
        web = self.web()
        if web is None:
            return None
        voucher = document.voucher
        order_id = str(
            document.meta.get("order_id")
            or voucher.source_refs.get("afterbuy_order_id")
            or document.source_id
        )
        return web.invoice_pdf(order_id, voucher.number)

    def read_file(self, path: Path, progress: Progress | None = None) -> FileReading:
        mapping = self.context.settings_as(RechnungslisteSettings).csv_mapping
        reader = RechnungslisteReader(path, mapping or None)
        details = {
            "encoding": reader.layout.encoding_label,
            # the character: shown by its name in the reader's language (reasons.words)
            "delimiter": reader.layout.delimiter,
        }
        return FileReading(
            details=details, rows=_rows(reader, progress), check=lambda: reader.check(progress)
        )


def _rows(
    reader: RechnungslisteReader, progress: Progress | None
) -> Iterator[SourceDocument | RejectedRow]:
    for invoice in reader.invoices(progress):
        if invoice.document is not None:
            yield invoice.document
        else:
            yield RejectedRow(
                line=invoice.line,
                number=invoice.number,
                problems=tuple(p.as_dict() for p in invoice.problems),
            )


class AfterbuyCsvSource(RechnungslisteUploads):
    identifier: ClassVar[str] = "afterbuy_csv"
    payment_methods: ClassVar[tuple[str, ...]] = AFTERBUY_PAYMENT_METHODS
    verbose_name: ClassVar[str] = _("Afterbuy (CSV upload of the invoice list)")
    #: Optional: with the Afterbuy login, each uploaded invoice gets its PDF.
    #: Its UI part (forms.py), named by path: the core imports no Django forms.
    credentials_form: ClassVar[str] = "forms.CsvCredentialsForm"
    settings_model: ClassVar[type[RechnungslisteSettings]] = RechnungslisteSettings
    #: Its documents come by upload: nothing to fetch (``registry.fetching_kinds``).
    fetches: ClassVar[bool] = False

    def __init__(self, context: AdapterContext) -> None:
        self.context = context
        self._web = None

    @classmethod
    def check_credentials(cls, context: AdapterContext) -> None:
        """Log in when a login is given (raise AuthError when Afterbuy refuses it)."""
        source = cls(context)
        web = source.web()
        if web is None:
            return
        try:
            web.login()
        finally:
            web.close()

    def fetch(self, cursor: Cursor, now: dt.datetime) -> Iterator[FetchResult]:
        """Nothing to fetch: the documents of this source come by upload."""
        return iter(())

    def mark_transferred(self, document: SourceDocument) -> None:
        """Nothing to mark: a CSV upload has no way back into Afterbuy.

        The XML API's ``UpdateSoldItems`` could (reference §6); that belongs to the
        API source, which knows the merchant's tokens.
        """
