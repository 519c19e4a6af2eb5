"""The English text columns are gone: reasons are codes now (0002 converted them).

A migration of its own, so PostgreSQL alters the table in a transaction that
did not just update its rows.
"""

from django.db import migrations


class Migration(migrations.Migration):

    dependencies = [
        ("documents", "0002_reasons_as_codes"),
    ]

    operations = [
        migrations.RemoveField(model_name="document", name="failure_message"),
        migrations.RemoveField(model_name="document", name="skip_reason"),
    ]
