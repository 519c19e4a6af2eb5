"""Read Afterbuy's "Rechnungsliste" CSV export into neutral vouchers, streaming.

What is known of the file is little (reference/afterbuy/README.md §7): the
merchant chooses the encoding (UTF-8 is one option, Windows-1252 likely the
other), and nothing documents the columns, separator or number format. So this
reader detects and tolerates instead of assuming:

- encoding: a BOM, else a strict UTF-8 decode of the first 64 KiB, else
  charset-normalizer; any Western single-byte guess is read as Windows-1252
  (charset-normalizer tends to call short German cp1252 text "cp1250");
- separator: ``;``, ``,`` or tab, whichever the header line has most of;
- headers: matched by :mod:`.columns` (case, spacing, umlauts, variants) plus the
  connection's saved mapping; columns in any order, extra columns ignored;
- numbers ``1.234,56`` / ``-12,00``; dates ``dd.mm.yyyy`` with or without time.

Two layouts are understood. The reference sample has one row per invoice with
amounts per tax rate (``Netto 19%``, ``MwSt 19%``, …): each rate becomes one
line. A file with item columns (title, unit price, tax rate) has one row per
item: consecutive rows of one invoice number become that invoice's lines.

Memory stays constant: the file is read row by row and only one invoice's
rows are held; the numbers seen, to report a number that comes back, are kept
by :class:`~belegsync.connectors.first_seen.FirstSeen` (spilled to a temporary file).
"""

from __future__ import annotations

import codecs
import csv
import datetime as dt
import functools
import re
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import IO, Any

from charset_normalizer import from_bytes
from django.utils.translation import gettext as _

from belegsync.bookkeeping import (
    ZERO,
    Line,
    LineCategory,
    Party,
    Payment,
    Voucher,
    VoucherKind,
    main_rate,
    net_from_gross,
    round_cents,
    spread_over_rates,
    validate,
)
from belegsync.connectors.base import SourceDocument
from belegsync.connectors.errors import UnreadableFile
from belegsync.connectors.first_seen import FirstSeen
from belegsync.connectors.reasons import Reason

from .columns import BY_KEY, ITEM_KEYS, REQUIRED, bucket_of, iso_country, key_of, normalise

SAMPLE_BYTES = 64 * 1024
csv.field_size_limit(1024 * 1024)

#: Single-byte encodings charset-normalizer may name for a Western European export.
_WESTERN = {
    "cp1252",
    "cp1250",
    "cp1254",
    "cp1257",
    "latin_1",
    "iso8859_15",
    "iso8859_2",
    "iso8859_9",
    "iso8859_13",
    "cp850",
    "cp858",
    "mac_roman",
    "mac_latin2",
    "ascii",
}
_ENCODING_LABELS = {
    "utf-8": "UTF-8",
    "utf-8-sig": "UTF-8 (BOM)",
    "cp1252": "Windows-1252",
    "utf-16": "UTF-16",
}

_NUMBER = re.compile(r"^[+-]?(?:\d{1,3}(?:\.\d{3})+|\d+)(?:,\d+)?$")
_DATE = re.compile(r"^(\d{1,2})\.(\d{1,2})\.(\d{4})(?:[ T]+\d{1,2}:\d{2}(?::\d{2})?)?$")
_ISO_DATE = re.compile(r"^(\d{4})-(\d{2})-(\d{2})(?:[ T].*)?$")
_ONE, _MINUS_ONE = Decimal(1), Decimal(-1)
_TRUE = {"1", "ja", "j", "x", "true", "wahr", "yes", "y", "gutschrift", "storno", "-1"}
#: Text fields are checked on every row; a cell starting like this is a formula in
#: Excel or LibreOffice (CSV injection) and would run when a merchant opens an export.
_FORMULA_START = "=@\t\r"


