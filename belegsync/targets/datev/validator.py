"""Checks an EXTF Buchungsstapel file against DATEV's rules, line by line.

Written from the reference (tests/reference/datev/README.md §1–§3, §5, §7),
not from the writer: it parses the bytes on disk, so it catches what the writer
gets wrong. Run on every export (:meth:`ExtfWriter.finish`) and in tests. The
file is read line by line; a 100 000-booking file is never held in memory.

Fields are split at C speed: a line whose quoted texts hold neither a quote nor a
``;`` (nearly every line belegsync writes) is recognised by one regular expression
and split with ``str.split``; a line with a quote inside a quoted text by the
:mod:`csv` module. Whether a field was quoted, which DATEV's rules depend on, is
read from the raw text. Only a line whose quoted texts hold a ``;``, or a broken
one, goes through the exact character-by-character :func:`split_fields` (which
also names what is broken).
"""

from __future__ import annotations

import contextlib
import csv
import datetime as dt
import functools
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

from .columns import BUCHUNGSSTAPEL_COLUMNS, HEADER_FIELDS

MAX_PROBLEMS = 100
MAX_ROWS = 99_999

_AMOUNT = re.compile(r"^\d{1,10},\d{2}$")
_ACCOUNT = re.compile(r"^\d{1,9}$")
_TAX_KEY = re.compile(r"^\d{1,4}$")
_DDMM = re.compile(r"^\d{4}$")
_DATE8 = re.compile(r"^\d{8}$")
_STAMP = re.compile(r"^\d{17}$")
#: Belegfeld 1/2: what DATEV's description and regex both allow (reference §3 #11).
_BELEGFELD = re.compile(r"^[A-Za-z0-9$%\-/]*$")
_EU_RATE = re.compile(r"^\d{2},\d{2}$")
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")
#: A quote inside a field that does not start with one (on a line without ``;`` in quotes).
_STRAY_QUOTE = re.compile(r'(?:^|;)[^;"]+"')
#: Fields that are each either unquoted without a quote, or one quoted text without a
#: quote or ``;`` inside, and no control character anywhere. Each field's first
#: character decides which (possessive: it never backtracks), so on such a line the
#: fields are exactly its ``;``-separated tokens.
_PLAIN_LINE = re.compile(
    r'(?:"[^";\x00-\x1f\x7f]*+"|[^";\x00-\x1f\x7f]*+)'
    r'(?:;(?:"[^";\x00-\x1f\x7f]*+"|[^";\x00-\x1f\x7f]*+))*+'
)
_CURRENCY = re.compile(r"^[A-Z]{3}$")
_SKONTO = re.compile(r"^[1-9]\d{0,7},\d{2}$")
#: What a text starting like a formula starts with (``startswith`` of these, as a set).
_FORMULA_FIRST = frozenset("=+-@")

#: Automatic revenue accounts at Sachkontenlänge 4 (reference §5): no tax key on them.
_AUTOMATIC = {
    "03": {8400, 8300, 8120, 8125, 8315, 8310, 8336, 8338},
    "04": {4400, 4300, 4120, 4125, 4315, 4310, 4336, 4338},
}


@dataclass(frozen=True)
class Problem:
    line: int  # 1-based line of the file
    column: int  # 1-based DATEV field number; 0 = the whole line
    message: str

    def __str__(self) -> str:
        where = f"line {self.line}" + (f", field {self.column}" if self.column else "")
        return f"{where}: {self.message}"


@dataclass(frozen=True)
class Field:
    value: str
    quoted: bool


class _Malformed(ValueError):
    pass


class _Line:
    """The fields of one line: their values, and whether each was quoted."""

    __slots__ = ("control", "marks", "values")

    def __init__(self, values: list[str], marks: list[str], control: bool) -> None:
        self.values = values
        #: Per field a text that starts with '"' exactly when the field was quoted: the
        #: raw token where the line has no ";" in quotes.
        self.marks = marks
        #: Whether any field holds a control character.
        self.control = control

    def quoted(self, index: int) -> bool:
        return self.marks[index][:1] == '"'

    def __len__(self) -> int:
        return len(self.values)


