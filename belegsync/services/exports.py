"""Manual exports (DATEV, CSV, ZIP of PDFs) of the actor's documents, and their jobs.

The REST API calls these; an export runs at once and returns its finished job
(one that failed carries ``error`` and tagged nothing).
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
from belegsync.exports.models import ExporterSettings, ExportJob, TagOption
from belegsync.exports.service import Criteria, filter_documents, run_export

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
    """Export the actor's documents matching ``criteria`` (and among ``ids``, if given).

    Connections in ``criteria`` that are not the actor's are refused as not found.
    """
    organisation = actor.organisation
    if organisation is None:
        raise NotAllowed("An export belongs to one organisation.")
    # a tax advisor may fetch DATEV files, as long as they mark nothing
    datev_only = str(fmt) == ADVISOR_FORMAT and TagOption(option) is not TagOption.TAG
    actor.require(Permission.DATEV_FILES if datev_only else Permission.EXPORT)
    mine = set(actor.connections().values_list("pk", flat=True))
    if any(pk not in mine for pk in criteria.connections):
        raise NotAllowed("No such connection.")
    documents = filter_documents(actor.documents(), criteria)
    described = criteria.as_json()
    if ids is not None:
        chosen = list(dict.fromkeys(ids))
        documents = documents.filter(pk__in=chosen)
        described["selected"] = len(chosen)
    period = None
    if criteria.date_from and criteria.date_to:
        period = (criteria.date_from, criteria.date_to)
    return run_export(
        organisation=organisation,
        documents=documents,
        fmt=fmt,
        option=option,
        user=actor.user,
        criteria=described,
        period=period,
    )


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