@dataclass(frozen=True)
class RowProblem:
    """One problem in the file: where (line, column as headed in the file, the value) and
    its reason code (``csv.not_a_number`` …), shown in the reader's language by
    :mod:`belegsync.reasons.files`."""

    line: int
    column: str
    value: str
    code: str
    params: Mapping[str, Any] = field(default_factory=dict)
    number: str = ""

    def __str__(self) -> str:
        return f"line {self.line} {self.column!r} {self.value[:80]!r}: {self.code}"

    def as_dict(self) -> dict[str, Any]:
        """The stored form (``ImportJob.problems``): the reason and where it is."""
        return {
            **Reason(self.code, dict(self.params)).as_json(),
            "line": self.line,
            "column": self.column,
            "value": self.value[:200],
            "number": self.number,
        }


class FileProblem(UnreadableFile):
    """The file as a whole cannot be read: nothing of it is imported."""


@dataclass(frozen=True)
class Layout:
    """What was detected about a file: encoding, separator, and where each column is."""

    encoding: str
    encoding_label: str
    delimiter: str
    headers: tuple[str, ...]
    columns: Mapping[str, int]
    net_buckets: Mapping[Decimal, int]
    tax_buckets: Mapping[Decimal, int]

    @property
    def items(self) -> bool:
        return all(k in self.columns for k in ITEM_KEYS)


@dataclass
class ParsedInvoice:
    """One invoice or credit note of the file: a document to store, or why not."""

    number: str
    line: int
    document: SourceDocument | None = None
    problems: list[RowProblem] = field(default_factory=list)


# --- detection ---------------------------------------------------------------------------


def detect_encoding(sample: bytes, complete: bool) -> tuple[str, str]:
    """The codec to read the file with, and a label for the merchant."""
    if not sample.strip():
        raise FileProblem(code="csv.empty")
    if sample.startswith(codecs.BOM_UTF8):
        return "utf-8-sig", _ENCODING_LABELS["utf-8-sig"]
    if sample.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return "utf-16", _ENCODING_LABELS["utf-16"]
    try:
        codecs.getincrementaldecoder("utf-8")().decode(sample, final=complete)
    except UnicodeDecodeError:
        pass
    else:
        if b"\x00" not in sample:
            return "utf-8", _ENCODING_LABELS["utf-8"]
    best = None if b"\x00" in sample else from_bytes(sample).best()
    if best is None or best.encoding not in _WESTERN:
        raise FileProblem(code="csv.unknown_encoding", raw=best.encoding if best else "")
    return "cp1252", _ENCODING_LABELS["cp1252"]


def sniff_delimiter(header_line: str) -> str:
    """The separator the header line uses most, outside quotes; ``;`` on a tie."""
    counts = {";": 0, ",": 0, "\t": 0}
    quoted = False
    for char in header_line:
        if char == '"':
            quoted = not quoted
        elif not quoted and char in counts:
            counts[char] += 1
    best = max(counts, key=lambda c: (counts[c], c == ";"))
    return best


def resolve_columns(
    headers: list[str], mapping: Mapping[str, str] | None = None
) -> tuple[dict[str, int], dict[Decimal, int], dict[Decimal, int]]:
    """Column key → index, and the tax-rate buckets; raises when a required one is missing."""
    columns: dict[str, int] = {}
    by_header = {normalise(h): i for i, h in enumerate(headers)}
    for key, header in (mapping or {}).items():
        index = by_header.get(normalise(header))
        if index is not None and key in BY_KEY:
            columns[key] = index
    taken = set(columns.values())
    net: dict[Decimal, int] = {}
    tax: dict[Decimal, int] = {}
    for index, header in enumerate(headers):
        if index in taken:
            continue
        bucket = bucket_of(header)
        if bucket is not None:
            (net if bucket[0] == "net" else tax).setdefault(bucket[1], index)
            continue
        found = key_of(header)
        if found is not None and found not in columns:
            columns[found] = index
    missing = [key for key in REQUIRED if key not in columns]
    items = all(k in columns for k in ITEM_KEYS)
    if not items:
        if not net:
            missing.append("net_by_rate")
        missing += [f"tax_{rate}" for rate in net if rate != 0 and rate not in tax]
        missing += [f"net_{rate}" for rate in tax if rate not in net]
    if missing:
        raise FileProblem(
            code=FileProblem.MISSING_COLUMNS,
            columns=[column_header(k) for k in missing],
            line=1,
            missing=tuple(missing),
            headers=tuple(headers),
        )
    return columns, net, tax


