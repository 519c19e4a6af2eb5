"""What an exception says about belegsync's footing: the database locked, full or
unreachable, or the stored secrets unreadable with the configured keys.

The web answers these with a page that says so (503) and the CLI with one line,
instead of a traceback: none of them is a bug, each has one thing to do.
"""

from __future__ import annotations

from enum import StrEnum

from django.db import OperationalError as DjangoOperationalError

from .crypto import UnreadableSecret


class Outage(StrEnum):
    LOCKED = "locked"  # another process holds SQLite's write lock past the busy timeout
    FULL = "full"  # the disk (or SQLite's page limit) is full
    UNREACHABLE = "unreachable"  # the database server does not answer
    KEYS = "keys"  # stored credentials do not decrypt with BELEGSYNC_FERNET_KEYS


#: Words of SQLite and PostgreSQL errors (sqlite3 / psycopg messages) by outage.
_WORDS = {
    Outage.LOCKED: ("database is locked", "database table is locked"),
    Outage.FULL: ("disk is full", "no space left", "could not extend file", "disk full"),
    Outage.UNREACHABLE: (
        "could not connect",
        "connection refused",
        "connection failed",
        "too many clients",
        "server closed the connection",
        "terminating connection",
        "unable to open database file",
    ),
}


def outage_of(error: BaseException) -> Outage | None:
    """The outage ``error`` (or what caused it) reports, if it is one."""
    seen: set[int] = set()
    current: BaseException | None = error
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        if isinstance(current, UnreadableSecret):
            return Outage.KEYS
        if isinstance(current, DjangoOperationalError) or type(current).__name__ in (
            "OperationalError",
            "DiskFull",
        ):
            said = str(current).lower()
            for outage, words in _WORDS.items():
                if any(word in said for word in words):
                    return outage
        current = current.__cause__ or current.__context__
    return None


#: One line for the CLI, per outage (English: the operator's log).
LINES = {
    Outage.LOCKED: "the database is locked by another belegsync process; try again in a moment.",
    Outage.FULL: "the disk of the database is full; free space, then try again.",
    Outage.UNREACHABLE: "the database does not answer; check DATABASE_URL and the server.",
    Outage.KEYS: (
        "stored credentials cannot be decrypted: BELEGSYNC_FERNET_KEYS (or "
        "$BELEGSYNC_DATA_DIR/fernet.key) does not hold the key they were saved with."
    ),
}
