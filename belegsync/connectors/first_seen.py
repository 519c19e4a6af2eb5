"""Where each key was first seen, in memory that does not grow with the input.

A reader that must report "invoice 1234 already appears on line 17" needs every
number it has read. A dict of a million numbers is most of an import's memory
(issue [speed]: 199 MB peak at 1M invoices), so the recent keys stay in a small
dict and the rest go to a private temporary SQLite file, which SQLite deletes
when it is closed. Memory is bounded by ``recent`` keys plus SQLite's page cache.
"""

from __future__ import annotations

import sqlite3
from types import TracebackType

#: SQLite's page cache for the spilled keys, in KiB (negative: a size, not pages).
_CACHE_KIB = 2048


class FirstSeen:
    """A map key → first line, bounded in memory; use as a context manager."""

    def __init__(self, recent: int = 20_000) -> None:
        self._limit = recent
        self._recent: dict[str, int] = {}
        self._spilled: sqlite3.Connection | None = None

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
            self._spilled.execute("CREATE TABLE seen (key TEXT PRIMARY KEY, line INTEGER)")
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
