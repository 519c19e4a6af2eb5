"""Is belegsync healthy? The database answers, and (when asked) a sync worker is alive.

One check behind ``/healthz`` and the API's ``/api/v1/health``.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

from django.db import DatabaseError, connection

from belegsync.lib.crypto import UnreadableSecret

from .heartbeat import alive

log = logging.getLogger("belegsync.sync")


@dataclass(frozen=True)
class Health:
    database: bool
    #: Workers seen alive; None when not asked.
    workers: int | None = None
    #: The stored credentials decrypt with the configured keys; None when the database is down.
    secrets: bool | None = None

    @property
    def ok(self) -> bool:
        return self.database and bool(self.secrets) and self.workers != 0


def check(workers: bool = False) -> Health:
    """The database's answer to ``SELECT 1``, whether the stored credentials decrypt, and
    the live workers when ``workers``: the checks both ``/healthz`` and the API answer."""
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            cursor.fetchone()
    except DatabaseError as error:
        log.warning("health: database check failed: %s", type(error).__name__)
        return Health(database=False)
    return Health(database=True, workers=alive() if workers else None, secrets=secrets_readable())


def secrets_readable() -> bool:
    """Do the oldest and the newest stored credentials decrypt (a wrong or missing key)?"""
    from belegsync.documents.models import Connection

    stored = Connection.objects.exclude(credentials="").only("credentials")
    try:
        for row in (stored.order_by("pk").first(), stored.order_by("-pk").first()):
            if row is not None:
                _ = row.credentials
    except UnreadableSecret:
        log.error("health: stored credentials do not decrypt with BELEGSYNC_FERNET_KEYS")
        return False
    return True
