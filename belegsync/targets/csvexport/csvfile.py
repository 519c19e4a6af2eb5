"""Vouchers and their lines as CSV: one row per line, the voucher's fields repeated.

Two dialects (docs/connectors/datev.md, "CSV and PDF exports"):

- ``plain``: UTF-8, ``,``, ``.`` as decimal point, ISO dates (``2026-06-03``), CR LF —
  for scripts and other programs;
- ``excel``: UTF-8 with byte-order mark (so Excel detects UTF-8), ``;``, ``,`` as
  decimal comma, German dates (``03.06.2026``), CR LF — opens in a German Excel
  with numbers as numbers. It is read by people, in the language of whoever exports
  it: column headers in that language ("Rechnungsnummer", "Belegart"), codes as the
  merchant knows them ("Rechnung"/"Gutschrift", "Inland", "Ware", "PayPal",
  "Amazon Marketplace"), and after "paid" two more columns, the payment status
  ("bezahlt", "teilweise bezahlt", "offen") and the payment methods.

The plain CSV is the machine interface (docs/connectors/datev.md): its headers and
values are the codes below in every language, and they do not change.

Formula injection: a text cell that starts with ``=``, ``+``, ``-``, ``@``, a tab or
CR would be run as a formula by spreadsheet programs; such cells get a leading
``'`` (OWASP "CSV injection"). Amount, quantity and date cells are written by
belegsync from numbers and dates, never from source text, and stay numbers (a
discount of ``-10,00`` is a number, not a formula).

Amounts: ``total_net``/``total_gross`` and ``rate_net``/``rate_tax``/``rate_gross``
(the line's tax rate) are what the other targets book — each rate's tax rounded
once on its total (docs/bookkeeping.md "Tax per rate"). A line's ``net``, ``tax``
and ``gross`` describe the line as the source gave it, sub-cent digits included;
summed, they may differ from the rate's figures by the source's per-line rounding.
"""

from __future__ import annotations

import csv
import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal
from enum import StrEnum
from pathlib import Path
from typing import TextIO

from django.utils import translation
from django.utils.functional import Promise
from django.utils.translation import pgettext_lazy

from belegsync.bookkeeping import ZERO, TaxGroup, TaxTreatment, Voucher
from belegsync.bookkeeping.amounts import rate_key
from belegsync.connectors.spreadsheet import neutralise
from belegsync.lib.words import CATEGORY_LABELS, KIND_LABELS, payment_method_label

__all__ = ["COLUMNS", "EXCEL_COLUMNS", "CsvWriter", "Dialect", "neutralise"]

COLUMNS: tuple[str, ...] = (
    "number",
    "kind",
    "invoice_date",
    "refers_to",
    "order_number",
    "order_date",
    "shop",
    "currency",
    "customer_number",
    "name",
    "company",
    "street",
    "zip_code",
    "city",
    "country",
    "vat_id",
    "email",
    "tax_treatment",
    "total_net",
    "total_gross",
    "paid",
    "line",
    "description",
    "sku",
    "category",
    "quantity",
    "tax_rate",
    "net",
    "tax",
    "gross",
    "rate_net",
    "rate_tax",
    "rate_gross",
)


#: The Excel CSV's columns: the plain CSV's and, after ``paid``, two for people.
EXCEL_COLUMNS: tuple[str, ...] = (
    *COLUMNS[: COLUMNS.index("paid") + 1],
    "payment_status",
    "payment_methods",
    *COLUMNS[COLUMNS.index("paid") + 1 :],
)

