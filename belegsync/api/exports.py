"""/exports: DATEV, CSV or a ZIP of PDFs of the chosen documents; the jobs and their files."""

from __future__ import annotations

from typing import Any

from django.http import FileResponse, HttpRequest
from django.utils.translation import gettext as _
from ninja import Query, Router, Status

from belegsync.connectors.reasons import Reason, from_json
from belegsync.exports.models import ExportJob
from belegsync.exports.service import Criteria
from belegsync.reasons import render_all, sentence
from belegsync.services import exports as services

from . import problems
from .auth import actor
from .documents import reason_out
from .pages import cursor_page, not_found_unless_own
from .schemas import ExportIn, ExportOut, ExportPage, ImportsQuery, PathId

router = Router(tags=["exports"])


def _worded(reasons: list[Reason], english: str) -> dict[str, Any]:
    """Reasons as codes with their texts, and one sentence in the request's language (the
    English sentence kept for support where a job stored no codes)."""
    return {
        "text": sentence(render_all(reasons)) if reasons else english,
        "reasons": [reason_out(r) for r in reasons],
    }


def _left_out(entry: dict[str, Any]) -> dict[str, Any]:
    worded = _worded(from_json(entry.get("reasons")), str(entry.get("reason", "")))
    return {
        "number": str(entry.get("number", "")),
        "reason": worded["text"],
        "reasons": worded["reasons"],
    }


def export_out(job: ExportJob) -> dict[str, Any]:
    summary = job.summary or {}
    failed = job.state == ExportJob.State.FAILED
    error = _worded(from_json(summary.get("error_reasons")) if failed else [], job.error)
    return {
        "id": job.pk,
        "format": job.format,
        "option": job.option,
        "tag": job.tag,
        "state": job.state,
        "error": error["text"],
        "error_reasons": error["reasons"],
        "created_at": job.created_at,
        "finished_at": job.finished_at,
        "file_name": job.file_name,
        "file_size": job.file_size,
        "exported": job.exported_count,
        "left_out": job.left_out_count,
        "left_out_documents": [_left_out(e) for e in summary.get("left_out", [])],
        "criteria": job.criteria or {},
    }


def _job(request: HttpRequest, pk: PathId) -> ExportJob:
    with not_found_unless_own(_("No such export.")):
        return services.job(actor(request), pk)


@router.post(
    "/exports",
    response={201: ExportOut, 202: ExportOut, **problems.responses(404, 422)},
    summary="Export the documents matching the filters (or the given ids)",
)
def create_export(
    request: HttpRequest, payload: ExportIn, queued: bool = False
) -> Status[dict[str, Any]]:
    """Runs at once and answers 201 with the finished job; with `queued=true` a worker
    writes it, as the export dialog does, and the answer is 202 with the queued job
    (poll `GET /exports/{id}`). A job that failed says why in `error` and tagged nothing."""
    criteria = Criteria(
        connections=list(payload.connections),
        date_from=payload.date_from,
        date_to=payload.date_to,
        state=payload.state.value if payload.state else "",
        kind=payload.kind or "",
        shop=payload.shop.strip(),
        tagged=payload.tagged.strip(),
        search=payload.search.strip(),
    )
    run = services.start_export if queued else services.export
    with not_found_unless_own(_("No such connection.")):
        job = run(actor(request), criteria, payload.format, option=payload.option, ids=payload.ids)
    return Status(202 if queued else 201, export_out(job))


@router.get("/exports", response={200: ExportPage, **problems.responses(422)})
def list_exports(request: HttpRequest, query: Query[ImportsQuery]) -> dict[str, Any]:
    """The organisation's exports, newest first, in cursor pages."""
    return cursor_page(services.jobs(actor(request)), query.after, query.limit, export_out)


@router.get("/exports/{int:pk}", response={200: ExportOut, **problems.responses(404)})
def get_export(request: HttpRequest, pk: PathId) -> dict[str, Any]:
    return export_out(_job(request, pk))


@router.get(
    "/exports/{int:pk}/file",
    response={200: None, **problems.responses(404)},
    openapi_extra={
        "responses": {
            200: {
                "description": "The export's file (DATEV CSV, CSV or ZIP)",
                "content": {
                    "application/octet-stream": {"schema": {"type": "string", "format": "binary"}}
                },
            }
        }
    },
)
def download_export(request: HttpRequest, pk: PathId) -> FileResponse:
    job = _job(request, pk)
    path = job.path
    if path is None or not path.exists():
        raise problems.not_found(_("This export has no file (any more)."))
    return FileResponse(path.open("rb"), as_attachment=True, filename=job.file_name)
