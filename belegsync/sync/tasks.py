"""Work as tasks through Django's tasks API: the backend (database, RQ) is a setting."""

from __future__ import annotations

import os
import socket

from django_tasks import task

from .cycle import run_cycle


def worker_name() -> str:
    return f"{socket.gethostname()}:{os.getpid()}"


@task(queue_name="sync")
def sync_connection(connection_id: int) -> dict[str, object]:
    report = run_cycle(connection_id, worker_name())
    return {
        "ran": report.ran,
        "transferred": report.transferred,
        "failed": report.failed,
        "retried": report.retried,
        "note": report.note,
    }


def enqueue_sync(connection_id: int) -> None:
    sync_connection.enqueue(connection_id)