_COLUMN = "CSV column"
#: The Excel CSV's headers, in the exporting merchant's language.
HEADERS: dict[str, Promise] = {
    "number": pgettext_lazy(_COLUMN, "Invoice number"),
    "kind": pgettext_lazy(_COLUMN, "Document type"),
    "invoice_date": pgettext_lazy(_COLUMN, "Invoice date"),
    "refers_to": pgettext_lazy(_COLUMN, "Corrected invoice"),
    "order_number": pgettext_lazy(_COLUMN, "Order number"),
    "order_date": pgettext_lazy(_COLUMN, "Order date"),
    "shop": pgettext_lazy(_COLUMN, "Shop"),
    "currency": pgettext_lazy(_COLUMN, "Currency"),
    "customer_number": pgettext_lazy(_COLUMN, "Customer number"),
    "name": pgettext_lazy(_COLUMN, "Name"),
    "company": pgettext_lazy(_COLUMN, "Company"),
    "street": pgettext_lazy(_COLUMN, "Street"),
    "zip_code": pgettext_lazy(_COLUMN, "Postcode"),
    "city": pgettext_lazy(_COLUMN, "City"),
    "country": pgettext_lazy(_COLUMN, "Country"),
    "vat_id": pgettext_lazy(_COLUMN, "VAT ID"),
    "email": pgettext_lazy(_COLUMN, "E-mail"),
    "tax_treatment": pgettext_lazy(_COLUMN, "Tax treatment"),
    "total_net": pgettext_lazy(_COLUMN, "Total net"),
    "total_gross": pgettext_lazy(_COLUMN, "Total gross"),
    "paid": pgettext_lazy(_COLUMN, "Paid"),
    "payment_status": pgettext_lazy(_COLUMN, "Payment status"),
    "payment_methods": pgettext_lazy(_COLUMN, "Payment method"),
    "line": pgettext_lazy(_COLUMN, "Line"),
    "description": pgettext_lazy(_COLUMN, "Description"),
    "sku": pgettext_lazy(_COLUMN, "SKU"),
    "category": pgettext_lazy(_COLUMN, "Category"),
    "quantity": pgettext_lazy(_COLUMN, "Quantity"),
    "tax_rate": pgettext_lazy(_COLUMN, "Tax rate (%)"),
    "net": pgettext_lazy(_COLUMN, "Net"),
    "tax": pgettext_lazy(_COLUMN, "Tax"),
    "gross": pgettext_lazy(_COLUMN, "Gross"),
    "rate_net": pgettext_lazy(_COLUMN, "Net at this tax rate"),
    "rate_tax": pgettext_lazy(_COLUMN, "Tax at this tax rate"),
    "rate_gross": pgettext_lazy(_COLUMN, "Gross at this tax rate"),
}

_VALUE = "CSV value"
TREATMENTS: dict[str, Promise] = {
    TaxTreatment.DOMESTIC.value: pgettext_lazy(_VALUE, "Domestic"),
    TaxTreatment.EU_DISTANCE_SALE.value: pgettext_lazy(_VALUE, "EU distance sale (OSS)"),
    TaxTreatment.INTRA_EU_SUPPLY.value: pgettext_lazy(_VALUE, "Intra-community supply"),
    TaxTreatment.EXPORT.value: pgettext_lazy(_VALUE, "Export (outside the EU)"),
    TaxTreatment.SMALL_BUSINESS.value: pgettext_lazy(_VALUE, "Small business (§ 19 UStG)"),
}
PAYMENT_STATUS: dict[str, Promise] = {
    "paid": pgettext_lazy(_VALUE, "paid"),
    "partly_paid": pgettext_lazy(_VALUE, "partly paid"),
    "open": pgettext_lazy(_VALUE, "open"),
}


def payment_status(voucher: Voucher) -> str:
    """paid, partly_paid or open: the payments against the gross total (``is_paid``)."""
    if voucher.is_paid:
        return "paid"
    return "partly_paid" if voucher.paid_amount > ZERO else "open"


