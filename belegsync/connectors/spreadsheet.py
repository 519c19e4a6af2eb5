"""Text that a spreadsheet or DATEV's import shows as text, never evaluates.

A cell that starts with ``=``, ``+``, ``-``, ``@``, a tab or CR is run as a
formula by spreadsheet programs (OWASP "CSV injection"); DATEV files are opened
in them too. Every file export neutralises text from a source with a leading
``'`` — the one rule for the CSV export and the DATEV export.
"""

from __future__ import annotations

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def neutralise(text: str) -> str:
    """A text cell a spreadsheet will show as text, never evaluate."""
    return "'" + text if text.startswith(FORMULA_STARTS) else text