def column_header(key: str) -> str:
    """The header the export gives a column (``net_19`` → ``Netto 19%``)."""
    if key == "net_by_rate":
        return "Netto 19% …"
    for prefix, word in (("tax_", "MwSt"), ("net_", "Netto")):
        if key.startswith(prefix):
            return f"{word} {key[len(prefix) :]}%"
    return BY_KEY[key].header


def column_label(key: str) -> str:
    """A column as the reader knows it: its header in the file, and what it holds."""
    header = column_header(key)
    column = BY_KEY.get(key)
    meaning = str(column.meaning) if column is not None else ""
    if not meaning or normalise(meaning) == normalise(header):
        return _("“%(header)s”") % {"header": header}
    return _("“%(header)s” (%(meaning)s)") % {"header": header, "meaning": meaning}


# --- values --------------------------------------------------------------------------------


class _Columns:
    """Where each column a parse reads is (None: the file has none), resolved once per file:
    a row is read by index, not by a key looked up for every cell."""

    __slots__ = (*BY_KEY, "buckets", "headers", "items")
    number: int
    invoice_date: int
    total_gross: int
    country: int
    # set in the item layout (Layout.items), where a parse reads them
    item_title: int
    item_price: int
    item_tax_rate: int
    # the rest are optional
    order_id: int | None
    order_date: int | None
    customer_number: int | None
    company: int | None
    first_name: int | None
    last_name: int | None
    street: int | None
    zip_code: int | None
    city: int | None
    vat_id: int | None
    email: int | None
    payment_method: int | None
    payment_date: int | None
    paid_amount: int | None
    shipping_gross: int | None
    total_net: int | None
    currency: int | None
    platform: int | None
    credit_note: int | None
    refers_to: int | None
    item_sku: int | None
    item_quantity: int | None
    shipping_tax_rate: int | None
    buckets: tuple[tuple[Decimal, int, int | None, str], ...]
    headers: tuple[str, ...]
    items: bool

    def __init__(self, layout: Layout) -> None:
        for key in BY_KEY:
            setattr(self, key, layout.columns.get(key))
        self.headers = layout.headers
        self.items = layout.items
        #: The summary layout's amounts per rate, highest rate first: (rate, net column,
        #: tax column or None, the line's label).
        self.buckets = tuple(
            (
                rate,
                layout.net_buckets[rate],
                layout.tax_buckets.get(rate),
                f"Umsatz {rate} %" if rate else "Umsatz steuerfrei (0 %)",
            )
            for rate in sorted(layout.net_buckets, reverse=True)
        )


def _cleaned_amount(cell: str) -> str:
    return cell.strip().replace("\u00a0", "").replace(" ", "").rstrip("€")


# A file repeats its amounts and dates (every invoice of a day has its date, most
# buckets are "0,00"): each text is parsed once. Decimal and date are immutable.
@functools.lru_cache(maxsize=4096)
def _amount_of(cell: str) -> Decimal | None:
    """A cell's amount (``1.234,56``, ``-12,00 €``), None when it holds none."""
    # Most amounts not seen before are plain ASCII digits with two places ("125,77"):
    # that form is a number by the pattern and nothing to clean, and the checks below
    # cost twice what the Decimal does. tests/sources/afterbuy/test_csv_fast_paths.py
    # holds this against the general way for any text.
    # (Split at the first comma, not by three slices: each slice is a new string.)
    whole, _comma, cents = cell.partition(",")
    if len(cents) == 2 and cents.isdigit() and whole.isdigit() and cell.isascii():
        return Decimal(f"{whole}.{cents}")
    value = _cleaned_amount(cell)
    if _NUMBER.match(value):
        try:
            return Decimal(value.replace(".", "").replace(",", "."))
        except InvalidOperation:  # pragma: no cover - the pattern admits only numbers
            pass
    return None


