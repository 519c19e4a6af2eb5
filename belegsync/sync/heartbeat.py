"""Worker heartbeats: each worker process says it is alive every few seconds.

``/healthz`` and the dashboard count the workers seen within :data:`ALIVE`; a
killed worker simply stops beating and drops out.
"""

from __future__ import annotations

import datetime as dt
import logging
import threading

from django.db import DatabaseError, close_old_connections, connection
from django.utils import timezone

from .models import WorkerHeartbeat

log = logging.getLogger("belegsync.sync")

INTERVAL = 5.0
ALIVE = dt.timedelta(seconds=30)


def beat(name: str) -> None:
    now = timezone.now()
    updated = WorkerHeartbeat.objects.filter(name=name).update(seen_at=now)
    if not updated:
        WorkerHeartbeat.objects.get_or_create(
            name=name, defaults={"started_at": now, "seen_at": now}
        )


def alive(now: dt.datetime | None = None) -> int:
    """Workers seen within :data:`ALIVE`."""
    since = (now or timezone.now()) - ALIVE
    return WorkerHeartbeat.objects.filter(seen_at__gte=since).count()


def forget(name: str) -> None:
    WorkerHeartbeat.objects.filter(name=name).delete()


class Heartbeat:
    """A daemon thread beating for ``name`` until :meth:`stop`."""

    def __init__(self, name: str, interval: float = INTERVAL) -> None:
        self.name = name
        self.interval = interval
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="heartbeat", daemon=True)

    def start(self) -> Heartbeat:
        self._thread.start()
        return self

    def _run(self) -> None:
        while not self._stop.is_set():
            try:
                beat(self.name)
            except DatabaseError as error:  # the next beat tries again; healthz shows the gap
                log.warning("heartbeat failed worker=%s error=%s", self.name, type(error).__name__)
            finally:
                close_old_connections()
            self._stop.wait(self.interval)
        connection.close()

    def stop(self) -> None:
        self._stop.set()
        self._thread.join(timeout=self.interval + 5)
        try:
            forget(self.name)
        except DatabaseError:
            log.warning("heartbeat: could not remove worker=%s", self.name)
