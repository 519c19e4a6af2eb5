"""``belegsync import afterbuy-csv --connection NAME FILE``: the upload page on the command line."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from belegsync.documents.models import Connection
from belegsync.sources.afterbuy.importer import (
    MODE_NOTHING,
    MODE_VALID,
    ImportRecord,
    UploadTooLarge,
    run_import,
    save_upload_from_path,
)

SOURCES = ("afterbuy-csv",)


def summary_lines(record: ImportRecord) -> list[str]:
    """The result as the upload page shows it, in plain lines."""
    lines = [
        f"file:      {record.filename} ({record.size} bytes, {record.encoding or '?'}, "
        f"separator {record.delimiter or '?'})",
        f"import:    {record.id} (kept in {record.directory})",
    ]
    if record.file_error:
        lines.append(f"error:     {record.file_error['en']}")
        if record.file_error.get("headers"):
            lines.append("headers:   " + " | ".join(record.file_error["headers"]))
        return lines
    lines += [
        f"new:       {record.created}",
        f"updated:   {record.updated}",
        f"unchanged: {record.unchanged}",
        f"skipped:   {record.already_transferred} (already transferred"
        + (
            f"; {record.pending_reupload} with newer data kept for re-upload)"
            if record.pending_reupload
            else ")"
        ),
        f"failed:    {record.failed} (stored as failed: the voucher does not add up)",
        f"rejected:  {record.rejected} (not imported: problems in the file)",
    ]
    if record.mode == MODE_NOTHING and record.problems_total:
        lines.append("Nothing was imported (mode 'nothing'): correct the file and upload again.")
    for problem in record.problems:
        lines.append(f"  - {problem['en']}")
    if record.problems_total > len(record.problems):
        lines.append(f"  … and {record.problems_total - len(record.problems)} more problems")
    return lines


def could_import(record: ImportRecord) -> bool:
    if record.status != "done":
        return False
    if record.mode == MODE_NOTHING and record.problems_total:
        return False
    readable = record.stored + record.unchanged + record.already_transferred
    return readable > 0


class Command(BaseCommand):
    help = "Import an Afterbuy Rechnungsliste CSV file into a connection."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("source", choices=SOURCES)
        parser.add_argument("file", type=Path)
        parser.add_argument("--connection", required=True, help="the connection's name")
        parser.add_argument("--organisation", help="organisation slug, if names repeat")
        parser.add_argument(
            "--mode",
            choices=(MODE_VALID, MODE_NOTHING),
            default=MODE_VALID,
            help="'valid': import the good invoices and list the bad ones (default); "
            "'nothing': import nothing while the file has problems",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        path: Path = options["file"]
        if not path.is_file():
            raise CommandError(f"{path}: no such file")
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
        try:
            record = save_upload_from_path(found[0], path, mode=options["mode"], actor="cli")
        except UploadTooLarge as error:
            raise CommandError(str(error)) from None
        record = run_import(record)
        for line in summary_lines(record):
            self.stdout.write(line)
        if not could_import(record):
            raise CommandError("Nothing could be imported.", returncode=1)