@functools.lru_cache(maxsize=4096)
def _date_of(value: str) -> dt.date | None:
    """A stripped cell's date (``31.12.2024``, with or without a time; ISO), None when it
    holds none."""
    match = _DATE.match(value)
    parts = (match.group(3), match.group(2), match.group(1)) if match else None
    if parts is None:
        iso = _ISO_DATE.match(value)
        parts = (iso.group(1), iso.group(2), iso.group(3)) if iso else None
    if parts is not None:
        try:
            return dt.date(int(parts[0]), int(parts[1]), int(parts[2]))
        except ValueError:
            pass
    return None


class _Cells:
    """Reads typed values from one row by column index (None: the file has no such
    column) and records a problem for each bad cell."""

    __slots__ = ("at", "line", "number", "problems", "row")

    def __init__(self, at: _Columns, line: int, row: list[str], number: str) -> None:
        self.at = at
        self.line = line
        self.row = row
        self.number = number
        self.problems: list[RowProblem] = []

    def problem(self, index: int | None, value: str, code: str, **params: Any) -> None:
        column = self.at.headers[index] if index is not None else ""
        self.problems.append(RowProblem(self.line, column, value, code, params, self.number))

    def raw(self, index: int | None) -> str:
        return self.row[index].strip() if index is not None else ""

    def text(self, index: int | None) -> str:
        if index is None:
            return ""
        value = self.row[index].strip()
        if value and (value[0] in _FORMULA_START or (value[0] in "+-" and "(" in value)):
            self.problem(index, value, code="csv.formula")
            return ""
        return value

    def amount_at(self, index: int, required: bool = False) -> Decimal:
        cell = self.row[index]
        amount = _amount_of(cell)
        if amount is not None:
            return amount
        value = _cleaned_amount(cell)
        if not value:
            if required:
                self.problem(index, value, code="csv.amount_missing")
            return ZERO
        self.problem(index, value, code="csv.not_a_number")
        return ZERO

    def amount(self, index: int | None) -> Decimal | None:
        """An optional amount: None when the file has no such column or the cell is empty."""
        if index is None or not self.row[index].strip():
            return None
        return self.amount_at(index)

    def date(self, index: int | None, required: bool = False) -> dt.date | None:
        value = self.row[index].strip() if index is not None else ""
        if not value:
            if required:
                self.problem(index, value, code="csv.date_missing")
            return None
        day = _date_of(value)
        if day is None:
            self.problem(index, value, code="csv.not_a_date")
        return day

    def country(self) -> str:
        index = self.at.country
        value = self.raw(index)
        code = iso_country(value)
        if code:
            return code
        self.problem(index, value, code="csv.unknown_country")
        return "DE"


# --- building vouchers ---------------------------------------------------------------------


def _bucket_lines(cells: _Cells, sign: Decimal) -> list[Line]:
    """One line per tax rate of the summary layout (shipping is inside its rate's amount)."""
    lines = []
    for rate, net_index, tax_index, label in cells.at.buckets:
        net = cells.amount_at(net_index)
        tax = cells.amount_at(tax_index) if tax_index is not None else ZERO
        # an amount read is a number (never a NaN): zero is its truth, which costs no
        # conversion of 0 to a Decimal as ``== 0`` does (most buckets are "0,00")
        if not net and not tax:
            continue
        lines.append(Line(label, _ONE, net * sign, (net + tax) * sign, rate))
    return lines


def _net_of(lines: list[Line]) -> Decimal:
    """The lines' net: added as ``sum((ln.net for ln in lines), ZERO)`` adds, ZERO first."""
    total = ZERO
    for line in lines:
        total += line.net
    return total


def _bucket_taxes(lines: list[Line]) -> dict[Decimal, Decimal]:
    """The summary layout states its tax per rate (``MwSt 19%``): the invoice's own figure,
    which the rule's must equal (docs/bookkeeping.md, "Tax per rate")."""
    return {line.tax_rate: line.tax for line in lines if line.tax_rate != 0}


