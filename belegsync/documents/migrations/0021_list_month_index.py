"""The lists of one state and a date range (a month) read their page's ids from an
index alone: (connection, state, invoice date, id). The page sorts the month's ids
instead of every row of the month (SQLite read the whole rows for the state and sorted
them, 79 ms at 1,000,000 documents); PostgreSQL can scan it index-only.
"""

from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [("documents", "0020_document_number_blocks")]

    operations = [
        migrations.AddIndex(
            model_name="document",
            index=models.Index(
                fields=["connection", "state", "invoice_date", "id"], name="doc_conn_state_date"
            ),
        ),
    ]