def _split(text: str) -> _Line:
    """Split one line like :func:`split_fields`, at C speed."""
    if _PLAIN_LINE.fullmatch(text):
        # no quote but those around a quoted field, no ";" inside one, no control character
        return _Line(text.replace('"', "").split(";"), text.split(";"), False)
    control = _CONTROL.search(text) is not None
    values = None
    if "\r" not in text and "\n" not in text:  # the csv module reads them as line ends
        with contextlib.suppress(csv.Error):  # broken: split_fields names how, below
            values = next(csv.reader((text,), delimiter=";", strict=True), [""])
    tokens = text.split(";")
    if values is not None and len(tokens) == len(values) and not _STRAY_QUOTE.search(text):
        # no ";" inside quotes: each raw token is one field, quoted iff it starts with '"'
        return _Line(values, tokens, control)
    exact = split_fields(text)  # raises _Malformed, naming what is broken
    return _Line([f.value for f in exact], ['"' if f.quoted else "" for f in exact], control)


def split_fields(line: str) -> list[Field]:
    """Split one line at ``;`` outside quotes; ``""`` inside quotes is one ``"``."""
    fields: list[Field] = []
    i, n = 0, len(line)
    while True:
        if i < n and line[i] == '"':
            i += 1
            chars = []
            while True:
                if i >= n:
                    raise _Malformed("a quoted text is not closed")
                if line[i] == '"':
                    if i + 1 < n and line[i + 1] == '"':
                        chars.append('"')
                        i += 2
                        continue
                    i += 1
                    break
                chars.append(line[i])
                i += 1
            fields.append(Field("".join(chars), True))
            if i < n and line[i] != ";":
                raise _Malformed(f"text after a closing quote at position {i + 1}")
        else:
            end = line.find(";", i)
            end = n if end == -1 else end
            raw = line[i:end]
            if '"' in raw:
                raise _Malformed(f'a stray quote in "{raw}"')
            fields.append(Field(raw, False))
            i = end
        if i >= n:
            return fields
        i += 1  # the ';'
        if i == n:
            fields.append(Field("", False))
            return fields


def _ddmmyyyy(value: str) -> dt.date | None:
    try:
        return dt.date(int(value[4:]), int(value[2:4]), int(value[:2]))
    except ValueError:
        return None


def _date8(value: str) -> dt.date | None:
    if not _DATE8.match(value):
        return None
    try:
        return dt.date(int(value[:4]), int(value[4:6]), int(value[6:]))
    except ValueError:
        return None


@dataclass
class _Header:
    account_length: int
    chart: str
    date_from: dt.date
    date_to: dt.date
    currency: str = "EUR"  # #22, the base currency
    #: What is wrong with each Belegdatum seen so far ("": nothing). A file's rows have
    #: at most 366 of them, so each is judged once.
    belegdatum: dict[str, str] = field(default_factory=dict, repr=False)

    @functools.cached_property
    def automatic(self) -> frozenset[int]:
        """The chart's automatic accounts at this file's Sachkontenlänge."""
        return frozenset(a * 10 ** (self.account_length - 4) for a in _AUTOMATIC[self.chart])

    def judge_belegdatum(self, value: str) -> str:
        if not _DDMM.match(value):
            return f"Belegdatum {value!r} must be TTMM with leading zeros"
        try:
            day = dt.date(self.date_from.year, int(value[2:]), int(value[:2]))
        except ValueError:
            return f"Belegdatum {value} is not a date in {self.date_from.year}"
        if not self.date_from <= day <= self.date_to:
            return f"Belegdatum {value} lies outside the batch period"
        return ""


