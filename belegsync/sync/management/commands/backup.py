"""``belegsync backup PATH``: database, uploads, exports and keys into a new folder."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from belegsync.sync.backup import BackupError, backup


class Command(BaseCommand):
    help = (
        "Back up everything belegsync keeps into a new folder PATH: the database "
        "(SQLite online backup, or pg_dump for PostgreSQL), uploads, exports and keys."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("path", help="a new (or empty) folder for the backup")

    def handle(self, *args: Any, **options: Any) -> None:
        target = Path(options["path"]).expanduser().resolve()
        try:
            manifest = backup(target)
        except BackupError as error:
            raise CommandError(str(error)) from None
        files = ", ".join(f"{n} {name}" for name, n in manifest["files"].items())
        self.stdout.write(
            f"Backed up {manifest['documents']} documents ({manifest['engine']}), {files} "
            f"into {target}. It holds the keys to the credentials: keep it safe."
        )
