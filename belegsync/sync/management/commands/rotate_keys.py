"""``belegsync rotate_keys``: re-encrypt all stored credentials with the first key."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand
from django.db import connection as db
from django.db import transaction

from belegsync.documents.models import Connection
from belegsync.lib.crypto import rotate


class Command(BaseCommand):
    help = "Re-encrypt stored credentials with the first key of BELEGSYNC_FERNET_KEYS."

    def handle(self, *args: Any, **opts: Any) -> None:
        table = Connection._meta.db_table
        count = 0
        with transaction.atomic(), db.cursor() as cursor:
            cursor.execute(f"SELECT id, credentials FROM {table}")  # noqa: S608 - our table name
            for pk, token in cursor.fetchall():
                if token:
                    cursor.execute(
                        f"UPDATE {table} SET credentials = %s WHERE id = %s",  # noqa: S608
                        [rotate(token), pk],
                    )
                    count += 1
        self.stdout.write(f"re-encrypted the credentials of {count} connections")