def _item_line(cells: _Cells, sign: Decimal) -> Line | None:
    at = cells.at
    title = cells.text(at.item_title)
    price = cells.amount_at(at.item_price, required=True)
    rate = cells.amount_at(at.item_tax_rate, required=True)
    quantity = cells.amount(at.item_quantity) or _ONE
    if price == 0:
        return None
    gross = round_cents(price * quantity) * sign
    category = LineCategory.DISCOUNT if gross < 0 else LineCategory.GOODS
    return Line(
        title or "Artikel",
        quantity,
        net_from_gross(gross, rate),
        gross,
        rate,
        category,
        sku=cells.raw(at.item_sku),
    )


def _item_lines(
    cells: _Cells, number: str, rows: list[tuple[int, list[str]]], sign: Decimal
) -> tuple[list[Line], list[RowProblem]]:
    """The item layout's lines (one per row; discounts spread over the rates, shipping
    last) and the problems of the rows."""
    at = cells.at
    total_index = at.total_gross
    total_cell = cells.row[total_index]
    goods: list[Line] = []
    discounts: list[Line] = []
    problems: list[RowProblem] = []
    for item_line, item_row in rows:
        item = _Cells(at, item_line, item_row, number)
        if item_row[total_index] != total_cell:
            item.problem(
                total_index, item_row[total_index], code="csv.totals_differ", number=number
            )
        position = _item_line(item, sign)
        if position is not None:
            is_discount = position.category is LineCategory.DISCOUNT
            (discounts if is_discount else goods).append(position)
        problems += item.problems
    # discounts reduce every rate in proportion (§ 17 UStG, bookkeeping.order_level)
    lines = list(goods)
    for position in discounts:
        lines += spread_over_rates(position, goods)
    shipping = cells.amount(at.shipping_gross)
    if shipping:
        rate = cells.amount(at.shipping_tax_rate)
        rate = main_rate(goods) if rate is None else rate
        gross = shipping * sign
        lines.append(
            Line(
                "Versand",
                _ONE,
                net_from_gross(gross, rate),
                gross,
                rate,
                LineCategory.SHIPPING,
            )
        )
    return lines, problems


def _repeated_rows(
    at: _Columns, number: str, rows: list[tuple[int, list[str]]]
) -> list[RowProblem]:
    """The summary layout has one row per invoice: a later row of the same number must
    repeat the first exactly."""
    line, row = rows[0]
    return [
        RowProblem(
            other_line,
            at.headers[at.number],
            number,
            code="csv.repeated_differently",
            params={"number": number, "first_line": line},
            number=number,
        )
        for other_line, other in rows[1:]
        if other != row
    ]


def _parse_invoice(at: _Columns, number: str, rows: list[tuple[int, list[str]]]) -> ParsedInvoice:
    line, row = rows[0]
    cells = _Cells(at, line, row, number)
    total = cells.amount_at(at.total_gross, required=True)
    platform = cells.raw(at.platform)
    platform_key = normalise(platform)
    credit = normalise(cells.raw(at.credit_note)) in _TRUE or platform_key == "gutschrift"
    credit = credit or total < 0
    sign = _MINUS_ONE if total < 0 else _ONE
    if at.items:
        lines, problems = _item_lines(cells, number, rows, sign)
    else:
        problems = _repeated_rows(at, number, rows) if len(rows) > 1 else []
        lines = _bucket_lines(cells, sign)
    stated_net = cells.amount(at.total_net)
    total_net = stated_net * sign if stated_net is not None else _net_of(lines)
    paid = cells.amount(at.paid_amount)
    payment_date = cells.date(at.payment_date)
    method = cells.text(at.payment_method)
    payments = (Payment(method or "unbekannt", abs(paid), payment_date),) if paid else ()
    first, last = cells.text(at.first_name), cells.text(at.last_name)
    party = Party(
        name=f"{first} {last}".strip(),
        company=cells.text(at.company),
        customer_number=cells.raw(at.customer_number),
        street=cells.text(at.street),
        zip_code=cells.text(at.zip_code),
        city=cells.text(at.city),
        country=cells.country(),
        vat_id=cells.raw(at.vat_id).replace(" ", "").upper(),
        email=cells.text(at.email),
    )
    invoice_date = cells.date(at.invoice_date, required=True)
    order_date = cells.date(at.order_date)
    order_id = cells.raw(at.order_id)
    platform = cells.text(at.platform)
    problems = cells.problems + problems
    parsed = ParsedInvoice(number, line, problems=problems)
    if problems or invoice_date is None:
        return parsed
    voucher = Voucher(
        kind=VoucherKind.CREDIT_NOTE if credit else VoucherKind.INVOICE,
        number=number,
        invoice_date=invoice_date,
        lines=tuple(lines),
        total_net=total_net,
        total_gross=total * sign,
        currency=(cells.raw(at.currency) or "EUR").upper(),
        party=party,
        payments=payments,
        order_date=order_date,
        payment_date=payment_date,
        refers_to=cells.raw(at.refers_to),
        order_number=order_id,
        # Afterbuy writes "Gutschrift" into the platform column of a credit note: that
        # marks its kind, it is no shop (the shop filter would offer it as one)
        shop="" if platform_key == "gutschrift" else platform,
        source_refs={"afterbuy_order_id": order_id} if order_id else {},
        stated_tax={} if at.items else _bucket_taxes(lines),
    )
    meta = {"source": "afterbuy_csv", "line": line, "order_id": order_id, "platform": platform}
    parsed.document = SourceDocument(voucher=voucher, source_id=order_id or number, meta=meta)
    return parsed


