"""The tax advisor's numbers (Beraternummer, Mandantennummer) in one place: the
organisation. They were kept twice, in the organisation's DATEV export settings
(``exports.ExporterSettings``, exporter "datev") and in each DATEV connection's target
settings. The export settings' numbers win (they are the organisation's own); an
organisation without them takes those of its first DATEV connection that has both.
The keys are removed from both old places; reversed, they are written back there."""

import logging

import django.core.validators
from django.db import migrations, models

log = logging.getLogger(__name__)

KEYS = ("consultant_number", "client_number")


def _numbers(settings):
    values = [(settings or {}).get(key) for key in KEYS]
    return tuple(values) if all(v is not None for v in values) else None


def forward(apps, schema_editor):
    Organisation = apps.get_model("documents", "Organisation")
    Connection = apps.get_model("documents", "Connection")
    ExporterSettings = apps.get_model("exports", "ExporterSettings")
    found = {}
    for row in ExporterSettings.objects.filter(exporter="datev").order_by("pk"):
        numbers = _numbers(row.settings)
        if numbers:
            found[row.organisation_id] = numbers
        row.settings = {k: v for k, v in (row.settings or {}).items() if k not in KEYS}
        row.save(update_fields=["settings"])
    for connection in Connection.objects.filter(target_kind="datev").order_by("pk"):
        target = dict((connection.settings or {}).get("target") or {})
        numbers = _numbers(target)
        if numbers:
            kept = found.setdefault(connection.organisation_id, numbers)
            if kept != numbers:
                log.warning(
                    "connection %s had other DATEV numbers %s than its organisation %s; "
                    "the organisation's are kept",
                    connection.pk,
                    numbers,
                    kept,
                )
        if any(key in target for key in KEYS):
            for key in KEYS:
                target.pop(key, None)
            connection.settings = {**connection.settings, "target": target}
            connection.save(update_fields=["settings"])
    for organisation_id, (consultant, client) in found.items():
        Organisation.objects.filter(pk=organisation_id).update(
            datev_consultant_number=consultant, datev_client_number=client
        )


def backward(apps, schema_editor):
    Organisation = apps.get_model("documents", "Organisation")
    Connection = apps.get_model("documents", "Connection")
    ExporterSettings = apps.get_model("exports", "ExporterSettings")
    numbers = {
        org.pk: {
            "consultant_number": org.datev_consultant_number,
            "client_number": org.datev_client_number,
        }
        for org in Organisation.objects.exclude(datev_consultant_number=None).exclude(
            datev_client_number=None
        )
    }
    for row in ExporterSettings.objects.filter(exporter="datev", organisation_id__in=numbers):
        row.settings = {**(row.settings or {}), **numbers[row.organisation_id]}
        row.save(update_fields=["settings"])
    for connection in Connection.objects.filter(target_kind="datev", organisation_id__in=numbers):
        target = {
            **((connection.settings or {}).get("target") or {}),
            **numbers[connection.organisation_id],
        }
        connection.settings = {**(connection.settings or {}), "target": target}
        connection.save(update_fields=["settings"])


class Migration(migrations.Migration):
    dependencies = [
        ("documents", "0015_number_conflict_decision"),
        ("exports", "0004_queued_exports"),
    ]

    operations = [
        migrations.AddField(
            model_name="organisation",
            name="datev_client_number",
            field=models.PositiveIntegerField(
                blank=True,
                null=True,
                validators=[
                    django.core.validators.MinValueValidator(1),
                    django.core.validators.MaxValueValidator(99999),
                ],
                verbose_name="client number (Mandantennummer)",
            ),
        ),
        migrations.AddField(
            model_name="organisation",
            name="datev_consultant_number",
            field=models.PositiveIntegerField(
                blank=True,
                null=True,
                validators=[
                    django.core.validators.MinValueValidator(1001),
                    django.core.validators.MaxValueValidator(9999999),
                ],
                verbose_name="consultant number (Beraternummer)",
            ),
        ),
        migrations.RunPython(forward, backward),
    ]
