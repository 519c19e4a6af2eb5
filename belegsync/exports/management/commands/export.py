"""``belegsync export --format datev --connection NAME --from DATE --to DATE
[--only-untagged | --tag] -o FILE``: the manual export from the command line.

``belegsync export --delivered --connection NAME -o DIR`` writes the month files a
connection with DATEV as its target has delivered (the same files as on its page)
into DIR, one per month and correction; it writes nothing new."""

from __future__ import annotations

import datetime as dt
import shutil
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from belegsync.connectors import registry
from belegsync.documents.models import Connection, Document
from belegsync.exports.models import ExportJob, TagOption
from belegsync.exports.service import Criteria, filter_documents, recover, run_export
from belegsync.sync.models import MonthFile


def _date(value: str) -> dt.date:
    try:
        return dt.date.fromisoformat(value)
    except ValueError:
        raise CommandError(f"{value!r} is not a date; write it as YYYY-MM-DD.") from None


class Command(BaseCommand):
    help = "Export a connection's documents as DATEV Buchungsstapel, CSV or a ZIP of PDFs."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--format", choices=list(registry.EXPORTERS), dest="fmt")
        parser.add_argument(
            "--delivered",
            action="store_true",
            help="write the month files the connection delivered into the folder -o",
        )
        parser.add_argument("--connection", required=True, help="the connection's internal name")
        parser.add_argument("--organisation", help="organisation slug, if the name is not unique")
        parser.add_argument("--from", dest="date_from", type=str, help="first invoice date")
        parser.add_argument("--to", dest="date_to", type=str, help="last invoice date")
        parser.add_argument("--state", default="", help="only documents in this state")
        tags = parser.add_mutually_exclusive_group()
        tags.add_argument(
            "--tag", action="store_true", help="mark the exported documents with the tag"
        )
        tags.add_argument(
            "--only-untagged",
            action="store_true",
            help="export only documents without the format's tag yet",
        )
        parser.add_argument("-o", "--output", required=True, help="file to write")

    def handle(self, *args: Any, **options: Any) -> None:
        recover()  # end the jobs of export processes that died
        connections = Connection.objects.filter(name=options["connection"])
        if options["organisation"]:
            connections = connections.filter(organisation__slug=options["organisation"])
        found = list(connections.select_related("organisation")[:2])
        if not found:
            raise CommandError(f"No connection named {options['connection']!r}.")
        if len(found) > 1:
            raise CommandError(
                f"Several organisations have a connection named {options['connection']!r}: "
                "name one with --organisation."
            )
        connection = found[0]
        if options["delivered"]:
            self._delivered(connection, Path(options["output"]))
            return
        if not options["fmt"]:
            raise CommandError("Name the format with --format (or use --delivered).")
        criteria = Criteria(
            connections=[connection.pk],
            date_from=_date(options["date_from"]) if options["date_from"] else None,
            date_to=_date(options["date_to"]) if options["date_to"] else None,
            state=options["state"],
        )
        if criteria.date_from and criteria.date_to and criteria.date_from > criteria.date_to:
            raise CommandError("--from is after --to.")
        option = TagOption.NONE
        if options["tag"]:
            option = TagOption.TAG
        elif options["only_untagged"]:
            option = TagOption.ONLY_UNTAGGED
        period = None
        if criteria.date_from and criteria.date_to:
            period = (criteria.date_from, criteria.date_to)
        job = run_export(
            organisation=connection.organisation,
            documents=filter_documents(Document.objects.all(), criteria),
            fmt=options["fmt"],
            option=option,
            criteria={**criteria.as_json(), "connection": connection.name, "cli": True},
            period=period,
        )
        if job.state != ExportJob.State.DONE:
            raise CommandError(job.error)
        for entry in job.summary.get("left_out", []):
            self.stderr.write(f"left out {entry['number']}: {entry['reason']}")
        for entry in job.summary.get("number_map", []):
            self.stdout.write(f"number {entry['number']} → Belegfeld 1 {entry['belegfeld1']}")
        already = int(job.summary.get("already_tagged") or 0)
        left = f"{job.left_out_count} left out" + (
            f", {already} of them already tagged {job.tag}" if already else ""
        )
        if job.path is None:
            self.stdout.write(f"Nothing exported ({left}); no file written.")
            return
        shutil.copyfile(job.path, options["output"])
        tagged = " and tagged" if option is TagOption.TAG else ""
        self.stdout.write(
            f"Exported{tagged} {job.exported_count} documents to {options['output']} "
            f"({job.file_name}); {left}. Job #{job.pk}."
        )

    def _delivered(self, connection: Connection, folder: Path) -> None:
        files = MonthFile.objects.filter(connection=connection).order_by("month", "sequence")
        folder.mkdir(parents=True, exist_ok=True)
        count = 0
        for file in files.iterator(chunk_size=10):
            (folder / file.name).write_bytes(bytes(file.content))
            self.stdout.write(f"{file.name}: {file.documents.count()} documents")
            count += 1
        if not count:
            self.stdout.write(f"{connection.name} has delivered no month file yet.")
