"""The file check finds exactly what it found before its speed work, problem for problem.

The oracle is the validator of main at e9dd04a (``validator_e9dd04a.py``, frozen).
Files are the recorded exports of the varied set and the reference example, broken
at random: a field replaced by a value near a rule's edge (amounts, dates, accounts,
quotes, ``;`` inside quotes, control characters, formula starts, lengths), characters
inserted or removed, lines dropped or repeated, other line ends, bytes Windows-1252
does not have. The number of files is bounded by ``BELEGSYNC_FUZZ_CASES`` (default 8,
x 50 here).
"""

from __future__ import annotations

import os
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from belegsync.targets.datev import validator
from tests.reference import REFERENCE

from . import validator_e9dd04a as before

CASES = int(os.environ.get("BELEGSYNC_FUZZ_CASES", "8")) * 50
BOUNDED = settings(max_examples=CASES, deadline=None, suppress_health_check=[HealthCheck.too_slow])

FILES = [
    REFERENCE / "datev" / "examples" / "buchungsstapel-example.csv",
    *sorted((Path(__file__).parent / "golden").glob("*/*.csv")),
]
EDGES = [
    "",
    '""',
    '"',
    "0,00",
    "0,01",
    "1,00",
    "44,95",
    "9999999999,99",
    "10000000000,00",
    "1.00",
    '"44,95"',
    "-1,00",
    "1,0834",
    "0,9412",
    "10000,00",
    '"S"',
    '"H"',
    "S",
    '"s"',
    '"EUR"',
    '"USD"',
    '"eur"',
    "EUR",
    "0",
    "1",
    "2",
    "8400",
    "8401",
    "10000",
    "70000",
    "123456",
    "1234567890",
    '"240"',
    "240",
    "12345",
    "0101",
    "3112",
    "2902",
    "3002",
    "0113",
    "101",
    "01012026",
    "31022026",
    "20260101",
    '"RE-1"',
    '"RE 1"',
    '"' + "R" * 36 + '"',
    '"' + "R" * 37 + '"',
    '"' + "x" * 60 + '"',
    '"' + "x" * 61 + '"',
    '"' + "x" * 210 + '"',
    '"' + "x" * 211 + '"',
    '"a;b"',
    '"a""b"',
    'a"b',
    '"ab"c',
    '"=SUM(A1)"',
    '"+49"',
    '"-1"',
    '"@x"',
    "'=x",
    '"a\tb"',
    '"a\rb"',
    '"a\nb"',
    "\x7f",
    '"Ã¼"',
    '"03"',
    "03",
    '"04"',
    '"20,00"',
    "20,00",
    "2000",
    '"AT"',
    '"ATU13585627XXXXX"',
]
AMOUNTS = ["0,00", "0,01", "1,00", "9999999999,99", "10000000000,00", "1.00", '"1,00"', "-1,00"]
DATES = ["01012026", "31022026", "29022028", "20260101", "0101202", '"01012026"']
TEXTS = ['"=x"', '"+x"', '"-x"', '"@x"', '"\'=x"', '"x=y"', "x"]


def lengths(*limits: int) -> list[str]:
    return [f'"{"x" * n}"' for limit in limits for n in (limit, limit + 1)]


