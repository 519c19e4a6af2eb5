"""Counts and gross sums of documents per connection, invoice date, state and currency,
kept by triggers (the dashboard's chart per day and the month report read them); the
fail events by their time for the dashboard's failures per day."""

import django.db.models.deletion
from django.db import migrations, models

# Like 0006's counts: kept by triggers, so that no writer of documents can forget them.
DOCUMENTS = "documents_document"
DAYS = "documents_documentdaycount"
KEY = "connection_id, day, state, currency"
#: A document's key in the table (its invoice date is the day).
ROW_KEY = "connection_id, invoice_date, state, currency"
#: The columns a change of which moves a document's count or gross.
WATCHED = ("connection_id", "invoice_date", "state", "currency", "kind", "total_gross")


def cents(row: str, vendor: str) -> str:
    """A document's gross as the bookkeeping shows it (credit notes negative), in cents.

    SQLite keeps a decimal with NUMERIC affinity (a REAL for 44.95): rounded to whole
    cents at once, exact for any amount below 10^13 cents; PostgreSQL's numeric is exact.
    """
    sign = f"CASE WHEN {row}kind = 'credit_note' THEN -1 ELSE 1 END"
    if vendor == "postgresql":
        return f"({sign}) * ({row}total_gross * 100)::bigint"
    return f"({sign}) * CAST(round({row}total_gross * 100) AS INTEGER)"


# SQLite has row triggers only: one upsert per changed row.
SQLITE_ADD = f"""
    INSERT INTO {DAYS} ({KEY}, n, gross_cents)
    SELECT NEW.connection_id, NEW.invoice_date, NEW.state, NEW.currency, 1,
        {cents("NEW.", "sqlite")}
    WHERE NEW.invoice_date IS NOT NULL
    ON CONFLICT ({KEY}) DO UPDATE SET n = n + 1, gross_cents = gross_cents + excluded.gross_cents;"""
SQLITE_SUBTRACT = f"""
    UPDATE {DAYS} SET n = n - 1, gross_cents = gross_cents - {cents("OLD.", "sqlite")}
    WHERE connection_id = OLD.connection_id AND day = OLD.invoice_date
    AND state = OLD.state AND currency = OLD.currency;"""
SQLITE_FORWARD = [
    f"CREATE TRIGGER document_day_count_insert AFTER INSERT ON {DOCUMENTS} BEGIN {SQLITE_ADD} END",
    f"CREATE TRIGGER document_day_count_delete AFTER DELETE ON {DOCUMENTS} "
    f"BEGIN {SQLITE_SUBTRACT} END",
    f"""CREATE TRIGGER document_day_count_update
    AFTER UPDATE OF {", ".join(WATCHED)} ON {DOCUMENTS}
    WHEN {" OR ".join(f"OLD.{c} IS NOT NEW.{c}" for c in WATCHED)}
    BEGIN {SQLITE_SUBTRACT} {SQLITE_ADD} END""",
]
SQLITE_BACKWARD = [
    f"DROP TRIGGER IF EXISTS document_day_count_{op}" for op in ("insert", "update", "delete")
]

# PostgreSQL: statement triggers over the transition tables, one grouped upsert per
# statement, applied in key order (two transactions never wait on each other in a cycle).
PG_CHANGES = f"""
    SELECT {ROW_KEY}, 1 AS n, {cents("", "postgresql")} AS gross_cents FROM new_rows
    WHERE invoice_date IS NOT NULL"""
PG_REMOVALS = f"""
    SELECT {ROW_KEY}, -1 AS n, -{cents("", "postgresql")} AS gross_cents FROM old_rows
    WHERE invoice_date IS NOT NULL"""
PG_UPSERT = f"""
    INSERT INTO {DAYS} ({KEY}, n, gross_cents)
    SELECT {ROW_KEY}, sum(n), sum(gross_cents) FROM (%s) AS changes
    GROUP BY {ROW_KEY} HAVING sum(n) <> 0 OR sum(gross_cents) <> 0 ORDER BY {ROW_KEY}
    ON CONFLICT ({KEY}) DO UPDATE SET n = {DAYS}.n + EXCLUDED.n,
        gross_cents = {DAYS}.gross_cents + EXCLUDED.gross_cents;"""
PG_FUNCTION = f"""
CREATE FUNCTION document_day_count_apply() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'INSERT' THEN
        {PG_UPSERT % PG_CHANGES}
    ELSIF TG_OP = 'DELETE' THEN
        {PG_UPSERT % PG_REMOVALS}
    ELSE
        {PG_UPSERT % (PG_CHANGES + " UNION ALL " + PG_REMOVALS)}
    END IF;
    RETURN NULL;
END $$"""
PG_FORWARD = [
    PG_FUNCTION,
    f"""CREATE TRIGGER document_day_count_insert AFTER INSERT ON {DOCUMENTS}
    REFERENCING NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION document_day_count_apply()""",
    f"""CREATE TRIGGER document_day_count_update AFTER UPDATE ON {DOCUMENTS}
    REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION document_day_count_apply()""",
    f"""CREATE TRIGGER document_day_count_delete AFTER DELETE ON {DOCUMENTS}
    REFERENCING OLD TABLE AS old_rows
    FOR EACH STATEMENT EXECUTE FUNCTION document_day_count_apply()""",
]
PG_BACKWARD = [
    *(
        f"DROP TRIGGER IF EXISTS document_day_count_{op} ON {DOCUMENTS}"
        for op in ("insert", "update", "delete")
    ),
    "DROP FUNCTION IF EXISTS document_day_count_apply()",
]


def backfill(vendor: str) -> str:
    return f"""INSERT INTO {DAYS} ({KEY}, n, gross_cents)
    SELECT {ROW_KEY}, count(*), sum({cents("", vendor)}) FROM {DOCUMENTS}
    WHERE invoice_date IS NOT NULL GROUP BY {ROW_KEY}"""


def forward(apps, schema_editor):
    vendor = schema_editor.connection.vendor
    statements = PG_FORWARD if vendor == "postgresql" else SQLITE_FORWARD
    for sql in [backfill(vendor), *statements]:
        schema_editor.execute(sql)


def backward(apps, schema_editor):
    vendor = schema_editor.connection.vendor
    for sql in PG_BACKWARD if vendor == "postgresql" else SQLITE_BACKWARD:
        schema_editor.execute(sql)


class Migration(migrations.Migration):
    dependencies = [
        ("documents", "0016_tax_advisor"),
    ]

    operations = [
        migrations.CreateModel(
            name="DocumentDayCount",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
                ("day", models.DateField()),
                ("state", models.CharField(max_length=20)),
                ("currency", models.CharField(max_length=3)),
                ("n", models.BigIntegerField(default=0)),
                ("gross_cents", models.BigIntegerField(default=0)),
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
                        fields=("connection", "day", "state", "currency"),
                        name="document_day_count_unique",
                    )
                ],
            },
        ),
        migrations.RunPython(forward, backward),
        migrations.AddIndex(
            model_name="event",
            index=models.Index(fields=["action", "at"], name="event_action_at"),
        ),
    ]
