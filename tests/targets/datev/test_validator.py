"""The validator accepts the reference example and rejects each way of breaking it
that the reference lists as a reason DATEV rejects a file (README §7)."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from belegsync.targets.datev.validator import _Malformed, _split, split_fields, validate_bytes
from tests.reference import REFERENCE

GOLDEN = REFERENCE / "datev" / "examples" / "buchungsstapel-example.csv"


def lines() -> list[str]:
    return GOLDEN.read_bytes().decode("cp1252").split("\r\n")[:-1]


def join(ls: list[str], encoding: str = "cp1252", end: str = "\r\n") -> bytes:
    return "".join(ln + end for ln in ls).encode(encoding)


def field(ls: list[str], line: int, index: int, value: str) -> list[str]:
    """``ls`` with 1-based field ``index`` of 0-based ``line`` replaced (no quotes in it)."""
    parts = ls[line].split(";")
    parts[index - 1] = value
    ls = list(ls)
    ls[line] = ";".join(parts)
    return ls


def test_it_accepts_the_reference_example() -> None:
    assert validate_bytes(GOLDEN.read_bytes()) == []


BROKEN: dict[str, tuple[Callable[[], bytes], int]] = {
    # name: (broken file, DATEV field number the problem is reported on; 0 = line)
    "column headings first, no header": (lambda: join(lines()[1:]), 0),
    "header with 30 fields": (lambda: join([lines()[0].rsplit(";", 1)[0], *lines()[1:]]), 0),
    "lower-case extf": (lambda: join(field(lines(), 0, 1, '"extf"')), 1),
    "unquoted EXTF": (lambda: join(field(lines(), 0, 1, "EXTF")), 1),
    "format name does not match category": (
        lambda: join(field(lines(), 0, 4, '"Debitoren/Kreditoren"')),
        3,
    ),
    "old format version": (lambda: join(field(lines(), 0, 5, "7")), 5),
    "consultant number too small": (lambda: join(field(lines(), 0, 11, "999")), 11),
    "client number too large": (lambda: join(field(lines(), 0, 12, "100000")), 12),
    "account length 3": (lambda: join(field(lines(), 0, 14, "3")), 14),
    "period across two years": (lambda: join(field(lines(), 0, 16, "20270115")), 16),
    "period before the fiscal year": (
        lambda: join(field(field(lines(), 0, 13, "20260701"), 0, 16, "20260630")),
        15,
    ),
    "chart unquoted": (lambda: join(field(lines(), 0, 27, "03")), 27),
    "headings of another version": (
        lambda: join([lines()[0], lines()[1].rsplit(";", 1)[0], *lines()[2:]]),
        0,
    ),
    "decimal dot": (lambda: join(field(lines(), 2, 1, "119.00")), 1),
    "thousands separator": (lambda: join(field(lines(), 2, 1, "1.119,00")), 1),
    "negative amount": (lambda: join(field(lines(), 2, 1, "-119,00")), 1),
    "zero amount": (lambda: join(field(lines(), 2, 1, "0,00")), 1),
    "one decimal": (lambda: join(field(lines(), 2, 1, "119,0")), 1),
    "side X": (lambda: join(field(lines(), 2, 2, '"X"')), 2),
    "empty Konto": (lambda: join(field(lines(), 2, 7, "")), 7),
    "Konto equals Gegenkonto": (lambda: join(field(lines(), 2, 8, "10000")), 8),
    "creditor as debtor": (lambda: join(field(lines(), 2, 7, "70000")), 7),
    "account too long": (lambda: join(field(lines(), 2, 7, "1000000")), 7),
    "tax key on automatic account": (lambda: join(field(lines(), 2, 9, '"3"')), 9),
    "Belegdatum without leading zero": (lambda: join(field(lines(), 2, 10, "306")), 10),
    "Belegdatum as full date": (lambda: join(field(lines(), 2, 10, "03062026")), 10),
    "Belegdatum outside the period": (lambda: join(field(lines(), 2, 10, "0307")), 10),
    "Belegdatum not a date": (lambda: join(field(lines(), 2, 10, "3102")), 10),
    "Belegfeld 1 with a space": (lambda: join(field(lines(), 2, 11, '"RE 2026.1001"')), 11),
    "Belegfeld 1 with umlaut": (lambda: join(field(lines(), 2, 11, '"RE-Müller-1"')), 11),
    "Belegfeld 1 with #": (lambda: join(field(lines(), 2, 11, '"RE#1001"')), 11),
    "Belegfeld 1 longer than 36": (lambda: join(field(lines(), 2, 11, '"' + "R" * 37 + '"')), 11),
    "Belegfeld 1 empty": (lambda: join(field(lines(), 2, 11, "")), 11),
    "Belegfeld 2 longer than 12": (lambda: join(field(lines(), 2, 12, '"1234567890123"')), 12),
    "Buchungstext longer than 60": (lambda: join(field(lines(), 2, 14, '"' + "x" * 61 + '"')), 14),
    "Beleginfo Art without Inhalt": (lambda: join(field(lines(), 2, 22, "")), 21),
    "EU rate with dot": (lambda: join(field(lines(), 6, 41, "20.00")), 41),
    "Festschreibung 2": (lambda: join(field(lines(), 2, 114, "2")), 114),
    "Leistungsdatum without Datum Zuord. Steuerperiode": (
        lambda: join(field(lines(), 2, 115, "02062026")),
        116,
    ),
    "Leistungsdatum not a date": (
        lambda: join(field(field(lines(), 2, 115, "31022026"), 2, 116, "03062026")),
        115,
    ),
    "Buchungstext starting like a formula": (
        lambda: join(field(lines(), 2, 14, '"=HYPERLINK(1)"')),
        14,
    ),
    "Beleginfo Inhalt starting like a formula": (
        lambda: join(field(lines(), 2, 22, '"@SUM(1)"')),
        22,
    ),
    "unescaped quote shifts the columns": (
        lambda: join(field(lines(), 2, 14, '"RE-2026-1001 "Müller""')),
        0,
    ),
    "unquoted semicolon in text": (lambda: join(field(lines(), 2, 14, '"a";"b"')), 0),
    "line break inside text": (lambda: join(field(lines(), 2, 14, '"a\nb"')), 0),
    "tab inside text": (lambda: join(field(lines(), 2, 14, '"a\tb"')), 14),
    "quoted amount": (lambda: join(field(lines(), 2, 1, '"119,00"')), 1),
    "unquoted Belegfeld": (lambda: join(field(lines(), 2, 11, "RE-2026-1001")), 11),
    "LF line ends": (lambda: join(lines(), end="\n"), 0),
    "UTF-8 encoding": (lambda: join(lines(), encoding="utf-8"), 0),
    "UTF-8 with BOM": (lambda: b"\xef\xbb\xbf" + join(lines(), encoding="utf-8"), 0),
    "row with an extra column": (lambda: join([*lines()[:2], lines()[2] + ";"]), 0),
}


@pytest.mark.parametrize("name", list(BROKEN))
def test_it_rejects_a_broken_file(name: str) -> None:
    make, column = BROKEN[name]
    problems = validate_bytes(make())
    assert problems, f"{name} was accepted"
    assert column in {p.column for p in problems}, [str(p) for p in problems]


def test_it_names_line_and_field_in_plain_words() -> None:
    [problem] = validate_bytes(join(field(lines(), 2, 1, "119.00")))
    assert str(problem).startswith("line 3, field 1: ")
    assert "decimal comma" in str(problem)


@settings(max_examples=400, deadline=None)
@given(st.text(alphabet='a;"1,\r ', max_size=24))
def test_the_fast_split_reads_every_line_as_the_exact_splitter_does(line: str) -> None:
    """The csv-module split gives the same values and quoting as the character splitter,
    and refuses exactly the lines it refuses."""
    try:
        exact = split_fields(line)
    except _Malformed:
        with pytest.raises(_Malformed):
            _split(line)
        return
    fast = _split(line)
    assert fast.values == [f.value for f in exact]
    assert [fast.quoted(i) for i in range(len(fast))] == [f.quoted for f in exact]
