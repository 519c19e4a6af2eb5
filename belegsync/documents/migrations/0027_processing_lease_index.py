"""The claim's index of leases holds only the documents in processing: the documents a
dead worker left are found by ``state = 'processing' AND lease_until < now``
(``sync.transfer.claimable``), and no other query reads leases by index. The index of
every document's (state, lease_until) had an entry for each imported document, which
is waiting without a lease.
"""

from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("documents", "0026_event_user_index"),
    ]

    operations = [
        migrations.AddIndex(
            model_name="document",
            index=models.Index(
                condition=models.Q(("state", "processing")),
                fields=["lease_until"],
                name="doc_processing_lease",
            ),
        ),
        migrations.RemoveIndex(
            model_name="document",
            name="doc_state_lease",
        ),
    ]
