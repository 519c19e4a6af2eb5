"""Manual exports (DATEV, CSV, ZIP of PDFs) of the actor's documents, and their jobs.

The REST API calls these; an export runs at once and returns its finished job
(one that failed carries ``error`` and tagged nothing).
"""

from __future__ import annotations

from collections.abc import Iterable

from django.db.models import QuerySet

from belegsync.documents.roles import Permission
from belegsync.exports.models import ExportFormat, ExportJob, TagOption
from belegsync.exports.service import Criteria, filter_documents, run_export

from .actor import Actor, NotAllowed


def export(
    actor: Actor,
    criteria: Criteria,
    fmt: ExportFormat | str,
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
    datev_only = ExportFormat(fmt) is ExportFormat.DATEV and TagOption(option) is not TagOption.TAG
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
