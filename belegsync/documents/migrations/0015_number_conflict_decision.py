# The merchant's choice for a number two source documents share ("keep this one").

from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("documents", "0014_setup_missing_as_reasons"),
    ]

    operations = [
        migrations.AddField(
            model_name="numberconflict",
            name="skipped_reason",
            field=models.CharField(blank=True, default="", max_length=40),
        ),
        migrations.AddField(
            model_name="numberconflict",
            name="decided_by",
            field=models.CharField(blank=True, default="", max_length=150),
        ),
        migrations.AddField(
            model_name="numberconflict",
            name="decided_at",
            field=models.DateTimeField(blank=True, null=True),
        ),
    ]
