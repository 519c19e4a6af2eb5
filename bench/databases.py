"""A throwaway database for one benchmark run: SQLite in a temporary data dir, or a
fresh PostgreSQL database on the server ``--postgres`` names, dropped afterwards.

Call :func:`use` before ``django.setup()``; it returns a function that drops
the PostgreSQL database (a no-op for SQLite).
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Callable
from urllib.parse import urlsplit, urlunsplit


def use(postgres: str | None, prefix: str = "bench") -> Callable[[], None]:
    """Point belegsync at a fresh database; returns how to drop it again."""
    os.environ["BELEGSYNC_DATA_DIR"] = tempfile.mkdtemp(prefix=f"belegsync-{prefix}-")
    if not postgres:
        os.environ.pop("DATABASE_URL", None)
        return lambda: None
    import psycopg

    name = f"belegsync_{prefix}_{os.getpid()}"
    server = urlsplit(postgres)
    admin = urlunsplit(server._replace(path="/postgres"))
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    os.environ["DATABASE_URL"] = urlunsplit(server._replace(path=f"/{name}"))

    def drop() -> None:
        from django.db import connections

        connections.close_all()
        with psycopg.connect(admin, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')

    return drop


def describe() -> str:
    """Which database the run uses, for the report's first line."""
    from django.db import connection

    if connection.vendor == "sqlite":
        return "SQLite (temporary file)"
    return f"PostgreSQL {connection.cursor().connection.info.server_version}"
