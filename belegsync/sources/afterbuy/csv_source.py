"""The Afterbuy CSV source: documents arrive by upload, not by fetching.

Registered as ``afterbuy_csv`` in :mod:`belegsync.connectors.registry`. The sync
engine calls :meth:`fetch` like for any source; it yields nothing because a
merchant's upload (web page or ``belegsync import afterbuy-csv``) stores the
documents directly through :mod:`.importer`.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from typing import ClassVar

from django.utils.translation import gettext_lazy as _

from belegsync.connectors.base import AdapterContext, Cursor, FetchResult, Page, SourceDocument


class AfterbuyCsvSource:
    identifier: ClassVar[str] = "afterbuy_csv"
    verbose_name: ClassVar[str] = _("Afterbuy (CSV upload of the invoice list)")
    pages: ClassVar[tuple[Page, ...]] = (
        Page(_("Upload a Rechnungsliste (CSV)"), "afterbuy:connection_upload"),
    )

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
