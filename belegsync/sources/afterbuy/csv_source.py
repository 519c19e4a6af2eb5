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


class RechnungslisteUploads:
    """What makes an Afterbuy source take uploaded Rechnungslisten (CSV and API source)."""

    file_label: ClassVar[str] = _("Afterbuy Rechnungsliste (CSV file)")
    #: The name ``belegsync import`` knows these files by.
    file_format: ClassVar[str] = "afterbuy-csv"
    #: The upload page's guide: how to get the file out of Afterbuy.
    upload_guide: ClassVar[str] = "afterbuy/_upload_guide.html"
    #: Where the merchant assigns the file's columns when some are not recognised.
    mapping_url_name: ClassVar[str] = "afterbuy:import_mapping"
    context: AdapterContext

    def read_file(self, path: Path, progress: Progress | None = None) -> FileReading:
        reader = RechnungslisteReader(path, self.context.settings.get("csv_mapping"))
        details = {
            "encoding": reader.layout.encoding_label,
            "delimiter": reader.layout.delimiter_label,
        }
        return FileReading(details=details, rows=_rows(reader, progress))


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
    verbose_name: ClassVar[str] = _("Afterbuy (CSV upload of the invoice list)")

    def __init__(self, context: AdapterContext) -> None:
        self.context = context

    def fetch(self, cursor: Cursor, now: dt.datetime) -> Iterator[FetchResult]:
        """Nothing to fetch: the documents of this source come by upload."""
        return iter(())

    def pdf(self, document: SourceDocument) -> bytes | None:
        """No PDF yet: the Rechnungsliste has none; the download comes with a later issue."""
        return None

    def mark_transferred(self, document: SourceDocument) -> None:
        """Nothing to mark: a CSV upload has no way back into Afterbuy.

        The XML API's ``UpdateSoldItems`` could (reference §6); that belongs to the
        API source, which knows the merchant's tokens.
        """
