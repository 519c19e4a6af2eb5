"""Vouchers and their lines as CSV: one row per line, the voucher's fields repeated.

Two dialects (docs/connectors/datev.md, "CSV and PDF exports"):

- ``plain``: UTF-8, ``,``, ``.`` as decimal point, ISO dates (``2026-06-03``), CR LF —
  for scripts and other programs;
- ``excel``: UTF-8 with byte-order mark (so Excel detects UTF-8), ``;``, ``,`` as
  decimal comma, German dates (``03.06.2026``), CR LF — opens in a German Excel
  with numbers as numbers.

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

from belegsync.bookkeeping import ZERO, TaxGroup, Voucher
from belegsync.bookkeeping.amounts import rate_key
from belegsync.connectors.spreadsheet import neutralise

__all__ = ["COLUMNS", "CsvWriter", "Dialect", "neutralise"]

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

    def __init__(self, path: Path, dialect: Dialect = Dialect.PLAIN) -> None:
        self.path = path
        self.style = STYLES[dialect]
        self._file: TextIO = path.open("w", encoding=self.style.encoding, newline="")
        self._csv = csv.writer(self._file, delimiter=self.style.delimiter, lineterminator="\r\n")
        self._csv.writerow(COLUMNS)
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
        head = [
            t(voucher.number),
            voucher.kind.value,
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
            voucher.tax_treatment.value,
            self._number(sum((g.net for g in groups.values()), ZERO)),
            self._number(sum((g.gross for g in groups.values()), ZERO)),
            self._number(voucher.paid_amount),
        ]
        for index, line in enumerate(voucher.lines, start=1):
            self._csv.writerow(
                [
                    *head,
                    str(index),
                    t(line.description),
                    t(line.sku),
                    line.category.value,
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