class _Words:
    """The Excel CSV's words in one language, looked up once per writer."""

    def __init__(self, language: str) -> None:
        self.language = language
        with translation.override(language):
            self.headers = [str(HEADERS[column]) for column in EXCEL_COLUMNS]
            self.kinds = {k: str(v) for k, v in KIND_LABELS.items()}
            self.treatments = {k: str(v) for k, v in TREATMENTS.items()}
            self.categories = {k: str(v) for k, v in CATEGORY_LABELS.items()}
            self.statuses = {k: str(v) for k, v in PAYMENT_STATUS.items()}
        self._methods: dict[str, str] = {}

    def methods(self, voucher: Voucher) -> str:
        names = []
        for payment in voucher.payments:
            if payment.method not in self._methods:
                with translation.override(self.language):
                    self._methods[payment.method] = payment_method_label(payment.method)
            if self._methods[payment.method] not in names:
                names.append(self._methods[payment.method])
        return ", ".join(names)


class Dialect(StrEnum):
    PLAIN = "plain"
    EXCEL = "excel"


@dataclass(frozen=True)
class _Style:
    delimiter: str
    encoding: str
    decimal: str
    date: Callable[[dt.date], str]


STYLES = {
    Dialect.PLAIN: _Style(",", "utf-8", ".", dt.date.isoformat),
    Dialect.EXCEL: _Style(";", "utf-8-sig", ",", lambda d: f"{d:%d.%m.%Y}"),
}


class CsvWriter:
    """Streams vouchers into one CSV file; every voucher can be expressed."""

    def __init__(
        self, path: Path, dialect: Dialect = Dialect.PLAIN, language: str | None = None
    ) -> None:
        """``language``: the Excel CSV's (default the active one, the exporting merchant's
        in a request; a task passes the job's); the plain CSV has none."""
        self.path = path
        self.style = STYLES[dialect]
        self.words = (
            _Words(language or translation.get_language()) if dialect is Dialect.EXCEL else None
        )
        self._file: TextIO = path.open("w", encoding=self.style.encoding, newline="")
        self._csv = csv.writer(self._file, delimiter=self.style.delimiter, lineterminator="\r\n")
        self._csv.writerow(self.words.headers if self.words else COLUMNS)
        self.rows = 0

    def _number(self, value: Decimal) -> str:
        return f"{value:f}".replace(".", self.style.decimal)

    def _rate(self, group: TaxGroup) -> list[str]:
        return [self._number(group.net), self._number(group.tax), self._number(group.gross)]

    def _date(self, value: dt.date | None) -> str:
        return self.style.date(value) if value else ""

    def add(self, voucher: Voucher) -> int:
        """Write the voucher's lines; returns how many rows it made."""
        p = voucher.party
        t = neutralise
        groups = {g.rate: g for g in voucher.tax_groups()}
        words = self.words
        head = [
            t(voucher.number),
            words.kinds[voucher.kind.value] if words else voucher.kind.value,
            self._date(voucher.invoice_date),
            t(voucher.refers_to),
            t(voucher.order_number),
            self._date(voucher.order_date),
            t(voucher.shop),
            t(voucher.currency),
            t(p.customer_number),
            t(p.name),
            t(p.company),
            t(p.street),
            t(p.zip_code),
            t(p.city),
            t(p.country),
            t(p.vat_id),
            t(p.email),
            words.treatments[voucher.tax_treatment.value] if words else voucher.tax_treatment.value,
            self._number(sum((g.net for g in groups.values()), ZERO)),
            self._number(sum((g.gross for g in groups.values()), ZERO)),
            self._number(voucher.paid_amount),
        ]
        if words:
            head += [words.statuses[payment_status(voucher)], t(words.methods(voucher))]
        for index, line in enumerate(voucher.lines, start=1):
            self._csv.writerow(
                [
                    *head,
                    str(index),
                    t(line.description),
                    t(line.sku),
                    words.categories[line.category.value] if words else line.category.value,
                    self._number(line.quantity),
                    self._number(line.tax_rate),
                    self._number(line.net),
                    self._number(line.tax),
                    self._number(line.gross),
                    *self._rate(groups[rate_key(line.tax_rate)]),
                ]
            )
        self.rows += len(voucher.lines)
        return len(voucher.lines)

    def finish(self) -> list[Path]:
        self._file.close()
        return [self.path]

    def abort(self) -> None:
        self._file.close()
