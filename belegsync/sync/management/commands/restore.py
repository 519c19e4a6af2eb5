"""``belegsync restore PATH``: a backup into a fresh data directory and database."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from belegsync.sync.backup import BackupError, restore


class Command(BaseCommand):
    help = (
        "Restore a backup made by `belegsync backup` into the configured (fresh) data "
        "directory and database, and migrate it to this version."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("path", help="the backup's folder")

    def handle(self, *args: Any, **options: Any) -> None:
        source = Path(options["path"]).expanduser().resolve()
        try:
            manifest, to_do = restore(source)
        except BackupError as error:
            raise CommandError(str(error)) from None
        self.stdout.write(
            f"Restored {manifest['documents']} documents from the backup of "
            f"{manifest['created_at']}; the database is migrated to this version."
        )
        for task in to_do:
            self.stderr.write(f"To do: {task}")
