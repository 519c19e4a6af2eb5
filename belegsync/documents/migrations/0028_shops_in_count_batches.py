"""SQLite: a count batch (0022) counts the documents' shops too (exports/0005's kept table),
grouped, instead of one upsert per new document.

exports/0005 keeps ``exports_documentshop`` by triggers on the documents table; on SQLite
its insert trigger was the one row trigger left that a batch of new documents still ran
for each document (11 µs of SQLite's 50 µs of database work an imported document, replay
of 20,000 bench invoices). Now it skips its row while a count batch is open, like the
kept tables of this app, and the batch's trigger runs exports/0005's own backfill over
the batch's documents (0022's ``over_batch``). PostgreSQL's shop trigger is a statement
trigger already: unchanged.
"""

import importlib

from django.db import migrations

SHOP = "document_shop"


def _migration(app: str, name: str):
    return importlib.import_module(f"belegsync.{app}.migrations.{name}")


batches = _migration("documents", "0022_count_batches")
shops = _migration("exports", "0005_document_shops")


def batch_statements(with_shops: bool) -> list[str]:
    statements = [statement for _name, _add, statement in batches.kept_tables()]
    if with_shops:
        statements.append(
            batches.over_batch(shops.backfill("sqlite"), "connection_id, shop", ("n",))
        )
    return statements


def counting(schema_editor, with_shops: bool) -> None:
    if schema_editor.connection.vendor != "sqlite":
        return
    for sql in batches.insert_trigger(SHOP, shops.SQLITE_ADD, paused=with_shops):
        schema_editor.execute(sql)
    schema_editor.execute("DROP TRIGGER IF EXISTS document_count_batch")
    schema_editor.execute(
        batches.batch_trigger("document_count_batch", batch_statements(with_shops))
    )


def forward(apps, schema_editor):
    counting(schema_editor, with_shops=True)


def backward(apps, schema_editor):
    counting(schema_editor, with_shops=False)


class Migration(migrations.Migration):
    dependencies = [
        ("documents", "0027_processing_lease_index"),
        ("exports", "0005_document_shops"),
    ]

    operations = [migrations.RunPython(forward, backward)]
