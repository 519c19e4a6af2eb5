"""The event table loses Django's index of its ``document_id`` alone: event_doc_at
(document_id, at) has the document first and serves each use (a document's history, the
deletion of a document's events, PostgreSQL's check of the foreign key when a document
is deleted), and every imported document writes an event into each index of the table.

Dropped by its name on both databases, as in 0024 (``AlterField`` rebuilds the table on
SQLite).
"""

import django.db.models.deletion
from django.db import migrations, models

INDEX = "documents_event_document_id_3e7daa9e"


class Migration(migrations.Migration):
    dependencies = [
        ("documents", "0024_document_connection_index"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.AlterField(
                    model_name="event",
                    name="document",
                    field=models.ForeignKey(
                        db_index=False,
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="events",
                        to="documents.document",
                    ),
                ),
            ],
            database_operations=[
                migrations.RunSQL(
                    f"DROP INDEX {INDEX}",
                    f"CREATE INDEX {INDEX} ON documents_event (document_id)",
                ),
            ],
        ),
    ]
