"""``belegsync import FORMAT FILE --connection NAME``: the upload page on the command line.

One command for every file source: FORMAT names the kind of file
(``afterbuy-csv``), and the connection's source must read it. The import runs
in this process and prints what the result page shows.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from belegsync.connectors import registry
from belegsync.documents.models import Connection
from belegsync.reasons import file_problem
from belegsync.services import Actor
from belegsync.services import imports as services
from belegsync.sync.models import ImportJob, ImportOutcome


def file_formats() -> dict[str, list[str]]:
    """File format → the source kinds that read it."""
    formats: dict[str, list[str]] = {}
    for kind in registry.SOURCES:
        fmt = getattr(registry.source_class(kind), "file_format", None)
        if fmt:
            formats.setdefault(fmt, []).append(kind)
    return formats


def summary_lines(job: ImportJob) -> list[str]:
    """The result as the upload page shows it, in plain lines."""
    details = job.details or {}
    lines = [
        f"file:      {job.filename} ({job.size} bytes"
        + "".join(f", {k} {v}" for k, v in details.items())
        + ")",
        f"import:    #{job.pk}",
    ]
    if job.file_error:
        lines.append(f"error:     {file_problem(job.file_error)}")
        if job.file_error.get("headers"):
            lines.append("headers:   " + " | ".join(job.file_error["headers"]))
        return lines
    for outcome in ImportOutcome:
        count = job.count(outcome)
        if count or outcome in (ImportOutcome.CREATED, ImportOutcome.REJECTED):
            lines.append(f"{outcome.value + ':':<20} {count}  ({outcome.label})")
    if job.mode == ImportJob.Mode.NOTHING and job.problems_total:
        lines.append("Nothing was imported (mode 'nothing'): correct the file and upload again.")
    for problem in job.problems[:200]:
        lines.append(f"  - {file_problem(problem)}")
    if job.problems_total > min(len(job.problems), 200):
        lines.append(f"  … and {job.problems_total - min(len(job.problems), 200)} more problems")
    return lines


def could_import(job: ImportJob) -> bool:
    if job.state != ImportJob.State.DONE:
        return False
    if job.mode == ImportJob.Mode.NOTHING and job.problems_total:
        return False
    readable = (
        job.stored
        + job.count(ImportOutcome.UNCHANGED)
        + job.count(ImportOutcome.SKIPPED)
        + job.count(ImportOutcome.ALREADY_TRANSFERRED)
    )
    return readable > 0


class Command(BaseCommand):
    help = "Import a file (e.g. an Afterbuy Rechnungsliste) into a connection."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("format", choices=sorted(file_formats()), metavar="FORMAT")
        parser.add_argument("file", type=Path)
        parser.add_argument("--connection", required=True, help="the connection's name")
        parser.add_argument("--organisation", help="organisation slug, if names repeat")
        parser.add_argument(
            "--mode",
            choices=[m.value for m in ImportJob.Mode],
            default=ImportJob.Mode.VALID,
            help="'valid': import the good invoices and list the bad ones (default); "
            "'nothing': import nothing while the file has problems",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        path: Path = options["file"]
        if not path.is_file():
            raise CommandError(f"{path}: no such file")
        connection = self._connection(options)
        kinds = file_formats()[options["format"]]
        if connection.source_kind not in kinds:
            raise CommandError(
                f"The connection {connection.name!r} does not read {options['format']} files "
                f"(its source is {connection.source_kind})."
            )
        actor = Actor.system("cli")
        try:
            job = services.start_import_from_path(actor, connection, path, mode=options["mode"])
        except services.UploadRefused as error:
            raise CommandError(str(error)) from None
        job = services.import_now(actor, job)
        for line in summary_lines(job):
            self.stdout.write(line)
        if not could_import(job):
            raise CommandError("Nothing could be imported.", returncode=1)

    @staticmethod
    def _connection(options: dict[str, Any]) -> Connection:
        connections = Connection.objects.filter(name=options["connection"])
        if options["organisation"]:
            connections = connections.filter(organisation__slug=options["organisation"])
        found = list(connections[:2])
        if not found:
            raise CommandError(f"No connection named {options['connection']!r}.")
        if len(found) > 1:
            raise CommandError(
                "Several organisations have a connection of that name: use --organisation."
            )
        return found[0]
