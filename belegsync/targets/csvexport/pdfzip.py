"""A ZIP of the documents' PDFs, each named by its invoice or credit-note number.

Entries are written one by one (``ZIP_STORED``: PDFs are compressed already), so
only one PDF is in memory at a time. Names: the number with characters Windows
and macOS do not allow in file names (``/ \\ : * ? " < > |``, control characters)
replaced by ``_``; a second document with the same name (two shops, same number)
gets ``-2``, ``-3`` … before ``.pdf``.
"""

from __future__ import annotations

import re
import zipfile
from pathlib import Path

_UNSAFE = re.compile(r'[\\/:*?"<>|\x00-\x1f\x7f]')


class NoPdf(Exception):
    """The document has no PDF to put in the ZIP."""


def pdf_name(number: str) -> str:
    name = _UNSAFE.sub("_", number).strip(" .") or "document"
    return f"{name}.pdf"


class PdfZipWriter:
    def __init__(self, path: Path) -> None:
        self.path = path
        self._zip = zipfile.ZipFile(path, "w", compression=zipfile.ZIP_STORED)
        self._names: set[str] = set()

    def add(self, number: str, pdf: bytes | None) -> str:
        """Add the PDF as ``<number>.pdf``; returns the name it got in the ZIP."""
        if not pdf:
            raise NoPdf("The source provided no PDF for this document.")  # export.no_pdf
        name = pdf_name(number)
        stem, counter = name[:-4], 1
        while name.lower() in self._names:
            counter += 1
            name = f"{stem}-{counter}.pdf"
        self._names.add(name.lower())
        self._zip.writestr(name, pdf)
        return name

    def finish(self) -> list[Path]:
        self._zip.close()
        return [self.path]

    def abort(self) -> None:
        self._zip.close()
