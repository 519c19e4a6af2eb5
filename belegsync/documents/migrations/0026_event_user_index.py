"""The events' index of their user holds only the events a merchant caused: an
imported document's event has no user, and each was a NULL entry in Django's index of
``user_id`` (as many entries as events). The partial index ``event_user`` serves what
the whole one did, each a ``user_id = …`` look-up that both databases match to the
index's ``user_id IS NOT NULL``: Django's ``SET NULL`` when a user is deleted and
PostgreSQL's check of the foreign key then.

The old index is dropped by its name on both databases, as in 0024.
"""

import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models

INDEX = "documents_event_user_id_0d71b509"


class Migration(migrations.Migration):
    dependencies = [
        ("documents", "0025_event_document_index"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.AddIndex(
            model_name="event",
            index=models.Index(
                condition=models.Q(("user__isnull", False)), fields=["user"], name="event_user"
            ),
        ),
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.AlterField(
                    model_name="event",
                    name="user",
                    field=models.ForeignKey(
                        blank=True,
                        db_index=False,
                        null=True,
                        on_delete=django.db.models.deletion.SET_NULL,
                        to=settings.AUTH_USER_MODEL,
                    ),
                ),
            ],
            database_operations=[
                migrations.RunSQL(
                    f"DROP INDEX {INDEX}",
                    f"CREATE INDEX {INDEX} ON documents_event (user_id)",
                ),
            ],
        ),
    ]
