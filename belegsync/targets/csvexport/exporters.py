"""The CSV, Excel-CSV and PDF ZIP exports (registry ``EXPORTERS``); none has settings."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from pathlib import Path
from typing import Any, ClassVar

from django.utils.translation import gettext_lazy as _

from belegsync.connectors.exporters import ExportDocument, LeftOut
from belegsync.connectors.reasons import Reason
from belegsync.connectors.settings import AdapterSettings, NoSettings, TaxAdvisor

from .csvfile import CsvWriter, Dialect
from .pdfzip import NoPdf, PdfZipWriter

NO_NUMBERS: Mapping[str, str] = {}


class _CsvWriter:
    number_map = NO_NUMBERS

    def __init__(self, writer: CsvWriter) -> None:
        self.writer = writer

    def add(self, document: ExportDocument) -> str:
        self.writer.add(document.voucher)
        return ""

    def finish(self) -> list[Path]:
        return self.writer.finish()

    def abort(self) -> None:
        self.writer.abort()


class CsvExporter:
    identifier: ClassVar[str] = "csv"
    verbose_name: ClassVar[Any] = _("CSV")
    tag: ClassVar[str] = "CSV"
    reads_pdfs: ClassVar[bool] = False
    settings_model: ClassVar[type[AdapterSettings]] = NoSettings
    dialect: ClassVar[Dialect] = Dialect.PLAIN
    file_name: ClassVar[str] = "belegsync-export.csv"

    def __init__(self, settings: AdapterSettings, advisor: TaxAdvisor) -> None:
        self.settings = settings

    def writer(
        self,
        directory: Path,
        *,
        created_at: dt.datetime,
        period: tuple[dt.date, dt.date] | None,
    ) -> _CsvWriter:
        return _CsvWriter(CsvWriter(directory / self.file_name, self.dialect))


class ExcelCsvExporter(CsvExporter):
    identifier: ClassVar[str] = "csv-excel"
    verbose_name: ClassVar[Any] = _("CSV for Excel (semicolon, decimal comma)")
    dialect: ClassVar[Dialect] = Dialect.EXCEL
    file_name: ClassVar[str] = "belegsync-export-excel.csv"


class _PdfZipWriter:
    number_map = NO_NUMBERS

    def __init__(self, writer: PdfZipWriter) -> None:
        self.writer = writer

    def add(self, document: ExportDocument) -> str:
        try:
            return self.writer.add(document.voucher.number, document.pdf)
        except NoPdf as error:
            raise LeftOut(str(error), [Reason("export.no_pdf")]) from None

    def finish(self) -> list[Path]:
        return self.writer.finish()

    def abort(self) -> None:
        self.writer.abort()


class PdfZipExporter:
    identifier: ClassVar[str] = "pdf-zip"
    verbose_name: ClassVar[Any] = _("ZIP of PDFs")
    tag: ClassVar[str] = "PDF"
    reads_pdfs: ClassVar[bool] = True
    settings_model: ClassVar[type[AdapterSettings]] = NoSettings

    def __init__(self, settings: AdapterSettings, advisor: TaxAdvisor) -> None:
        self.settings = settings

    def writer(
        self,
        directory: Path,
        *,
        created_at: dt.datetime,
        period: tuple[dt.date, dt.date] | None,
    ) -> _PdfZipWriter:
        return _PdfZipWriter(PdfZipWriter(directory / "belegsync-pdfs.zip"))
