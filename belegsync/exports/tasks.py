"""Manual exports as tasks (Django's tasks API): the web's export dialog queues one, a
worker writes the file, the job page shows it when it is ready."""

from __future__ import annotations

from django_tasks import task

from . import service


@task()
def export_documents(job_id: int) -> dict[str, object]:
    """Write a queued export job (:func:`belegsync.exports.service.run_queued`)."""
    job = service.run_queued(job_id)
    if job is None:
        return {"ran": False}
    return {"ran": True, "state": job.state, "exported": job.exported_count}