#: Values at the edge of each rule, by the field (0-based) it reads.
NEAR = {
    0: AMOUNTS,
    1: ['"S"', '"H"', "S", '"s"', '""'],
    2: ['"EUR"', '"USD"', '"eur"', "EUR", '"EURO"', '"EU"', '""'],
    3: ["1,0834", "0,9412", "10000,00", "1,0", "1,1234567", '"1,08"'],
    4: AMOUNTS,
    5: ['"EUR"', '"USD"', "EUR", '""'],
    6: ["0", "8400", "10000", "70000", "123456", "1234567890", "12345", '"10000"'],
    7: ["0", "8400", "8401", "4400", "84000", "10000", "70000", '"8400"'],
    8: ['"240"', "240", '"12345"', '"9"', '"x"'],
    9: ["0101", "3112", "2902", "0113", "101", "01012026", '"0101"'],
    10: ['"RE-1"', '"RE 1"', '"a$%-/"', '""', *lengths(36)],
    11: ['"RE-1"', '"RE 1"', *lengths(12)],
    12: ["1,00", "0,50", "100000000,00", '"1,00"'],
    13: [*TEXTS, *lengths(60)],
    19: lengths(210),
    **{art: ['"Bestellnummer"', '""', *lengths(20)] for art in range(20, 36, 2)},
    **{inhalt: [*TEXTS, '""', *lengths(210)] for inhalt in range(21, 36, 2)},
    39: ['"AT"', '"EL"', *lengths(15)],
    40: ["20,00", "7,00", "2000", '"20,00"'],
    113: ["0", "1", "2", '"1"'],
    114: DATES,
    115: DATES,
}
PAIRS = [(index, value) for index, values in NEAR.items() for value in values]
FIELD_TEXT = st.text(alphabet='0123456789,;"SHEUR=-x \t', max_size=14)


@st.composite
def broken_files(draw: st.DrawFn) -> bytes:
    path = draw(st.sampled_from(FILES))
    lines = path.read_bytes().decode("cp1252").split("\r\n")[:-1]
    for _ in range(draw(st.integers(0, 4))):
        # mostly a booking, sometimes the header or the headings
        first = 0 if draw(st.integers(0, 9)) == 0 else min(2, len(lines) - 1)
        at = draw(st.integers(first, len(lines) - 1))
        how = draw(st.sampled_from(["field"] * 6 + ["char", "drop", "repeat"]))
        if how == "field":
            parts = lines[at].split(";")
            if draw(st.integers(0, 9)) < 7:
                index, value = draw(st.sampled_from(PAIRS))  # each edge of each rule
            else:
                index = draw(st.integers(0, len(parts) - 1))
                value = draw(st.one_of(st.sampled_from(EDGES), FIELD_TEXT))
            parts[min(index, len(parts) - 1)] = value
            lines[at] = ";".join(parts)
        elif how == "char":
            text = lines[at]
            where = draw(st.integers(0, len(text)))
            cut = draw(st.integers(0, 2))
            lines[at] = (
                text[:where]
                + draw(st.sampled_from(['"', ";", "\t", "", "Ã", "a"]))
                + (text[where + cut :])
            )
        elif how == "drop" and len(lines) > 1:
            del lines[at]
        else:
            lines.insert(at, lines[at])
    end = draw(st.sampled_from(["\r\n"] * 18 + ["\n", "\r"]))
    data = "".join(line + end for line in lines).encode("cp1252")
    if draw(st.integers(0, 9)) == 0:
        data = draw(st.sampled_from([b"\xef\xbb\xbf", b"", b"\x81;"])) + data
    if draw(st.integers(0, 9)) == 0:
        data = data.rstrip(b"\r\n")
    return data


def found(module: object, data: bytes) -> list[tuple[int, int, str]]:
    problems = module.validate_bytes(data)  # type: ignore[attr-defined]
    return [(p.line, p.column, p.message) for p in problems]


@BOUNDED
@given(broken_files())
def test_it_finds_in_every_file_what_it_found_before(data: bytes) -> None:
    assert found(validator, data) == found(before, data)


def test_the_recorded_files_pass_both() -> None:
    for path in FILES:
        assert found(validator, path.read_bytes()) == found(before, path.read_bytes()) == []


@BOUNDED
@given(st.text(alphabet='a;"1,\r\n\t\x7f ', max_size=30))
def test_it_splits_every_line_as_before(line: str) -> None:
    def split(module: object) -> object:
        try:
            fields = module._split(line)  # type: ignore[attr-defined]
        except (validator._Malformed, before._Malformed) as error:
            return ("malformed", str(error))
        return (fields.values, [fields.quoted(i) for i in range(len(fields))], fields.control)

    assert split(validator) == split(before)
