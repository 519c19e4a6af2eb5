"""Broken Rechnungsliste files: each must give a clear error and change nothing."""

from __future__ import annotations

from tests.reference import REFERENCE as REFERENCE_DIR

REFERENCE = REFERENCE_DIR / "afterbuy" / "examples"
SAMPLE_UTF8 = REFERENCE / "rechnungsliste_synthesised_utf8.csv"
SAMPLE_CP1252 = REFERENCE / "rechnungsliste_synthesised_cp1252.csv"


def _sample() -> str:
    return SAMPLE_UTF8.read_bytes().decode("utf-8")


def _replace_cell(text: str, number: str, old: str, new: str) -> str:
    lines = text.split("\r\n")
    for index, line in enumerate(lines):
        if line.startswith(number + ";"):
            lines[index] = line.replace(old, new, 1)
    return "\r\n".join(lines)


def broken_files() -> dict[str, bytes]:
    """name → content; the expected code or problem column is in EXPECTED."""
    text = _sample()
    raw = text.encode("utf-8")
    header, *_ = text.split("\r\n")
    return {
        "zero_bytes": b"",
        "empty_lines": b"\r\n\r\n  \r\n",
        "only_header": (header + "\r\n").encode("utf-8"),
        "binary_junk": bytes(range(256)) * 40,
        "png": b"\x89PNG\r\n\x1a\n" + bytes(range(200)) * 20,
        # cut off in the middle of the quoted street of invoice 24192
        "truncated_in_quote": raw[: raw.index(b'"Hauptstr. 5;') + 8],
        # cut off in the middle of a row: too few fields
        "truncated_row": raw[: raw.index(b"24193;") + 40],
        # UTF-8 at the start, Windows-1252 bytes after the first 64 KiB
        "wrong_encoding": (header + "\r\n").encode("utf-8")
        + (text.split("\r\n", 1)[1] * 60).encode("utf-8")
        + text.split("\r\n")[1].replace("Köhler", "K\udcf6hler").encode("utf-8", "surrogateescape"),
        "missing_column": text.replace("Gesamtbetrag brutto", "Summe").encode("utf-8"),
        "bad_number": _replace_cell(text, "24189", "19,99", "19,99,1").encode("utf-8"),
        "bad_date": _replace_cell(text, "24189", "29.11.2024", "31.02.2024").encode("utf-8"),
        "formula_name": _replace_cell(
            text, "24189", "Weiß", '"=HYPERLINK(""http://evil.example"";""Klick"")"'
        ).encode("utf-8"),
    }


#: name → (file-level error code or None, column named in a row problem or None)
EXPECTED: dict[str, tuple[str | None, str | None]] = {
    "zero_bytes": ("csv.empty", None),
    "empty_lines": ("csv.empty", None),
    "only_header": (None, None),
    "binary_junk": ("csv.unknown_encoding", None),
    "png": ("csv.unknown_encoding", None),
    "truncated_in_quote": ("csv.malformed", None),
    "truncated_row": (None, ""),
    "wrong_encoding": ("csv.encoding_changed", None),
    "missing_column": ("csv.missing_columns", None),
    "bad_number": (None, "Bereits bezahlt"),
    "bad_date": (None, "Rechnungsdatum"),
    "formula_name": (None, "Nachname"),
}
