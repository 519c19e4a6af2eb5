"""Is belegsync healthy? The database answers, and (when asked) a sync worker is alive.

One check behind ``/healthz`` and the API's ``/api/v1/health``.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

from django.db import DatabaseError, connection

from .heartbeat import alive

log = logging.getLogger("belegsync.sync")


@dataclass(frozen=True)
class Health:
    database: bool
    #: Workers seen alive; None when not asked.
    workers: int | None = None

    @property
    def ok(self) -> bool:
        return self.database and self.workers != 0


def check(workers: bool = False) -> Health:
    """The database's answer to ``SELECT 1``, and the live workers when ``workers``."""
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            cursor.fetchone()
    except DatabaseError as error:
        log.warning("health: database check failed: %s", type(error).__name__)
        return Health(database=False)
    return Health(database=True, workers=alive() if workers else None)
