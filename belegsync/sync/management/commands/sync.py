"""``belegsync sync``: run one sync cycle now, in the foreground ("sync now" on the CLI)."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError

from belegsync.documents.models import Connection
from belegsync.sync.cycle import run_cycle
from belegsync.sync.tasks import worker_name


class Command(BaseCommand):
    help = "Fetch and transfer now for one connection (--connection ID) or all active ones."

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("--connection", type=int, action="append", default=[])

    def handle(self, *args: Any, **opts: Any) -> None:
        ids = opts["connection"] or list(
            Connection.objects.filter(
                enabled=True, paused_reason="", setup_complete=True, archived_at__isnull=True
            )
            .order_by("pk")
            .values_list("pk", flat=True)
        )
        unknown = set(ids) - set(Connection.objects.filter(pk__in=ids).values_list("pk", flat=True))
        if unknown:
            raise CommandError(f"No connection with id {', '.join(map(str, sorted(unknown)))}.")
        for pk in ids:
            report = run_cycle(pk, worker_name())
            self.stdout.write(
                f"connection {pk}: fetched {report.fetched.created + report.fetched.updated}, "
                f"transferred {report.transferred}, failed {report.failed}, "
                f"retry later {report.retried}" + (f" ({report.note})" if report.note else "")
            )
