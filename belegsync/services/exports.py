"""Manual exports (DATEV, CSV, ZIP of PDFs) of the actor's documents, and their jobs.

The web's export dialog queues an export as a task (:func:`start_export`), the REST
API runs one at once and answers with the finished job (:func:`export`); a job that
failed carries ``error`` and tagged nothing.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from django.db import transaction
from django.db.models import QuerySet
from pydantic import ValidationError

from belegsync.connectors import registry
from belegsync.connectors.settings import AdapterSettings, merged, read
from belegsync.documents.roles import Permission
from belegsync.exports import service
from belegsync.exports.models import ExporterSettings, ExportJob, TagOption
from belegsync.exports.service import Criteria
from belegsync.exports.tasks import export_documents

from .actor import Actor, NotAllowed

#: The format the tax advisor may export (``Permission.DATEV_FILES``), as long as the
#: export marks nothing.
ADVISOR_FORMAT = "datev"


def export(
    actor: Actor,
    criteria: Criteria,
    fmt: str,
    *,
    option: TagOption | str = TagOption.NONE,
    ids: Iterable[int] | None = None,
) -> ExportJob:
    """Export the actor's documents matching ``criteria`` (and among ``ids``, if given)
    in this process, and return the finished job (the REST API waits for it).

    Connections in ``criteria`` that are not the actor's are refused as not found.
    """
    job = start_export(actor, criteria, fmt, option=option, ids=ids, enqueue=False)
    service.run_queued(job.pk)
    job.refresh_from_db()
    return job


def start_export(
    actor: Actor,
    criteria: Criteria,
    fmt: str,
    *,
    option: TagOption | str = TagOption.NONE,
    ids: Iterable[int] | None = None,
    enqueue: bool = True,
) -> ExportJob:
    """Queue an export of the actor's documents matching ``criteria`` (and among ``ids``):
    a task writes it (``exports.tasks.export_documents``); its job page follows it."""
    organisation = actor.organisation
    if organisation is None:
        raise NotAllowed("An export belongs to one organisation.")
    # a tax advisor may fetch DATEV files, as long as they mark nothing
    datev_only = str(fmt) == ADVISOR_FORMAT and TagOption(option) is not TagOption.TAG
    actor.require(Permission.DATEV_FILES if datev_only else Permission.EXPORT)
    mine = set(actor.connections().values_list("pk", flat=True))
    if any(pk not in mine for pk in criteria.connections):
        raise NotAllowed("No such connection.")
    described = criteria.as_json()
    chosen = None
    if ids is not None:
        chosen = list(dict.fromkeys(ids))
        described["selected"] = len(chosen)
    job = service.queue_export(
        organisation=organisation,
        criteria=criteria,
        fmt=fmt,
        option=option,
        ids=chosen,
        user=actor.user,
        described=described,
    )
    if enqueue:
        # the task must find the committed job row (never one that rolls back)
        transaction.on_commit(lambda: export_documents.enqueue(job.pk))
    return job


def jobs(actor: Actor) -> QuerySet[ExportJob]:
    """The actor's export jobs, newest first."""
    actor.require(Permission.VIEW_DOCUMENTS)
    organisation = actor.organisation
    found = ExportJob.objects.select_related("user").order_by("-id")
    return found if organisation is None else found.filter(organisation=organisation)


def job(actor: Actor, pk: int) -> ExportJob:
    try:
        return jobs(actor).get(pk=pk)
    except ExportJob.DoesNotExist:
        raise NotAllowed("No such export.") from None


def format_settings(actor: Actor, identifier: str) -> AdapterSettings:
    """The actor's organisation's settings of an export format (its defaults, never saved)."""
    actor.require(Permission.EXPORT)
    exporter = registry.exporter_class(identifier)
    stored = (
        ExporterSettings.objects.filter(organisation=actor.organisation, exporter=identifier)
        .values_list("settings", flat=True)
        .first()
    )
    return _read(exporter.settings_model, stored)


def _read(model: type[AdapterSettings], stored: Mapping[str, Any] | None) -> AdapterSettings:
    """The stored settings; never saved, the model's defaults (its required fields unset)."""
    try:
        return read(model, stored)
    except ValidationError:
        if stored:
            raise
        return model.model_construct()


def update_format_settings(
    actor: Actor, identifier: str, changes: Mapping[str, Any]
) -> AdapterSettings:
    """Change the named fields of a format's settings, validated by its exporter's model,
    under a row lock; fields not named stay as they are. ``pydantic.ValidationError``
    for a bad value."""
    actor.require(Permission.EXPORT)
    organisation = actor.organisation
    if organisation is None:
        raise NotAllowed("Export settings belong to one organisation.")
    model = registry.exporter_class(identifier).settings_model
    with transaction.atomic():
        row, _ = ExporterSettings.objects.select_for_update().get_or_create(
            organisation=organisation, exporter=identifier
        )
        updated = (
            merged(read(model, row.settings), changes)
            if row.settings
            else model.model_validate(dict(changes))
        )
        row.settings = updated.model_dump(mode="json")
        row.save(update_fields=["settings", "updated_at"])
    return updated
