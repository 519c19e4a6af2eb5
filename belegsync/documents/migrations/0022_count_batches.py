"""A batch of new documents counted at once (SQLite): the kept tables of 0006, 0017, 0019
and 0020 get one grouped upsert per table for the batch instead of one per document.

SQLite has row triggers only, and an import's 1,000 new documents cost 4,000 trigger
upserts into tables of a few rows a day (25-30 µs a document, half of SQLite's work for
it). So a writer of many new documents at once (``ingest.store_batch``) opens a count
batch inside its transaction: a row in ``documents_countbatch`` (its ``first_id`` and
``last_id`` still NULL). While that row exists, the insert triggers of the kept tables
skip their rows (their ``WHEN``). Writing the batch's id range into the row runs the
same counting rule over those documents, grouped, and the writer deletes the row in
the same statement sequence (``documents.models.CountBatch.inserting``). SQLite has a
single writer, so no other connection inserts while the row exists, and the row never
outlives the transaction: a rollback takes it away with the documents.

The rule is not written again: each table's batch statement is its migration's own
backfill (the whole table grouped, the form the triggers are tested against), run over
the batch's rows and added to what is there (``ON CONFLICT … DO UPDATE``); the number
blocks' is their insert trigger's columns over the batch's rows (0020's number split
takes a set of rows for it), cheaper than their backfill's form. Updates and
deletions keep their row triggers; only inserts are paused, and only while the row is.

PostgreSQL's triggers are statement triggers over the transition tables already (a
batch's ``COPY`` is one grouped upsert per table): the table exists there and is unused.
"""

import importlib

from django.db import migrations, models

DOCUMENTS = "documents_document"
BATCHES = "documents_countbatch"
#: The insert triggers skip their row while a count batch is open.
OPEN = f"NOT EXISTS (SELECT 1 FROM {BATCHES})"
#: The batch's documents, as the backfills read the whole table (inside the trigger on
#: the batch row, so ``NEW`` is that row).
BATCH_ROWS = f"(SELECT * FROM {DOCUMENTS} WHERE id BETWEEN NEW.first_id AND NEW.last_id)"


def _migration(name: str):
    return importlib.import_module(f"belegsync.documents.migrations.{name}")


def over_batch(backfill: str, key: str, added: tuple[str, ...]) -> str:
    """A migration's backfill (``INSERT … SELECT … FROM documents_document … GROUP BY``)
    run over the batch's documents and added to the kept rows."""
    aliased = f"FROM {DOCUMENTS} AS "
    if backfill.count(aliased) == 1:
        sql = backfill.replace(aliased, f"FROM {BATCH_ROWS} AS ")
    else:
        assert backfill.count(f"FROM {DOCUMENTS}") == 1, backfill
        sql = backfill.replace(f"FROM {DOCUMENTS}", f"FROM {BATCH_ROWS} AS batch")
    sets = ", ".join(f"{c} = {c} + excluded.{c}" for c in added)
    return f"{sql.rstrip().rstrip(';')}\n    ON CONFLICT ({key}) DO UPDATE SET {sets};"


def blocks_over_batch(blocks) -> str:
    """The number blocks' batch statement: their insert trigger's own columns
    (``sqlite_columns``) over the batch's documents, each number split once as the
    trigger splits it (the backfill's form splits it again for every column: 13 µs a
    document against 6)."""
    s = blocks.sqlite_columns("")
    return f"""
    INSERT INTO {blocks.BLOCKS} ({blocks.KEY}, bits, unskipped, unsplit)
    SELECT connection_id, kind, {", ".join(s[c] for c in blocks.COLUMNS[:4])},
        sum({s["bits"]}), sum({s["unskipped"]}), sum({s["unsplit"]})
    FROM {blocks.sqlite_number("", BATCH_ROWS)} WHERE {s["counted"]} GROUP BY 1, 2, 3, 4, 5, 6
    ON CONFLICT ({blocks.KEY}) DO UPDATE SET bits = bits + excluded.bits,
        unskipped = unskipped + excluded.unskipped, unsplit = unsplit + excluded.unsplit;"""


def kept_tables() -> list[tuple[str, str, str]]:
    """Each kept table of this app: (its triggers' prefix, the insert trigger's statements,
    the statement that counts a batch)."""
    counts = _migration("0006_document_counts")
    days = _migration("0017_document_day_counts")
    rates = _migration("0019_document_rate_gross")
    blocks = _migration("0020_document_number_blocks")
    return [
        ("document_count", counts.SQLITE_ADD, over_batch(counts.BACKFILL, counts.KEY, ("n",))),
        (
            "document_day_count",
            days.SQLITE_ADD,
            over_batch(days.backfill("sqlite"), days.KEY, ("n", "gross_cents")),
        ),
        (
            "document_rate_gross",
            rates.sqlite_add("NEW."),
            over_batch(
                rates.backfill("sqlite"), rates.KEY, ("lines", "gross_millionths", "unsplit")
            ),
        ),
        ("document_number_block", blocks.sqlite_add("NEW."), blocks_over_batch(blocks)),
    ]


def insert_trigger(name: str, body: str, paused: bool) -> list[str]:
    """Drop and create a kept table's insert trigger (``body``: its statements), skipping
    its row while a count batch is open (``paused``) or not (as its migration made it)."""
    when = f"WHEN {OPEN} " if paused else ""
    return [
        f"DROP TRIGGER IF EXISTS {name}_insert",
        f"CREATE TRIGGER {name}_insert AFTER INSERT ON {DOCUMENTS} {when}BEGIN {body} END",
    ]


def batch_trigger(name: str, statements: list[str]) -> str:
    """The trigger that counts a batch when its id range is written into its row."""
    return f"""CREATE TRIGGER {name} AFTER UPDATE OF last_id ON {BATCHES}
    WHEN NEW.last_id IS NOT NULL BEGIN {" ".join(statements)} END"""


def forward(apps, schema_editor):
    if schema_editor.connection.vendor != "sqlite":
        return
    for name, add, _batch in kept_tables():
        for sql in insert_trigger(name, add, paused=True):
            schema_editor.execute(sql)
    batch = [statement for _name, _add, statement in kept_tables()]
    schema_editor.execute(batch_trigger("document_count_batch", batch))


def backward(apps, schema_editor):
    if schema_editor.connection.vendor != "sqlite":
        return
    schema_editor.execute("DROP TRIGGER IF EXISTS document_count_batch")
    for name, add, _batch in kept_tables():
        for sql in insert_trigger(name, add, paused=False):
            schema_editor.execute(sql)


class Migration(migrations.Migration):
    dependencies = [("documents", "0021_list_month_index")]

    operations = [
        migrations.CreateModel(
            name="CountBatch",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
                ("first_id", models.BigIntegerField(null=True)),
                ("last_id", models.BigIntegerField(null=True)),
            ],
        ),
        migrations.RunPython(forward, backward),
    ]