# --- the reader ----------------------------------------------------------------------------


class RechnungslisteReader:
    """A Rechnungsliste file: detected on construction, read invoice by invoice on iteration.

    Raises :class:`FileProblem` when the file cannot be read at all (empty, binary,
    unknown encoding, a required column missing); iteration raises it too when
    the file breaks part-way (a quote never closed, bytes of another encoding).
    """

    def __init__(self, path: Path | str, mapping: Mapping[str, str] | None = None) -> None:
        self.path = Path(path)
        self.size = self.path.stat().st_size
        self.bytes_read = 0
        with self.path.open("rb") as raw:
            sample = raw.read(SAMPLE_BYTES)
        encoding, label = detect_encoding(sample, complete=len(sample) >= self.size)
        text = sample.decode(encoding, errors="replace")
        header_line = text.lstrip("\ufeff").splitlines()[0] if text.strip() else ""
        delimiter = sniff_delimiter(header_line)
        headers = next(csv.reader([header_line], delimiter=delimiter), [])
        headers = [h.strip().lstrip("\ufeff") for h in headers]
        if not any(headers):
            raise FileProblem(code="csv.no_header", line=1)
        columns, net, tax = resolve_columns(headers, mapping)
        self.layout = Layout(encoding, label, delimiter, tuple(headers), columns, net, tax)

    def _open(self) -> IO[str]:
        return self.path.open(encoding=self.layout.encoding, newline="", errors="strict")

    def invoices(
        self, progress: Callable[[int, int], None] | None = None
    ) -> Iterator[ParsedInvoice]:
        """Every invoice of the file in file order, each with its document or problems."""
        layout = self.layout
        at = _Columns(layout)
        number_index = layout.columns["number"]
        width = len(layout.headers)
        group: list[tuple[int, list[str]]] = []
        group_number = ""
        with self._open() as handle, FirstSeen() as seen:
            reader = csv.reader(handle, delimiter=layout.delimiter, strict=True)
            rows = 0
            last_line = 0
            try:
                next(reader)
                last_line = reader.line_num
                for row in reader:
                    line = last_line + 1
                    last_line = reader.line_num
                    rows += 1
                    if progress is not None and rows % 2000 == 0:
                        self.bytes_read = handle.buffer.tell()  # type: ignore[attr-defined]
                        progress(self.bytes_read, self.size)
                    if not row or (len(row) == 1 and not row[0].strip()):
                        continue
                    if len(row) != width:
                        yield _width_problem(layout, line, row)
                        continue
                    number = row[number_index].strip()
                    if number != group_number and group:
                        yield _parse_invoice(at, group_number, group)
                        group = []
                    if not number:
                        yield ParsedInvoice(
                            "",
                            line,
                            problems=[
                                RowProblem(
                                    line,
                                    layout.headers[number_index],
                                    "",
                                    code="csv.number_missing",
                                )
                            ],
                        )
                        group_number = ""
                        continue
                    if number != group_number:
                        first = seen.first(number)
                        if first is not None:
                            yield _repeat_problem(layout, line, number, first)
                            group_number = ""
                            continue
                        seen.add(number, line)
                        group_number = number
                    group.append((line, row))
            except csv.Error as error:
                raise _malformed(last_line, error) from None
            except UnicodeDecodeError as error:
                raise _undecodable(layout, last_line, error) from None
            if group:
                yield _parse_invoice(at, group_number, group)
        self.bytes_read = self.size
        if progress is not None:
            progress(self.size, self.size)

    def check(self, progress: Callable[[int, int], None] | None = None) -> None:
        """Read the whole file for what breaks it as a whole, making no invoices.

        Raises :class:`FileProblem` where :meth:`invoices` would (a quote never
        closed, bytes of another encoding); rows are only split, at the csv
        module's speed: an import's checking pass needs no more.
        """
        with self._open() as handle:
            reader = csv.reader(handle, delimiter=self.layout.delimiter, strict=True)
            last_line = 0
            try:
                for rows, _row in enumerate(reader, start=1):
                    last_line = reader.line_num
                    if progress is not None and rows % 2000 == 0:
                        self.bytes_read = handle.buffer.tell()  # type: ignore[attr-defined]
                        progress(self.bytes_read, self.size)
            except csv.Error as error:
                raise _malformed(last_line, error) from None
            except UnicodeDecodeError as error:
                raise _undecodable(self.layout, last_line, error) from None
        self.bytes_read = self.size
        if progress is not None:
            progress(self.size, self.size)


