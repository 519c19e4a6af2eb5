"""Search by number on an index, for a part of the number anywhere in it.

PostgreSQL: a trigram index (pg_trgm, a trusted extension) on the upper-cased
number, which serves Django's ``icontains`` as it is. SQLite: an FTS5 table with
the trigram tokenizer over the document table's numbers (external content, kept
by triggers). A SQLite without FTS5's trigram tokenizer (before 3.34) keeps
searching by scanning: ``documents.listing`` looks for the table.
"""

from django.db import migrations
from django.db.utils import OperationalError

DOCUMENTS = "documents_document"
SEARCH = "document_number_search"

PG_FORWARD = [
    "CREATE EXTENSION IF NOT EXISTS pg_trgm",
    f"CREATE INDEX IF NOT EXISTS document_number_trgm ON {DOCUMENTS} "
    "USING gin (upper(source_number) gin_trgm_ops)",
]
PG_BACKWARD = ["DROP INDEX IF EXISTS document_number_trgm"]

SQLITE_FORWARD = [
    f"CREATE VIRTUAL TABLE {SEARCH} USING fts5(source_number, content='{DOCUMENTS}', "
    "content_rowid='id', tokenize='trigram')",
    f"""CREATE TRIGGER document_number_search_insert AFTER INSERT ON {DOCUMENTS} BEGIN
        INSERT INTO {SEARCH} (rowid, source_number) VALUES (NEW.id, NEW.source_number);
    END""",
    f"""CREATE TRIGGER document_number_search_delete AFTER DELETE ON {DOCUMENTS} BEGIN
        INSERT INTO {SEARCH} ({SEARCH}, rowid, source_number)
        VALUES ('delete', OLD.id, OLD.source_number);
    END""",
    f"""CREATE TRIGGER document_number_search_update AFTER UPDATE OF source_number
    ON {DOCUMENTS} BEGIN
        INSERT INTO {SEARCH} ({SEARCH}, rowid, source_number)
        VALUES ('delete', OLD.id, OLD.source_number);
        INSERT INTO {SEARCH} (rowid, source_number) VALUES (NEW.id, NEW.source_number);
    END""",
    f"INSERT INTO {SEARCH} ({SEARCH}) VALUES ('rebuild')",
]
SQLITE_BACKWARD = [
    *(
        f"DROP TRIGGER IF EXISTS document_number_search_{op}"
        for op in ("insert", "update", "delete")
    ),
    f"DROP TABLE IF EXISTS {SEARCH}",
]


def forward(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        for sql in PG_FORWARD:
            schema_editor.execute(sql)
        return
    try:
        schema_editor.execute(SQLITE_FORWARD[0])
    except OperationalError:
        return  # no FTS5 trigram tokenizer in this SQLite: search keeps scanning
    for sql in SQLITE_FORWARD[1:]:
        schema_editor.execute(sql)


def backward(apps, schema_editor):
    statements = PG_BACKWARD if schema_editor.connection.vendor == "postgresql" else SQLITE_BACKWARD
    for sql in statements:
        schema_editor.execute(sql)


class Migration(migrations.Migration):
    dependencies = [("documents", "0006_document_counts")]

    operations = [migrations.RunPython(forward, backward)]
