"""The month report's two lists read an index instead of the month's documents.

- ``document_outstanding``: the documents not yet booked (neither done nor manually
  imported) by connection, state, invoice date and number, the list's order: the
  report reads a connection's month state by state in the index's order until it has
  200, then those rows; not every document of the month with its voucher.
- ``document_unreferenced``: credit notes whose voucher names no original invoice
  (``refers_to`` empty), by connection, invoice date and number. The condition reads
  the voucher's JSON, so it is written per database: the report's query
  (``documents.report.UNREFERENCED``) must spell it the same way, or neither database
  uses the index.
"""

from django.db import migrations, models

DOCUMENTS = "documents_document"
UNREFERENCED = {
    "sqlite": "kind = 'credit_note' AND json_extract(voucher, '$.refers_to') = ''",
    "postgresql": "kind = 'credit_note' AND (voucher ->> 'refers_to') = ''",
}


def forward(apps, schema_editor):
    condition = UNREFERENCED[schema_editor.connection.vendor]
    schema_editor.execute(
        f"CREATE INDEX document_unreferenced ON {DOCUMENTS} "
        f"(connection_id, invoice_date, source_number) WHERE {condition}"
    )


def backward(apps, schema_editor):
    schema_editor.execute("DROP INDEX IF EXISTS document_unreferenced")


class Migration(migrations.Migration):
    dependencies = [
        ("documents", "0017_document_day_counts"),
    ]

    operations = [
        migrations.AddIndex(
            model_name="document",
            index=models.Index(
                fields=["connection", "state", "invoice_date", "source_number"],
                condition=~models.Q(state__in=["done", "manual"]),
                name="document_outstanding",
            ),
        ),
        migrations.RunPython(forward, backward),
    ]
