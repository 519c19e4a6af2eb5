"""The DATEV settings of an organisation (``DatevConfig``, one column per field) become the
DATEV exporter's typed settings (``ExporterSettings``, exporter "datev"), like every
export format's; back again on reverse."""

import django.db.models.deletion
from django.db import migrations, models

#: DatevConfig's columns, each a field of ``DatevExportSettings`` of the same name.
FIELDS = (
    "consultant_number",
    "client_number",
    "fiscal_year_start_month",
    "account_length",
    "chart",
    "debtor_mode",
    "collective_debtor",
    "debtor_base",
    "oss_tax_key",
    "book_payments",
    "bank_account",
    "revenue_accounts",
    "payment_accounts",
    "lock_bookings",
)


def to_settings(config):
    values = {name: getattr(config, name) for name in FIELDS}
    for name in ("revenue_accounts", "payment_accounts"):
        values[name] = {str(k): int(v) for k, v in (values[name] or {}).items()}
    return values


def forward(apps, schema_editor):
    DatevConfig = apps.get_model("exports", "DatevConfig")
    ExporterSettings = apps.get_model("exports", "ExporterSettings")
    ExporterSettings.objects.bulk_create(
        ExporterSettings(
            organisation_id=config.organisation_id, exporter="datev", settings=to_settings(config)
        )
        for config in DatevConfig.objects.all()
    )


def backward(apps, schema_editor):
    DatevConfig = apps.get_model("exports", "DatevConfig")
    ExporterSettings = apps.get_model("exports", "ExporterSettings")
    for row in ExporterSettings.objects.filter(exporter="datev"):
        stored = row.settings or {}
        if stored.get("consultant_number") is None or stored.get("client_number") is None:
            continue  # the old table cannot hold settings without the numbers
        values = {name: stored[name] for name in FIELDS if stored.get(name) is not None}
        DatevConfig.objects.create(organisation_id=row.organisation_id, **values)


class Migration(migrations.Migration):
    dependencies = [
        ("documents", "0001_initial"),
        ("exports", "0002_export_lease"),
    ]

    operations = [
        migrations.CreateModel(
            name="ExporterSettings",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
                ("exporter", models.CharField(max_length=40)),
                ("settings", models.JSONField(blank=True, default=dict)),
                ("updated_at", models.DateTimeField(auto_now=True)),
                (
                    "organisation",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="exporter_settings",
                        to="documents.organisation",
                    ),
                ),
            ],
        ),
        migrations.AddConstraint(
            model_name="exportersettings",
            constraint=models.UniqueConstraint(
                fields=("organisation", "exporter"), name="exporter_settings_unique"
            ),
        ),
        migrations.RunPython(forward, backward),
        migrations.DeleteModel(name="DatevConfig"),
    ]
