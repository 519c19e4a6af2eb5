"""The import of an uploaded file runs as a task, so the page can show its progress."""

from __future__ import annotations

from django_tasks import task

from .importer import ImportRecord, run_import


@task()
def import_upload(import_id: str) -> dict[str, object]:
    record = run_import(ImportRecord.load(import_id))
    return {"status": record.status, "created": record.created, "failed": record.failed}
