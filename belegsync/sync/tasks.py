"""Work as tasks through Django's tasks API: the backend (database, RQ) is a setting."""

from __future__ import annotations

import os
import socket
import threading

from django_tasks import task

from .cycle import run_cycle
from .imports import run as run_import


def worker_name() -> str:
    """Who holds a lease: host and process, and the thread in a threaded worker."""
    name = f"{socket.gethostname()}:{os.getpid()}"
    thread = threading.current_thread()
    return name if thread is threading.main_thread() else f"{name}:{thread.name}"


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


@task()
def import_file(job_id: int) -> dict[str, object]:
    """Read an uploaded file into its connection (:mod:`belegsync.sync.imports`)."""
    job = run_import(job_id, worker_name())
    if job is None:
        return {"ran": False}
    return {"ran": True, "state": job.state, "counts": job.counts}