def _malformed(last_line: int, error: csv.Error) -> FileProblem:
    return FileProblem(
        code="csv.malformed",
        raw=str(error),
        line=last_line + 1,
        from_line=last_line + 1,
    )


def _undecodable(layout: Layout, last_line: int, error: UnicodeDecodeError) -> FileProblem:
    return FileProblem(
        code="csv.encoding_changed",
        raw=str(error.reason),
        line=last_line + 1,
        encoding=layout.encoding_label,
        after_line=last_line,
    )


def _width_problem(layout: Layout, line: int, row: list[str]) -> ParsedInvoice:
    index = layout.columns["number"]
    number = row[index].strip() if len(row) > index else ""
    width = len(layout.headers)
    return ParsedInvoice(
        number,
        line,
        problems=[
            RowProblem(
                line,
                "",
                "",
                code="csv.wrong_width",
                params={"fields": len(row), "header_fields": width},
                number=number,
            )
        ],
    )


def _repeat_problem(layout: Layout, line: int, number: str, first: int) -> ParsedInvoice:
    return ParsedInvoice(
        number,
        line,
        problems=[
            RowProblem(
                line,
                layout.headers[layout.columns["number"]],
                number,
                code="csv.number_repeated",
                params={"number": number, "first_line": first},
                number=number,
            )
        ],
    )


def read_for_preview(
    path: Path | str, mapping: Mapping[str, str] | None = None
) -> Iterator[tuple[str, Voucher | list[Any]]]:
    """(number, voucher) or (number, its problems) per invoice, in file order.

    For ``belegsync preview --source afterbuy-csv``: reads only, stores nothing. A
    voucher that does not add up yields its validation problems as errors, since
    it would be stored as failed and never sent. Raises :class:`FileProblem` when
    the file cannot be read at all.
    """
    for invoice in RechnungslisteReader(path, mapping).invoices():
        if invoice.document is None:
            yield invoice.number, list(invoice.problems)
            continue
        voucher = invoice.document.voucher
        problems = validate(voucher)
        if problems:
            yield invoice.number, [f"{voucher.number}: {p}" for p in problems]
        else:
            yield invoice.number, voucher


def preview_file(
    path: Path | str, settings: Mapping[str, Any]
) -> Iterator[tuple[str, Voucher | list[Any]]]:
    """``belegsync preview --source afterbuy-csv``: with the connection's saved column mapping."""
    return read_for_preview(path, settings.get("csv_mapping"))