def _check_header(fields: _Line) -> tuple[list[Problem], _Header | None]:
    problems: list[Problem] = []

    def bad(column: int, message: str) -> None:
        problems.append(Problem(1, column, message))

    if len(fields) != HEADER_FIELDS:
        bad(0, f"the header has {len(fields)} fields, DATEV expects {HEADER_FIELDS}")
        return problems, None
    f = fields.values
    if f[0] != "EXTF" or not fields.quoted(0):
        bad(1, 'must be "EXTF" (quoted, upper case)')
    if f[1] != "700":
        bad(2, f"header version {f[1]!r}, expected 700")
    if f[2] != "21" or f[3] != "Buchungsstapel" or not fields.quoted(3):
        bad(3, 'format must be 21;"Buchungsstapel"')
    if f[4] != "13":
        bad(5, f"format version {f[4]!r}, expected 13 (125 columns)")
    if not _STAMP.match(f[5]):
        bad(6, "creation time must be JJJJMMTTHHMMSSmmm (17 digits)")
    if len(f[7]) > 2:
        bad(8, "origin (Herkunft) has at most 2 characters")
    if len(f[8]) > 25:
        bad(9, "exported by has at most 25 characters")
    if not (f[10].isdigit() and 1001 <= int(f[10]) <= 9_999_999):
        bad(11, f"consultant number {f[10]!r} must be 1001–9999999")
    if not (f[11].isdigit() and 1 <= int(f[11]) <= 99_999):
        bad(12, f"client number {f[11]!r} must be 1–99999")
    fy_start = _date8(f[12])
    if fy_start is None:
        bad(13, f"fiscal year start {f[12]!r} is not a JJJJMMTT date")
    if not (f[13].isdigit() and 4 <= int(f[13]) <= 8):
        bad(14, f"account length {f[13]!r} must be 4–8")
    date_from, date_to = _date8(f[14]), _date8(f[15])
    if date_from is None or date_to is None:
        bad(15, "Datum vom/bis must be JJJJMMTT dates")
    elif date_from > date_to:
        bad(15, "Datum vom is after Datum bis")
    elif date_from.year != date_to.year:
        bad(16, "Datum vom and Datum bis must lie in the same calendar year (#REW04404)")
    elif fy_start is not None:
        fy_end = dt.date(fy_start.year + 1, fy_start.month, fy_start.day)
        if date_from < fy_start or date_to >= fy_end:
            bad(15, "the batch period lies outside the fiscal year")
    if len(f[16]) > 30:
        bad(17, "the label (Bezeichnung) has at most 30 characters")
    if f[17] and not re.match(r"^[A-Z]{2}$", f[17]):
        bad(18, "Diktatkürzel must be empty or 2 upper-case letters")
    if f[18] not in ("1", "2"):
        bad(19, "Buchungstyp must be 1 or 2")
    if f[19] not in ("", "0", "30", "40", "50", "64"):
        bad(20, "Rechnungslegungszweck must be 0, 30, 40, 50 or 64")
    if f[20] not in ("0", "1"):
        bad(21, "Festschreibung must be 0 or 1")
    if not re.match(r"^[A-Z]{3}$", f[21]):
        bad(22, "WKZ must be an ISO currency code")
    if f[26] not in ("03", "04") or not fields.quoted(26):
        bad(27, 'Sachkontenrahmen must be "03" or "04"')
    if problems or date_from is None or date_to is None:
        return problems, None
    return problems, _Header(int(f[13]), f[26], date_from, date_to, f[21])


def _check_account(value: str, header: _Header, column: int, line: int) -> list[Problem]:
    if not value:
        return [Problem(line, column, "account is empty (DATEV would repeat the previous one)")]
    if not _ACCOUNT.match(value) or int(value) == 0:
        return [Problem(line, column, f"account {value!r} is not a number of 1–9 digits")]
    length = header.account_length
    if len(value) <= length:
        return []
    if len(value) == length + 1:
        if value[0] in "789":
            return [Problem(line, column, f"{value} is a creditor; a sale books on a debtor")]
        return []
    return [Problem(line, column, f"account {value} is longer than {length + 1} digits")]


_KURS = re.compile(r"^[1-9]\d{0,3},\d{2,6}$")


def _check_currency(v: list[str], header: _Header, line: int) -> list[Problem]:
    """#3–#6 (reference §3): a foreign Umsatz needs Kurs, Basis-Umsatz and WKZ
    Basis-Umsatz, all three or none; the base is the header's currency (#22)."""
    problems: list[Problem] = []
    foreign = bool(v[2]) and v[2] != header.currency
    filled = [bool(v[3]), bool(v[4]), bool(v[5])]
    if foreign and not all(filled):
        problems.append(Problem(line, 4, f"Umsatz in {v[2]} needs Kurs, Basis-Umsatz and WKZ"))
    if not foreign and any(filled):
        problems.append(Problem(line, 4, "Kurs and Basis-Umsatz only with a foreign WKZ Umsatz"))
    if v[3] and not _KURS.match(v[3]):
        problems.append(
            Problem(line, 4, f"Kurs {v[3]!r} must look like 1,0834 (1–4 digits, 2–6 decimals)")
        )
    if v[4] and (not _AMOUNT.match(v[4]) or int(v[4].replace(",", "")) == 0):
        problems.append(Problem(line, 5, f"Basis-Umsatz {v[4]!r} must be positive with 2 decimals"))
    if v[5] and v[5] != header.currency:
        problems.append(Problem(line, 6, f"WKZ Basis-Umsatz {v[5]!r} must be {header.currency}"))
    return problems


