"""/documents: the lists with the web's filters, one document, its PDF, the actions."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django.http import HttpRequest, HttpResponse
from django.utils.translation import gettext as _
from ninja import Query, Router

from belegsync.connectors import registry
from belegsync.connectors.reasons import Reason
from belegsync.documents import listing
from belegsync.documents.labels import failure_reason_label
from belegsync.documents.models import Document, DocumentFile
from belegsync.documents.roles import Permission
from belegsync.documents.states import State
from belegsync.reasons import render
from belegsync.reasons.history import actor_label, entry
from belegsync.services import documents as services
from belegsync.services.documents import Action
from belegsync.sync import preview

from . import problems
from .auth import actor
from .schemas import (
    BulkActionIn,
    BulkActionOut,
    DocumentDetailOut,
    DocumentFilters,
    DocumentPage,
    KeepIn,
    OutcomeOut,
    PathId,
    PreviewOut,
)

router = Router(tags=["documents"])


def booked(amount: Decimal, kind: str) -> str:
    """An amount as the bookkeeping shows it: a credit note's negative."""
    return str(-amount if kind == "credit_note" else amount)


def reason_out(reason: Reason, currency: str = "EUR") -> dict[str, Any]:
    """A reason as the API answers it: its code and parameters, and its text."""
    stored = reason.as_json()
    return {**stored, "params": dict(stored.get("params", {})), "text": render(reason, currency)}


def _reasons(reasons: list[Reason], currency: str) -> list[dict[str, Any]]:
    return [reason_out(r, currency) for r in reasons]


def document_out(document: Document) -> dict[str, Any]:
    return {
        "id": document.pk,
        "number": document.source_number,
        "kind": document.kind,
        "state": document.state,
        "invoice_date": document.invoice_date,
        "currency": document.currency,
        "total_net": booked(document.total_net, document.kind),
        "total_gross": booked(document.total_gross, document.kind),
        "connection": {"id": document.connection_id, "name": document.connection.name},
        "remote_id": document.remote_id,
        "remote_url": document.remote_url,
        "failure_category": document.failure_reason if document.state == State.FAILED else "",
        "created_at": document.created_at,
        "updated_at": document.updated_at,
    }


def _system_name(kind: str, side: str) -> str:
    try:
        cls = registry.source_class(kind) if side == "source" else registry.target_class(kind)
    except registry.UnknownKind:
        return kind
    return str(cls.verbose_name)


def _history(document: Document) -> list[dict[str, Any]]:
    connection = document.connection
    source = _system_name(connection.source_kind, "source")
    target = _system_name(connection.target_kind, "target")
    found = []
    for event in document.events.select_related("user").order_by("at", "id"):
        item = entry(
            event.action,
            event.detail,
            event.message,
            event.to_state,
            source=source,
            target=target,
        )
        user = event.user.get_username() if event.user_id else ""
        found.append(
            {
                "at": event.at,
                "who": actor_label(event.actor, user),
                "action": event.action,
                "from_state": event.from_state,
                "to_state": event.to_state,
                "text": render(item.headline),
                "reasons": [render(r) for r in item.reasons],
            }
        )
    return found


def _tax_groups(document: Document) -> list[dict[str, Any]]:
    try:
        groups = document.as_voucher().tax_groups()
    except (KeyError, ValueError, TypeError, ArithmeticError):
        return []
    return [
        {
            "rate": str(g.rate),
            "net": booked(g.net, document.kind),
            "gross": booked(g.gross, document.kind),
            "lines": g.lines,
        }
        for g in groups
    ]


def _failure(document: Document) -> dict[str, Any] | None:
    if document.state != State.FAILED:
        return None
    return {
        "category": document.failure_reason,
        "title": failure_reason_label(document.failure_reason),
        "message": document.failure_message,
        "reasons": _reasons(document.failures, document.currency),
    }


def detail_out(document: Document) -> dict[str, Any]:
    return {
        **document_out(document),
        "source_id": document.source_id,
        "attempts": document.attempts,
        "retry_at": document.retry_at,
        "failure": _failure(document),
        "skip_reasons": _reasons(document.skips, document.currency),
        "raw_error": document.raw_error,
        "tax_groups": _tax_groups(document),
        "has_pdf": DocumentFile.objects.filter(document=document).exists(),
        "actions": [a.value for a in services.actions_for(document)],
        "history": _history(document),
        "competing": [_competitor(c, document.kind) for c in services.competing(document)],
    }


def _competitor(competitor: services.Competitor, kind: str) -> dict[str, Any]:
    state = "kept" if competitor.kept else "skipped" if competitor.skipped else "open"
    gross = competitor.gross
    return {
        "source_id": competitor.source_id,
        "invoice_date": competitor.invoice_date,
        "total_gross": None if gross is None else booked(gross, kind),
        "currency": competitor.currency,
        "state": state,
        "decided_by": competitor.decided_by,
    }


