"""/imports: upload a file for a connection (it becomes an import job), poll the job."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from django.http import HttpRequest
from django.utils.translation import gettext as _
from ninja import File, Form, Query, Router, Status
from ninja.files import UploadedFile

from belegsync.connectors.reasons import Reason
from belegsync.documents.models import Connection
from belegsync.reasons import file_problem
from belegsync.services import imports as services
from belegsync.sync.models import ImportJob, ImportOutcome

from . import problems
from .auth import actor
from .documents import reason_out
from .pages import cursor_page, not_found_unless_own
from .schemas import ImportOut, ImportPage, ImportsQuery, PathId, UploadIn

router = Router(tags=["imports"])


def _problem(stored: Mapping[str, Any]) -> dict[str, Any]:
    """A rejected row as the upload page shows it: where, the reason's code and its words."""
    return {
        "line": stored.get("line"),
        "column": str(stored.get("column") or ""),
        "value": str(stored.get("value") or ""),
        "number": str(stored.get("number") or ""),
        "reason": reason_out(Reason.from_json(stored)),
        "message": file_problem(stored),
    }


def import_out(job: ImportJob) -> dict[str, Any]:
    return {
        "id": job.pk,
        "connection": {"id": job.connection_id, "name": job.connection.name},
        "filename": job.filename,
        "size": job.size,
        "sha256": job.sha256,
        "mode": job.mode,
        "state": job.state,
        "finished": job.finished,
        "percent": job.percent,
        "created_at": job.created_at,
        "started_at": job.started_at,
        "finished_at": job.finished_at,
        "counts": {o.value: job.count(o) for o in ImportOutcome},
        "numbers": {k: list(v) for k, v in (job.numbers or {}).items()},
        "problems": [_problem(p) for p in job.problems],
        "problems_total": job.problems_total,
        "file_error": file_problem(job.file_error) if job.file_error else "",
        "file_error_reason": reason_out(Reason.from_json(job.file_error))
        if job.file_error
        else None,
    }


@router.post(
    "/imports",
    response={202: ImportOut, **problems.responses(404, 413, 422)},
    summary="Upload a file (e.g. an Afterbuy Rechnungsliste) for a connection",
)
def upload(
    request: HttpRequest, payload: Form[UploadIn], file: File[UploadedFile]
) -> Status[dict[str, Any]]:
    """The file is kept and read by a worker; poll `GET /imports/{id}` for its result."""
    who = actor(request)
    try:
        connection = who.connections().get(pk=payload.connection)
    except Connection.DoesNotExist:
        raise problems.not_found(_("No such connection.")) from None
    if file.size is not None and file.size > services.max_upload_bytes():
        raise problems.ApiProblem(
            413, "upload_too_large", services.too_large_message(), title=_("File too large")
        )
    try:
        job = services.start_import(
            who, connection, file.chunks(), file.name or "upload", mode=payload.mode
        )
    except services.UploadRefused as error:
        raise problems.field_refused(
            "upload_refused", _("Upload refused"), str(error), where="form", field="file"
        ) from None
    return Status(202, import_out(job))


@router.get("/imports", response={200: ImportPage, **problems.responses(422)})
def list_imports(request: HttpRequest, query: Query[ImportsQuery]) -> dict[str, Any]:
    """The organisation's imports, newest first, in cursor pages."""
    return cursor_page(services.jobs(actor(request)), query.after, query.limit, import_out)


@router.get("/imports/{int:pk}", response={200: ImportOut, **problems.responses(404)})
def get_import(request: HttpRequest, pk: PathId) -> dict[str, Any]:
    """Progress and result: counts per outcome, the first numbers, the rejected rows."""
    with not_found_unless_own(_("No such import.")):
        return import_out(services.job(actor(request), pk))


@router.post("/imports/{int:pk}/retry", response={202: ImportOut, **problems.responses(404, 409)})
def retry_import(request: HttpRequest, pk: PathId) -> Status[dict[str, Any]]:
    """Read a failed import's file again, as "Try again" on its page does: a job that lost
    its workers resumes after its last stored batch, any other starts from the top."""
    who = actor(request)
    with not_found_unless_own(_("No such import.")):
        job = services.job(who, pk)
    if job.state != ImportJob.State.FAILED:
        raise problems.ApiProblem(
            409,
            "import_not_failed",
            _("Only a failed import can be tried again; this one is %(state)s.")
            % {"state": job.get_state_display()},
            title=_("The import cannot be tried again"),
        )
    return Status(202, import_out(services.import_again(who, job)))
