"""``belegsync rotate_keys``: re-encrypt every stored secret with the first key.

Every encrypted column of every model (connection credentials, webhook
secrets, …) is found through the app registry, so a new one is never left
on an old key.
"""

from __future__ import annotations

from typing import Any

from django.apps import apps
from django.core.management.base import BaseCommand
from django.db import connection as db
from django.db import transaction

from belegsync.documents.fields import EncryptedJSONField
from belegsync.lib.crypto import rotate


def encrypted_columns() -> list[tuple[str, str]]:
    """(table, column) of every EncryptedJSONField."""
    return [
        (model._meta.db_table, field.column)
        for model in apps.get_models()
        for field in model._meta.concrete_fields
        if isinstance(field, EncryptedJSONField)
    ]


class Command(BaseCommand):
    help = "Re-encrypt stored secrets with the first key of BELEGSYNC_FERNET_KEYS."

    def handle(self, *args: Any, **opts: Any) -> None:
        with transaction.atomic(), db.cursor() as cursor:
            for table, column in encrypted_columns():
                count = 0
                cursor.execute(f"SELECT id, {column} FROM {table}")  # noqa: S608 - our names
                for pk, token in cursor.fetchall():
                    if token:
                        cursor.execute(
                            f"UPDATE {table} SET {column} = %s WHERE id = %s",  # noqa: S608
                            [rotate(token), pk],
                        )
                        count += 1
                self.stdout.write(f"re-encrypted {count} values of {table}.{column}")