def _document(request: HttpRequest, pk: PathId) -> Document:
    try:
        who = actor(request, Permission.VIEW_DOCUMENTS)
        return who.documents().select_related("connection").get(pk=pk)
    except Document.DoesNotExist:
        raise problems.not_found(_("No such document.")) from None


@router.get(
    "/documents",
    response={200: DocumentPage, **problems.responses(404, 422)},
    summary="List documents (newest first, cursor pages)",
)
def list_documents(request: HttpRequest, filters: Query[DocumentFilters]) -> dict[str, Any]:
    who = actor(request, Permission.VIEW_DOCUMENTS)
    connections = who.connections()
    wanted = filters.connection
    if wanted is not None and not connections.filter(pk=wanted).exists():
        raise problems.not_found(_("No such connection."))
    chosen = listing.Filters(
        state=filters.state.value if filters.state else "",
        number=filters.number.strip(),
        date_from=filters.date_from,
        date_to=filters.date_to,
        connection_id=wanted,
    )
    documents = listing.filtered(who.documents(), connections.values_list("pk", flat=True), chosen)
    rows, next_after = listing.page(documents, chosen, filters.after, filters.limit)
    return {"items": [document_out(d) for d in rows], "next_after": next_after}


@router.get(
    "/documents/{int:pk}",
    response={200: DocumentDetailOut, **problems.responses(404)},
    summary="One document with its failure, history and the actions it allows",
)
def get_document(request: HttpRequest, pk: PathId) -> dict[str, Any]:
    return detail_out(_document(request, pk))


@router.get(
    "/documents/{int:pk}/pdf",
    response={200: None, **problems.responses(404)},
    summary="The document's PDF",
    openapi_extra={
        "responses": {
            200: {
                "description": "The PDF",
                "content": {"application/pdf": {"schema": {"type": "string", "format": "binary"}}},
            }
        }
    },
)
def get_pdf(request: HttpRequest, pk: PathId) -> HttpResponse:
    document = _document(request, pk)
    file = DocumentFile.objects.filter(document=document).first()
    if file is None:
        raise problems.not_found(_("This document has no PDF."))
    answer = HttpResponse(bytes(file.content), content_type="application/pdf")
    safe = "".join(c for c in file.filename if c.isalnum() or c in "._- ") or "document.pdf"
    answer["Content-Disposition"] = f'attachment; filename="{safe}"'
    return answer


@router.get(
    "/documents/{int:pk}/preview",
    response={200: PreviewOut, **problems.responses(404)},
    summary="The exact request the target would receive for it now (sends nothing)",
)
def preview_document(request: HttpRequest, pk: PathId) -> dict[str, Any]:
    """The same rule as `belegsync preview`: a body, or the errors that keep it from one."""
    return preview.preview_document(_document(request, pk))


def _done_or_refused(outcome: services.Outcome) -> dict[str, Any]:
    """One document's outcome, or 409 with the service's reason when it refused."""
    if not outcome.ok:
        raise problems.ApiProblem(
            409, "action_refused", outcome.message, title=_("The action is not possible")
        )
    return _outcome(outcome)


def _outcome(outcome: services.Outcome) -> dict[str, Any]:
    document = outcome.document
    document.refresh_from_db(fields=["state"])
    return {
        "id": document.pk,
        "number": document.source_number,
        "ok": outcome.ok,
        "state": document.state,
        "message": outcome.message,
    }


@router.post(
    "/documents/{int:pk}/keep",
    response={200: OutcomeOut, **problems.responses(404, 409, 422)},
    summary="Keep this one: send the chosen shop document under the number, skip the others",
)
def keep_for_number(request: HttpRequest, pk: PathId, payload: KeepIn) -> dict[str, Any]:
    document = _document(request, pk)
    outcome = services.keep_for_number(actor(request), document, payload.source_id)
    return _done_or_refused(outcome)


@router.post(
    "/documents/{int:pk}/{action}",
    response={200: OutcomeOut, **problems.responses(404, 409, 422)},
    summary="Reset, mark as manually imported or re-upload one document",
)
def act_on_document(request: HttpRequest, pk: PathId, action: Action) -> dict[str, Any]:
    document = _document(request, pk)
    [outcome] = services.act(actor(request), action, [document])
    return _done_or_refused(outcome)


@router.post(
    "/documents/actions",
    response={200: BulkActionOut, **problems.responses(422)},
    summary="One action on many documents, with an outcome per document",
)
def act_on_documents(request: HttpRequest, payload: BulkActionIn) -> dict[str, Any]:
    outcomes, missing = services.act_on_ids(actor(request), payload.action, payload.ids)
    return {"outcomes": [_outcome(o) for o in outcomes], "not_found": missing}
