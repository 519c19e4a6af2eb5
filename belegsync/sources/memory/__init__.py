"""An in-process source for tests and the demo: documents handed to it in memory.

Each connection (by id) has a list of :class:`SourceDocument` with a change
counter; the cursor is the counter of the last change seen, like a source that
reports "changed since".
"""

from __future__ import annotations

import datetime as dt
import threading
from collections.abc import Iterator
from typing import ClassVar

from django.utils.translation import gettext_lazy

from belegsync.connectors.base import AdapterContext, Cursor, FetchResult, SourceDocument

PAGE_SIZE = 100


class MemoryStore:
    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.changes: dict[int, list[SourceDocument]] = {}
        self.pdfs: dict[str, bytes] = {}
        self.transferred: dict[int, list[str]] = {}

    def add(self, connection_id: int, *documents: SourceDocument) -> None:
        with self.lock:
            self.changes.setdefault(connection_id, []).extend(documents)

    def clear(self) -> None:
        with self.lock:
            self.changes.clear()
            self.pdfs.clear()
            self.transferred.clear()


STORE = MemoryStore()


class MemorySource:
    identifier: ClassVar[str] = "memory"
    verbose_name: ClassVar[str] = gettext_lazy("Demo and test source (in memory)")  # type: ignore[assignment]

    def __init__(self, context: AdapterContext) -> None:
        self.context = context

    def fetch(self, cursor: Cursor, now: dt.datetime) -> Iterator[FetchResult]:
        seen = int(cursor.value or 0)
        with STORE.lock:
            changes = list(STORE.changes.get(self.context.connection_id, []))
        while seen < len(changes):
            page = changes[seen : seen + PAGE_SIZE]
            seen += len(page)
            yield FetchResult(page, Cursor(str(seen)), more=seen < len(changes))

    def pdf(self, document: SourceDocument) -> bytes | None:
        return STORE.pdfs.get(document.voucher.number)

    def mark_transferred(self, document: SourceDocument) -> None:
        with STORE.lock:
            STORE.transferred.setdefault(self.context.connection_id, []).append(
                document.voucher.number
            )
