"""Store what a source read: the one way documents enter belegsync.

CSV upload, the Afterbuy API and Billbee all end here, so the rules are the
same for every source: one document per (connection, kind, number); a voucher
that does not add up becomes a *failed* document with the reasons, never a
silent fix; a skipped one is kept and shown; newer data for a document already
transferred waits for the merchant's re-upload instead of changing the books.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from django.db import transaction
from django.utils import timezone

from belegsync.bookkeeping import Problem, validate, voucher_to_dict
from belegsync.connectors.base import SourceDocument
from belegsync.connectors.errors import FailureReason
from belegsync.documents.models import Connection, Document, Event
from belegsync.documents.states import State, transition


@dataclass
class IngestReport:
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    failed: int = 0
    skipped: int = 0
    pending_reupload: int = 0
    numbers_failed: list[str] = field(default_factory=list)

    def add(self, other: IngestReport) -> None:
        for name in ("created", "updated", "unchanged", "failed", "skipped", "pending_reupload"):
            setattr(self, name, getattr(self, name) + getattr(other, name))
        self.numbers_failed += other.numbers_failed


def describe_problems(problems: list[Problem]) -> str:
    return "The voucher does not add up: " + "; ".join(str(p) for p in problems)


def _columns(sd: SourceDocument) -> dict[str, Any]:
    v = sd.voucher
    return {
        "source_id": sd.source_id,
        "invoice_date": v.invoice_date,
        "currency": v.currency,
        "total_net": v.total_net,
        "total_gross": v.total_gross,
        "meta": dict(sd.meta),
    }


def _validation_failure(problems: list[Problem]) -> dict[str, Any]:
    return {
        "failure_reason": FailureReason.VALIDATION.value,
        "failure_message": describe_problems(problems),
        "raw_error": "",
    }


def store(connection: Connection, sd: SourceDocument, actor: str = "system") -> str:
    """Store one source document; returns what happened (created, updated, …)."""
    voucher = sd.voucher
    data = voucher_to_dict(voucher)
    problems = validate(voucher)
    with transaction.atomic():
        existing = (
            Document.objects.select_for_update()
            .filter(connection=connection, kind=voucher.kind.value, source_number=voucher.number)
            .first()
        )
        if existing is None:
            return _create(connection, sd, data, problems, actor)
        return _update(existing, sd, data, problems, actor)


def _create(
    connection: Connection,
    sd: SourceDocument,
    data: dict[str, Any],
    problems: list[Problem],
    actor: str,
) -> str:
    state, extra, outcome = State.WAITING, {}, "created"
    if problems:
        state, extra, outcome = State.FAILED, _validation_failure(problems), "failed"
    elif sd.skip_reason:
        state, outcome = State.SKIPPED, "skipped"
    now = timezone.now()
    document = Document.objects.create(
        connection=connection,
        kind=sd.voucher.kind.value,
        source_number=sd.voucher.number,
        voucher=data,
        state=state,
        skip_reason=sd.skip_reason,
        created_at=now,
        updated_at=now,
        **_columns(sd),
        **extra,
    )
    Event.objects.create(
        document=document,
        at=now,
        actor=actor,
        action="import",
        to_state=state,
        message=extra.get("failure_message") or sd.skip_reason or "imported",
    )
    return outcome


def _update(
    document: Document,
    sd: SourceDocument,
    data: dict[str, Any],
    problems: list[Problem],
    actor: str,
) -> str:
    same = document.voucher == data and document.skip_reason == sd.skip_reason
    if same:
        return "unchanged"
    if document.state in (State.PROCESSING, State.DONE, State.MANUAL):
        if document.voucher == data or document.pending_voucher == data:
            return "unchanged"
        Document.objects.filter(pk=document.pk).update(pending_voucher=data)
        Event.objects.create(
            document=document,
            actor=actor,
            action="newer_data",
            message="The source has newer data for this voucher; re-upload to send it.",
        )
        return "pending_reupload"
    Document.objects.filter(pk=document.pk).update(
        voucher=data, skip_reason=sd.skip_reason, updated_at=timezone.now(), **_columns(sd)
    )
    return _recheck(document, sd, problems, actor)


def _recheck(document: Document, sd: SourceDocument, problems: list[Problem], actor: str) -> str:
    """Move an updated document to the state its new data calls for."""
    state = document.state
    if problems:
        if state == State.FAILED:
            Document.objects.filter(pk=document.pk).update(**_validation_failure(problems))
            return "failed"
        if state == State.SKIPPED:
            transition(document, "unskip", actor=actor)
        transition(document, "fail", actor=actor, **_validation_failure(problems))
        return "failed"
    if state == State.FAILED:
        if document.failure_reason != FailureReason.VALIDATION:
            return "updated"  # rejected by the target: the merchant decides (reset)
        transition(document, "recheck", actor=actor, failure_reason="", failure_message="")
        state = State.WAITING
    if sd.skip_reason and state == State.WAITING:
        transition(document, "skip", actor=actor, message=sd.skip_reason)
        return "skipped"
    if not sd.skip_reason and state == State.SKIPPED:
        transition(document, "unskip", actor=actor)
    return "updated"


def store_all(
    connection: Connection, documents: list[SourceDocument], actor: str = "system"
) -> IngestReport:
    report = IngestReport()
    for sd in documents:
        outcome = store(connection, sd, actor)
        setattr(report, outcome, getattr(report, outcome) + 1)
        if outcome == "failed":
            report.numbers_failed.append(sd.voucher.number)
    return report
