"""Where each key was first seen, in memory that does not grow with the input.

A reader that must report "invoice 1234 already appears on line 17" needs every
number it has read. A dict of a million numbers is most of an import's memory
(issue [speed]: 199 MB peak at 1M invoices), so the recent keys stay in a small
dict and the rest go to a private temporary SQLite file, which SQLite deletes
when it is closed. Memory is bounded by ``recent`` keys plus SQLite's page cache,
plus a filter of fixed size in front of the file: nearly every key a reader asks for
is new, and a key the filter has never seen needs no look-up in the file (a query
costs several times a dict's look-up).
"""

from __future__ import annotations

import sqlite3
from types import TracebackType

#: SQLite's page cache for the spilled keys, in KiB (negative: a size, not pages).
_CACHE_KIB = 2048
#: The filter in front of the spilled keys: 2**23 bits (1 MiB), three of them a key. A
#: key with any of its bits clear was never spilled; at a million spilled keys about
#: 4 % of the new keys still find all three set and are looked up.
_FILTER_BITS = 23
_FILTER_MASK = (1 << _FILTER_BITS) - 1


def _filter_bits(key: str) -> tuple[int, int, int]:
    """The key's three bits in the filter (from its hash: one process fills and reads it)."""
    h = hash(key) & 0xFFFF_FFFF_FFFF_FFFF
    return h & _FILTER_MASK, (h >> 20) & _FILTER_MASK, (h >> 41) & _FILTER_MASK


class FirstSeen:
    """A map key → first line, bounded in memory; use as a context manager."""

    def __init__(self, recent: int = 20_000) -> None:
        self._limit = recent
        self._recent: dict[str, int] = {}
        self._spilled: sqlite3.Connection | None = None
        self._filter = bytearray()

    def __enter__(self) -> FirstSeen:
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        trace: TracebackType | None,
    ) -> None:
        self.close()

    def first(self, key: str) -> int | None:
        """The line ``key`` was added with, None when it was never added."""
        line = self._recent.get(key)
        if line is not None or self._spilled is None:
            return line
        bits = self._filter
        for bit in _filter_bits(key):
            if not bits[bit >> 3] & (1 << (bit & 7)):
                return None  # never spilled
        row = self._spilled.execute("SELECT line FROM seen WHERE key = ?", (key,)).fetchone()
        return None if row is None else int(row[0])

    def add(self, key: str, line: int) -> None:
        """Remember a key :meth:`first` did not know, seen at ``line``."""
        self._recent[key] = line
        if len(self._recent) >= self._limit:
            self._spill()

    def _spill(self) -> None:
        if self._spilled is None:
            # "" is a private on-disk database that SQLite removes on close
            self._spilled = sqlite3.connect("", isolation_level=None)
            self._spilled.execute(f"PRAGMA cache_size = -{_CACHE_KIB}")
            self._spilled.execute("PRAGMA journal_mode = OFF")
            self._spilled.execute("PRAGMA synchronous = OFF")
            # keyed by the key alone (no rowid and second index): half the writing of a spill
            self._spilled.execute(
                "CREATE TABLE seen (key TEXT PRIMARY KEY, line INTEGER) WITHOUT ROWID"
            )
            self._filter = bytearray(1 << (_FILTER_BITS - 3))
        bits = self._filter
        for key in self._recent:
            for bit in _filter_bits(key):
                bits[bit >> 3] |= 1 << (bit & 7)
        self._spilled.execute("BEGIN")
        self._spilled.executemany(
            "INSERT OR IGNORE INTO seen (key, line) VALUES (?, ?)", self._recent.items()
        )
        self._spilled.execute("COMMIT")
        self._recent.clear()

    def close(self) -> None:
        if self._spilled is not None:
            self._spilled.close()
            self._spilled = None
        self._recent.clear()
        self._filter = bytearray()
