"""``belegsync worker``: run sync tasks. Start as many as the database allows.

A sync waits on its remote account's pace most of the time (lexoffice: two
requests a second), so one worker thread serves one account at a time. With
``--threads N`` a worker serves N connections at once: N accounts' limits in
one process. Each thread is a worker of its own for leases and claims.
"""

from __future__ import annotations

import signal
import threading
from typing import Any

from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError
from django.db import connections
from django_tasks import DEFAULT_TASK_BACKEND_ALIAS
from django_tasks_db.management.commands.db_worker import Worker

from belegsync.sync.heartbeat import Heartbeat
from belegsync.sync.tasks import worker_name


class Command(BaseCommand):
    help = "Run queued sync tasks until stopped (SIGTERM finishes the current step)."
    #: Ready to claim within a second of its start. Django's system checks would import
    #: the whole URL configuration first (every page, the REST API and its schemas: most
    #: of a worker's start), which a worker never serves; the web server (`belegsync
    #: run`), `migrate` and `belegsync check` run them.
    requires_system_checks: list[str] = []

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("--interval", type=float, default=1.0, help="seconds between polls")
        parser.add_argument(
            "--threads",
            type=int,
            default=1,
            help="connections served at once (database backend; one database connection each)",
        )

    def handle(self, *args: Any, **opts: Any) -> None:
        if opts["threads"] < 1:
            raise CommandError("--threads must be 1 or more.")
        heartbeat = Heartbeat(worker_name()).start()
        try:
            if opts["threads"] > 1 and settings.CONFIG.task_backend == "database":
                self.work_in_threads(opts["interval"], opts["threads"])
            else:
                self.work(opts["interval"])
        finally:
            heartbeat.stop()

    def work_in_threads(self, interval: float, count: int) -> None:
        """N database workers in threads; SIGTERM lets each finish its task, then stop."""
        workers = [
            Worker(
                queue_names=["*"],
                interval=interval,
                batch=False,
                backend_name=DEFAULT_TASK_BACKEND_ALIAS,
                # claim at once: a worker started for a queue that waits is needed now
                startup_delay=False,
                max_tasks=None,
                worker_id=f"{worker_name()}:{index}"[-64:],
                excluded_queue_names=[],
            )
            for index in range(count)
        ]

        def stop(signum: int, frame: Any) -> None:
            for worker in workers:
                worker.running = False

        signal.signal(signal.SIGTERM, stop)
        signal.signal(signal.SIGINT, stop)
        threads = [
            threading.Thread(target=self._run, args=(worker,), name=f"w{index}")
            for index, worker in enumerate(workers)
        ]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()

    @staticmethod
    def _run(worker: Worker) -> None:
        try:
            worker.run()
        finally:
            connections.close_all()

    def work(self, interval: float) -> None:
        backend = settings.CONFIG.task_backend
        if backend == "rq":
            # django-tasks-rq stores its tasks as its own Job class; plain RQ jobs fail.
            call_command("rqworker", "default", "sync", job_class="django_tasks_rq.backend.Job")
            return
        call_command(
            "db_worker",
            queue_name="*",
            interval=interval,
            reload=False,
            startup_delay=False,
        )
