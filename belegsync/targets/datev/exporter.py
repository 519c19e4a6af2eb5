"""The manual DATEV export (registry ``EXPORTERS["datev"]``): any selection of documents as
one EXTF Buchungsstapel (or one per fiscal year, zipped), with the organisation's
DATEV settings."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from pathlib import Path
from typing import Any, ClassVar

from django.utils.translation import gettext_lazy as _

from belegsync.connectors.exporters import ExportDocument, LeftOut
from belegsync.connectors.settings import TaxAdvisor

from .extf import ExtfWriter, NotExpressible
from .settings import DatevExportSettings, extf_settings


class DatevExporter:
    identifier: ClassVar[str] = "datev"
    verbose_name: ClassVar[Any] = _("DATEV Buchungsstapel (EXTF)")
    tag: ClassVar[str] = "DATEV"
    reads_pdfs: ClassVar[bool] = False
    settings_model: ClassVar[type[DatevExportSettings]] = DatevExportSettings
    settings_form: ClassVar[str] = "forms.DatevExportSettingsForm"
    settings_help: ClassVar[Any] = _(
        "Your tax advisor gives you these numbers. Revenue accounts follow SKR03 or SKR04; "
        'override one as JSON, e.g. {"domestic:0": 8100}.'
    )
    missing_settings_code: ClassVar[str] = "export.no_datev_settings"
    uses_advisor: ClassVar[bool] = True

    def __init__(self, settings: DatevExportSettings, advisor: TaxAdvisor) -> None:
        self.settings = settings
        self.advisor = advisor

    def writer(
        self,
        directory: Path,
        *,
        created_at: dt.datetime,
        period: tuple[dt.date, dt.date] | None,
    ) -> _Writer:
        own = self.settings
        settings = extf_settings(
            own,
            self.advisor,
            book_payments=own.book_payments,
            payment_accounts=own.payment_accounts,
        )
        return _Writer(ExtfWriter(settings, directory, created_at=created_at, period=period))


class _Writer:
    def __init__(self, writer: ExtfWriter) -> None:
        self.writer = writer

    def add(self, document: ExportDocument) -> str:
        try:
            return self.writer.add(document.voucher).belegfeld1
        except NotExpressible as error:
            raise LeftOut(str(error), error.reasons) from None

    def finish(self) -> list[Path]:
        return [f.path for f in self.writer.finish()]

    def abort(self) -> None:
        pass  # writes its files in finish()

    @property
    def number_map(self) -> Mapping[str, str]:
        return self.writer.number_map
