"""Counts of documents per connection, state and failure reason, kept by triggers."""

import django.db.models.deletion
from django.db import migrations, models


# The counts are kept by triggers, so that no writer of documents can forget them.
DOCUMENTS = "documents_document"
COUNTS = "documents_documentcount"
KEY = "connection_id, state, failure_reason"

# SQLite has row triggers only: one upsert per changed row.
SQLITE_ADD = f"""
    INSERT INTO {COUNTS} ({KEY}, n) VALUES (NEW.connection_id, NEW.state, NEW.failure_reason, 1)
    ON CONFLICT ({KEY}) DO UPDATE SET n = n + 1;"""
SQLITE_SUBTRACT = f"""
    UPDATE {COUNTS} SET n = n - 1 WHERE connection_id = OLD.connection_id
    AND state = OLD.state AND failure_reason = OLD.failure_reason;"""
SQLITE_FORWARD = [
    f"CREATE TRIGGER document_count_insert AFTER INSERT ON {DOCUMENTS} BEGIN {SQLITE_ADD} END",
    f"CREATE TRIGGER document_count_delete AFTER DELETE ON {DOCUMENTS} BEGIN {SQLITE_SUBTRACT} END",
    f"""CREATE TRIGGER document_count_update
    AFTER UPDATE OF connection_id, state, failure_reason ON {DOCUMENTS}
    WHEN OLD.connection_id IS NOT NEW.connection_id OR OLD.state IS NOT NEW.state
        OR OLD.failure_reason IS NOT NEW.failure_reason
    BEGIN {SQLITE_SUBTRACT} {SQLITE_ADD} END""",
]
SQLITE_BACKWARD = [
    f"DROP TRIGGER IF EXISTS document_count_{op}" for op in ("insert", "update", "delete")
]

# PostgreSQL: statement triggers over the transition tables, one grouped upsert per
# statement (a bulk insert of 1,000 documents is one upsert, not 1,000). The deltas are
# applied in key order, so two transactions never wait on each other's rows in a cycle.
PG_FUNCTION = f"""
CREATE FUNCTION document_count_apply() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'INSERT' THEN
        INSERT INTO {COUNTS} ({KEY}, n)
        SELECT {KEY}, count(*) FROM new_rows GROUP BY {KEY} ORDER BY {KEY}
        ON CONFLICT ({KEY}) DO UPDATE SET n = {COUNTS}.n + EXCLUDED.n;
    ELSIF TG_OP = 'DELETE' THEN
        INSERT INTO {COUNTS} ({KEY}, n)
        SELECT {KEY}, -count(*) FROM old_rows GROUP BY {KEY} ORDER BY {KEY}
        ON CONFLICT ({KEY}) DO UPDATE SET n = {COUNTS}.n + EXCLUDED.n;
    ELSE
        INSERT INTO {COUNTS} ({KEY}, n)
        SELECT {KEY}, sum(delta) FROM (
            SELECT {KEY}, 1 AS delta FROM new_rows
            UNION ALL SELECT {KEY}, -1 AS delta FROM old_rows
        ) AS changes GROUP BY {KEY} HAVING sum(delta) <> 0 ORDER BY {KEY}
        ON CONFLICT ({KEY}) DO UPDATE SET n = {COUNTS}.n + EXCLUDED.n;
    END IF;
    RETURN NULL;
END $$"""
PG_FORWARD = [
    PG_FUNCTION,
    f"""CREATE TRIGGER document_count_insert AFTER INSERT ON {DOCUMENTS}
    REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION document_count_apply()""",
    f"""CREATE TRIGGER document_count_update AFTER UPDATE ON {DOCUMENTS}
    REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION document_count_apply()""",
    f"""CREATE TRIGGER document_count_delete AFTER DELETE ON {DOCUMENTS}
    REFERENCING OLD TABLE AS old_rows FOR EACH STATEMENT EXECUTE FUNCTION document_count_apply()""",
]
PG_BACKWARD = [
    *(
        f"DROP TRIGGER IF EXISTS document_count_{op} ON {DOCUMENTS}"
        for op in ("insert", "update", "delete")
    ),
    "DROP FUNCTION IF EXISTS document_count_apply()",
]

BACKFILL = f"""INSERT INTO {COUNTS} ({KEY}, n)
    SELECT {KEY}, count(*) FROM {DOCUMENTS} GROUP BY {KEY}"""


def forward(apps, schema_editor):
    statements = PG_FORWARD if schema_editor.connection.vendor == "postgresql" else SQLITE_FORWARD
    for sql in [BACKFILL, *statements]:
        schema_editor.execute(sql)


def backward(apps, schema_editor):
    statements = PG_BACKWARD if schema_editor.connection.vendor == "postgresql" else SQLITE_BACKWARD
    for sql in statements:
        schema_editor.execute(sql)


class Migration(migrations.Migration):
    dependencies = [
        ("documents", "0005_namespaced_settings"),
    ]

    operations = [
        migrations.CreateModel(
            name="DocumentCount",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
                ("state", models.CharField(max_length=20)),
                ("failure_reason", models.CharField(blank=True, max_length=20)),
                ("n", models.BigIntegerField(default=0)),
                (
                    "connection",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="+",
                        to="documents.connection",
                    ),
                ),
            ],
            options={
                "constraints": [
                    models.UniqueConstraint(
                        fields=("connection", "state", "failure_reason"),
                        name="document_count_unique",
                    )
                ],
            },
        ),
        migrations.RunPython(forward, backward),
    ]
