"""The document table loses Django's index of its ``connection_id`` alone: every query
that reads documents by connection (the lists, the counts, the deletion of a connection
and PostgreSQL's check of the foreign key when one is deleted) has the connection first
in the unique (connection_id, kind, source_number) or in the list indexes, and a
one-column index beside them is one more index an imported document is written into.

The index is dropped by its name on both databases: ``AlterField`` would rebuild the
whole table on SQLite (and drop its triggers with it).
"""

import django.db.models.deletion
from django.db import migrations, models

INDEX = "documents_document_connection_id_92505177"


class Migration(migrations.Migration):
    dependencies = [
        ("documents", "0023_counting_once_per_line"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.AlterField(
                    model_name="document",
                    name="connection",
                    field=models.ForeignKey(
                        db_index=False,
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="documents",
                        to="documents.connection",
                    ),
                ),
            ],
            database_operations=[
                migrations.RunSQL(
                    f"DROP INDEX {INDEX}",
                    f"CREATE INDEX {INDEX} ON documents_document (connection_id)",
                ),
            ],
        ),
    ]