#: Buchungstext and the Beleginfo Inhalte (0-based): no text starting like a formula.
_FORMULA_COLUMNS = (13, *range(21, 36, 2))
#: S/H, WKZ Umsatz, WKZ Basis-Umsatz, Belegfeld 1/2, Buchungstext (0-based): quoted.
_TEXT_COLUMNS = (1, 2, 5, 10, 11, 13)
#: Umsatz, Kurs, Basis-Umsatz, Konto, Gegenkonto, Belegdatum (0-based): not quoted.
_NUMBER_COLUMNS = (0, 3, 4, 6, 7, 9)


def _check_row(fields: _Line, header: _Header, line: int) -> list[Problem]:
    expected = len(BUCHUNGSSTAPEL_COLUMNS)
    if len(fields) != expected:
        return [Problem(line, 0, f"{len(fields)} fields, the heading line has {expected}")]
    problems: list[Problem] = []
    v = fields.values

    def bad(column: int, message: str) -> None:
        problems.append(Problem(line, column, message))

    if fields.control:
        for index, value in enumerate(v):
            if _CONTROL.search(value):
                bad(index + 1, "control characters (line break, tab) are not allowed")
    if not _AMOUNT.match(v[0]):
        bad(1, f"Umsatz {v[0]!r} must be positive with a decimal comma and 2 decimals")
    elif v[0] == "0,00" or int(v[0].replace(",", "")) == 0:
        bad(1, "Umsatz 0,00 is rejected")
    if v[1] not in ("S", "H"):
        bad(2, "Soll/Haben-Kennzeichen must be S or H")
    if v[2] and not _CURRENCY.match(v[2]):
        bad(3, "WKZ Umsatz must be an ISO currency code")
    if v[3] or v[4] or v[5] or (v[2] and v[2] != header.currency):
        problems += _check_currency(v, header, line)  # a euro booking has nothing to check
    problems += _check_account(v[6], header, 7, line)
    problems += _check_account(v[7], header, 8, line)
    if v[6] and v[6] == v[7]:
        bad(8, "Konto and Gegenkonto are the same")
    if v[8]:
        if not _TAX_KEY.match(v[8]):
            bad(9, f"BU-Schlüssel {v[8]!r} must be 1–4 digits")
        for account in (v[6], v[7]):
            if account.isdigit() and int(account) in header.automatic:
                bad(9, f"a tax key on the automatic account {account} is rejected")
    judged = header.belegdatum
    wrong = judged.get(v[9])
    if wrong is None:
        wrong = judged[v[9]] = header.judge_belegdatum(v[9])
    if wrong:
        bad(10, wrong)
    if not v[10]:
        bad(11, "Belegfeld 1 (document number) is empty")
    elif len(v[10]) > 36 or not _BELEGFELD.match(v[10]):
        bad(11, f"Belegfeld 1 {v[10]!r}: at most 36 letters, digits or $ % - /")
    if len(v[11]) > 12 or not _BELEGFELD.match(v[11]):
        bad(12, f"Belegfeld 2 {v[11]!r}: at most 12 letters, digits or $ % - /")
    if v[12] and not _SKONTO.match(v[12]):
        bad(13, f"Skonto {v[12]!r} is not a positive amount")
    if len(v[13]) > 60:
        bad(14, f"Buchungstext has {len(v[13])} characters, at most 60")
    if len(v[19]) > 210:
        bad(20, "Beleglink has at most 210 characters")
    for art in range(20, 36, 2):
        kind, content = v[art], v[art + 1]
        if not kind and not content:
            continue  # an unused pair
        if bool(kind) != bool(content):
            bad(art + 1, "Beleginfo Art and Inhalt must be filled together")
        if len(kind) > 20:
            bad(art + 1, "Beleginfo Art has at most 20 characters")
        if len(content) > 210:
            bad(art + 2, "Beleginfo Inhalt has at most 210 characters")
    if len(v[39]) > 15:
        bad(40, "EU-Land u. UStID has at most 15 characters")
    if v[40] and not _EU_RATE.match(v[40]):
        bad(41, f"EU-Steuersatz {v[40]!r} must look like 20,00")
    if v[113] not in ("", "0", "1"):
        bad(114, "Festschreibung must be empty, 0 or 1")
    for index, name in ((114, "Leistungsdatum"), (115, "Datum Zuord. Steuerperiode")):
        if v[index] and (not _DATE8.match(v[index]) or _ddmmyyyy(v[index]) is None):
            bad(index + 1, f"{name} {v[index]!r} must be a date TTMMJJJJ")
    if v[114] and not v[115]:
        bad(116, "Leistungsdatum needs Datum Zuord. Steuerperiode (reference §7 #13)")
    for index in _FORMULA_COLUMNS:
        if v[index][:1] in _FORMULA_FIRST:
            bad(index + 1, "text starting like a formula must be neutralised with '")
    marks = fields.marks
    for index in _TEXT_COLUMNS:
        if v[index] and marks[index][:1] != '"':
            bad(index + 1, "text must be enclosed in quotes")
    for index in _NUMBER_COLUMNS:
        if marks[index][:1] == '"':
            bad(index + 1, "numbers must not be quoted")
    return problems


