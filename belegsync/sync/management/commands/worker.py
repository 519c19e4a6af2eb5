"""``belegsync worker``: run sync tasks. Start as many as the database allows."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand

from belegsync.sync.heartbeat import Heartbeat
from belegsync.sync.tasks import worker_name


class Command(BaseCommand):
    help = "Run queued sync tasks until stopped (SIGTERM finishes the current step)."

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("--interval", type=float, default=1.0, help="seconds between polls")

    def handle(self, *args: Any, **opts: Any) -> None:
        heartbeat = Heartbeat(worker_name()).start()
        try:
            self.work(opts["interval"])
        finally:
            heartbeat.stop()

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
