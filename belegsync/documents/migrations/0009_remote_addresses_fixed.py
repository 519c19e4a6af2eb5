"""Addresses of remote systems are no longer connection data (issue #14, item 1).

Billbee's, Afterbuy's and sevDesk's API addresses were form fields; each system's
address is now fixed in its adapter, and only the operator's environment
(BELEGSYNC_ALLOWED_REMOTES) can name another. The stored values are dropped from
the sides' settings (and sevDesk's credentials); lexoffice keeps its choice
between its two own addresses.
"""

from django.db import migrations

SETTINGS_KEYS = ("billbee_base_url", "afterbuy_api_url", "afterbuy_web_url")
CREDENTIALS_KEYS = ("base_url",)
LEXOFFICE_OLD = "https://api.lexoffice.io"
SIDES = ("source", "target")


def lexoffice_choice(value):
    if value in (None, "", "current", "old"):
        return value
    return "old" if str(value).rstrip("/") == LEXOFFICE_OLD else "current"


def _without_addresses(settings):
    changed = False
    for side in SIDES:
        own = settings.get(side)
        if not isinstance(own, dict):
            continue
        own = dict(own)
        for key in SETTINGS_KEYS:
            changed |= own.pop(key, None) is not None
        if "lexoffice_base_url" in own:
            choice = lexoffice_choice(own["lexoffice_base_url"])
            changed |= choice != own["lexoffice_base_url"]
            own["lexoffice_base_url"] = choice
        settings[side] = own
    return changed


def drop_addresses(apps, schema_editor):
    Connection = apps.get_model("documents", "Connection")
    for connection in Connection.objects.all().iterator():
        settings = dict(connection.settings or {})
        credentials = {
            side: dict(values) if isinstance(values, dict) else values
            for side, values in (connection.credentials or {}).items()
        }
        changed = _without_addresses(settings)
        for values in credentials.values():
            if isinstance(values, dict):
                for key in CREDENTIALS_KEYS:
                    changed |= values.pop(key, None) is not None
        if changed:
            connection.settings = settings
            connection.credentials = credentials
            connection.save(update_fields=["settings", "credentials"])


class Migration(migrations.Migration):
    dependencies = [("documents", "0008_number_conflict")]

    operations = [migrations.RunPython(drop_addresses, migrations.RunPython.noop)]