def _lines(data: Iterable[bytes]) -> Iterator[tuple[int, bytes]]:
    yield from enumerate(data, start=1)


def validate_lines(data: Iterable[bytes]) -> list[Problem]:
    """Problems of a file given as its raw lines (each with its line end)."""
    problems: list[Problem] = []
    header: _Header | None = None
    rows = 0
    number = 0
    for number, raw in _lines(data):
        if len(problems) >= MAX_PROBLEMS:
            break
        if not raw.endswith(b"\r\n"):
            problems.append(Problem(number, 0, "every line must end with CR LF"))
        try:
            text = raw.rstrip(b"\r\n").decode("cp1252")
        except UnicodeDecodeError as error:
            problems.append(Problem(number, 0, f"not Windows-1252: {error.reason}"))
            continue
        if number > 1 and text.startswith("\ufeff"):
            problems.append(Problem(number, 0, "byte-order mark inside the file"))
        if number == 1 and raw.startswith(b"\xef\xbb\xbf"):
            problems.append(Problem(1, 0, "UTF-8 byte-order mark: the file must be Windows-1252"))
            continue
        if "Ã" in text:
            problems.append(Problem(number, 0, "looks like UTF-8 read as Windows-1252 (Ã)"))
        try:
            fields = _split(text)
        except _Malformed as error:
            problems.append(Problem(number, 0, f"broken quoting: {error}"))
            continue
        if number == 1:
            header_problems, header = _check_header(fields)
            problems += header_problems
        elif number == 2:
            if fields.values != list(BUCHUNGSSTAPEL_COLUMNS):
                problems.append(
                    Problem(2, 0, "the column headings are not those of Buchungsstapel v13")
                )
        elif header is not None:
            rows += 1
            problems += _check_row(fields, header, number)
    if number < 2:
        problems.append(Problem(number or 1, 0, "the file needs a header and a heading line"))
    if rows > MAX_ROWS:
        problems.append(Problem(number, 0, f"{rows} bookings; at most {MAX_ROWS} per file"))
    return problems


def _split_crlf(data: bytes) -> Iterator[bytes]:
    start = 0
    while start < len(data):
        end = data.find(b"\n", start)
        end = len(data) if end == -1 else end + 1
        yield data[start:end]
        start = end


def validate_bytes(data: bytes) -> list[Problem]:
    return validate_lines(_split_crlf(data))


def validate_file(path: Path) -> list[Problem]:
    with path.open("rb") as handle:
        # binary iteration splits at b"\n" and keeps the line end: CR LF is checked per line
        return validate_lines(handle)
