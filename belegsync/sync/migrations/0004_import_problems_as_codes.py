"""An import's problems as reason codes: what earlier versions stored as finished text.

Before, each problem of an uploaded file was kept as two finished texts
(``{"de": …, "en": …}``). Now a problem is a reason code with its parameters,
rendered in the reader's language (``belegsync.reasons.file_problem``). The
texts of existing jobs cannot be read back into parameters safely, so they
become the code ``legacy`` with both texts, shown as they were recorded in the
reader's language; where it is (line, column, value), the columns a mapping
needs and the file's headers stay as they were.
"""

from __future__ import annotations

from django.db import migrations


def _legacy(entry):
    if not isinstance(entry, dict) or "de" not in entry and "en" not in entry:
        return entry
    kept = {key: value for key, value in entry.items() if key not in ("de", "en", "code")}
    params = {"text": entry.get("en") or entry.get("de") or "", "text_de": entry.get("de") or ""}
    return {**kept, "code": "legacy", "params": params}


def forwards(apps, schema_editor):
    ImportJob = apps.get_model("sync", "ImportJob")
    for job in ImportJob.objects.all().iterator():
        problems = [_legacy(p) for p in job.problems or []]
        file_error = _legacy(job.file_error) if job.file_error else job.file_error
        if problems != (job.problems or []) or file_error != job.file_error:
            ImportJob.objects.filter(pk=job.pk).update(problems=problems, file_error=file_error)


class Migration(migrations.Migration):
    dependencies = [("sync", "0003_month_file")]

    operations = [migrations.RunPython(forwards, migrations.RunPython.noop)]
