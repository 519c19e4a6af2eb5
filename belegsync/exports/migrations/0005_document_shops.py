"""The shops the documents name, per connection, with their counts: kept by triggers on
the documents table, so the export page's shop choice reads a row per shop instead of a
DISTINCT over every voucher's JSON."""

import django.db.models.deletion
from django.db import migrations, models

# Like documents/0006's and 0017's counts: kept by triggers, so that no writer of
# documents (an import's bulk insert, a re-upload, a raw UPDATE) can forget them.
DOCUMENTS = "documents_document"
SHOPS = "exports_documentshop"


def shop(row: str, vendor: str) -> str:
    """A document's shop: the voucher's ``shop`` as text (NULL where it names none)."""
    if vendor == "postgresql":
        return f"({row}voucher ->> 'shop')"
    return f"CAST(json_extract({row}voucher, '$.shop') AS TEXT)"


# SQLite has row triggers only: one upsert per changed row, and only where a shop is named.
SQLITE_ADD = f"""
    INSERT INTO {SHOPS} (connection_id, shop, n)
    SELECT NEW.connection_id, {shop("NEW.", "sqlite")}, 1
    WHERE coalesce({shop("NEW.", "sqlite")}, '') <> ''
    ON CONFLICT (connection_id, shop) DO UPDATE SET n = n + 1;"""
SQLITE_SUBTRACT = f"""
    UPDATE {SHOPS} SET n = n - 1
    WHERE connection_id = OLD.connection_id AND shop = {shop("OLD.", "sqlite")};"""
SQLITE_FORWARD = [
    f"CREATE TRIGGER document_shop_insert AFTER INSERT ON {DOCUMENTS} BEGIN {SQLITE_ADD} END",
    f"CREATE TRIGGER document_shop_delete AFTER DELETE ON {DOCUMENTS} BEGIN {SQLITE_SUBTRACT} END",
    f"""CREATE TRIGGER document_shop_update AFTER UPDATE OF voucher, connection_id ON {DOCUMENTS}
    WHEN OLD.connection_id IS NOT NEW.connection_id
        OR {shop("OLD.", "sqlite")} IS NOT {shop("NEW.", "sqlite")}
    BEGIN {SQLITE_SUBTRACT} {SQLITE_ADD} END""",
]
SQLITE_BACKWARD = [f"DROP TRIGGER IF EXISTS document_shop_{op}" for op in ("insert", "update", "delete")]

# PostgreSQL: statement triggers over the transition tables, one grouped upsert per
# statement in key order. A transition table allows no column list, so the update trigger
# runs for every UPDATE and counts only the rows whose shop or connection changed.
PG_ADDED = f"SELECT connection_id, {shop('', 'postgresql')} AS shop, 1 AS n FROM new_rows"
PG_REMOVED = f"SELECT connection_id, {shop('', 'postgresql')} AS shop, -1 AS n FROM old_rows"
PG_MOVED = f"""
    SELECT d.connection_id, d.shop, d.n FROM (
        SELECT new_rows.connection_id, {shop("new_rows.", "postgresql")} AS shop, 1 AS n,
            old_rows.connection_id AS was_connection, {shop("old_rows.", "postgresql")} AS was
        FROM new_rows JOIN old_rows USING (id)
        UNION ALL
        SELECT old_rows.connection_id, {shop("old_rows.", "postgresql")}, -1,
            new_rows.connection_id, {shop("new_rows.", "postgresql")}
        FROM new_rows JOIN old_rows USING (id)
    ) AS d WHERE d.connection_id <> d.was_connection OR d.shop IS DISTINCT FROM d.was"""
PG_UPSERT = f"""
    INSERT INTO {SHOPS} (connection_id, shop, n)
    SELECT connection_id, shop, sum(n) FROM (%s) AS changes
    WHERE coalesce(shop, '') <> ''
    GROUP BY connection_id, shop HAVING sum(n) <> 0 ORDER BY connection_id, shop
    ON CONFLICT (connection_id, shop) DO UPDATE SET n = {SHOPS}.n + EXCLUDED.n;"""
PG_FUNCTION = f"""
CREATE FUNCTION document_shop_apply() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'INSERT' THEN
        {PG_UPSERT % PG_ADDED}
    ELSIF TG_OP = 'DELETE' THEN
        {PG_UPSERT % PG_REMOVED}
    ELSE
        {PG_UPSERT % PG_MOVED}
    END IF;
    RETURN NULL;
END $$"""
PG_FORWARD = [
    PG_FUNCTION,
    f"""CREATE TRIGGER document_shop_insert AFTER INSERT ON {DOCUMENTS}
    REFERENCING NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION document_shop_apply()""",
    f"""CREATE TRIGGER document_shop_update AFTER UPDATE ON {DOCUMENTS}
    REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION document_shop_apply()""",
    f"""CREATE TRIGGER document_shop_delete AFTER DELETE ON {DOCUMENTS}
    REFERENCING OLD TABLE AS old_rows
    FOR EACH STATEMENT EXECUTE FUNCTION document_shop_apply()""",
]
PG_BACKWARD = [
    *(f"DROP TRIGGER IF EXISTS document_shop_{op} ON {DOCUMENTS}" for op in ("insert", "update", "delete")),
    "DROP FUNCTION IF EXISTS document_shop_apply()",
]


def backfill(vendor: str) -> str:
    return f"""INSERT INTO {SHOPS} (connection_id, shop, n)
    SELECT connection_id, {shop("", vendor)}, count(*) FROM {DOCUMENTS}
    WHERE coalesce({shop("", vendor)}, '') <> ''
    GROUP BY connection_id, {shop("", vendor)}"""


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
    # the documents table as 0001 made it (its connection and voucher) is all this needs;
    # a later documents migration here would tie each documents migration's test to it
    dependencies = [
        ("documents", "0001_initial"),
        ("exports", "0004_queued_exports"),
    ]

    operations = [
        migrations.CreateModel(
            name="DocumentShop",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
                ("shop", models.TextField()),
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
                        fields=("connection", "shop"), name="document_shop_unique"
                    )
                ],
            },
        ),
        migrations.RunPython(forward, backward),
    ]
