"""A connection's set-up list as reason codes instead of text in one language.

Before, ``Connection.setup_missing`` held finished sentences in the language of
whoever saved the connection last. Now it holds reasons (group SETUP of the
catalogue), rendered in the reader's language when shown
(``services.connections.setup_texts``). A stored sentence cannot be read back into
a code safely, so it becomes the code ``legacy`` and is shown as recorded until the
connection's next save or check, which stores the reasons.
"""

from __future__ import annotations

from django.db import migrations


def forwards(apps, schema_editor):
    Connection = apps.get_model("documents", "Connection")
    for connection in Connection.objects.exclude(setup_missing=[]).iterator():
        entries = connection.setup_missing or []
        converted = [
            {"code": "legacy", "params": {"text": entry}} if isinstance(entry, str) else entry
            for entry in entries
        ]
        if converted != entries:
            Connection.objects.filter(pk=connection.pk).update(setup_missing=converted)


def backwards(apps, schema_editor):
    Connection = apps.get_model("documents", "Connection")
    for connection in Connection.objects.exclude(setup_missing=[]).iterator():
        texts = [
            (entry.get("params") or {}).get("text") or entry.get("code", "")
            if isinstance(entry, dict)
            else entry
            for entry in connection.setup_missing or []
        ]
        Connection.objects.filter(pk=connection.pk).update(setup_missing=texts)


class Migration(migrations.Migration):
    dependencies = [("documents", "0013_connection_archived")]

    operations = [migrations.RunPython(forwards, backwards)]
