"""Month files: how a connection whose target delivers files (DATEV) gets its documents.

Such a target has no remote to send a voucher to; the advisor imports a file
per month. So instead of transferring document by document, a cycle delivers
every month that is over (by the connection's document date, in Berlin):

1. the PDFs the file will carry are fetched and stored first (remote calls,
   outside any transaction; stored, so a second run does not fetch them again);
2. in **one transaction**: the month's waiting documents are locked, the target
   writes the file, the file is stored (:class:`~belegsync.sync.models.MonthFile`
   with its documents), and each document in it moves to *done* (one that the
   format cannot carry fails with the reason). A worker killed anywhere in
   between leaves nothing: the transaction rolls back and the next cycle
   delivers the month whole. Every document is in exactly one file;
3. after the commit the source is told (``mark_transferred``: Billbee's tag),
   each recorded; a refusal there is retried by the next cycle.

A month is never written twice: a document that arrives for a delivered
month (a late order, a re-upload) goes into a correction file, the month's
next ``sequence``, listed beside the first.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import logging
from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any
from zoneinfo import ZoneInfo

from django.db import transaction
from django.db.models import Max
from django.utils import timezone

from belegsync.connectors.base import MonthDocument, Source, SourceDocument
from belegsync.connectors.errors import ConnectorError, FailureReason
from belegsync.connectors.reasons import Reason, as_json
from belegsync.documents.models import Connection, Document, DocumentFile
from belegsync.documents.states import State, transition

from . import conflicts
from .adapters import source_for, target_for
from .checks import as_booked, voucher_problems
from .models import MonthFile
from .transfer import crash_point

log = logging.getLogger("belegsync.sync")

BERLIN = ZoneInfo("Europe/Berlin")


def delivers_month_files(connection: Connection) -> bool:
    return bool(getattr(connection.adapter_class("target"), "delivers_month_files", False))


@dataclass
class Delivered:
    files: list[MonthFile] = field(default_factory=list)
    done: int = 0
    failed: int = 0


def due_months(connection: Connection, today: dt.date) -> dict[dt.date, list[int]]:
    """The waiting documents of every month before ``today``'s, by month (first day)."""
    target = target_for(connection)
    this_month = today.replace(day=1)
    months: dict[dt.date, list[int]] = defaultdict(list)
    waiting = connection.documents.filter(state=State.WAITING).only("id", "voucher")
    for document in waiting.order_by("id").iterator(chunk_size=500):
        month = target.month_of(document.as_voucher())  # type: ignore[attr-defined]
        if month < this_month:
            months[month].append(document.pk)
    return dict(sorted(months.items()))


def deliver_due_months(connection: Connection, worker: str, now: dt.datetime) -> Delivered:
    """Deliver every month that is over and has waiting documents; see the module."""
    result = Delivered()
    source = source_for(connection)
    for month, ids in due_months(connection, now.astimezone(BERLIN).date()).items():
        _store_pdfs(connection, source, ids)
        file, done, failed = deliver_month(connection, month, ids, worker)
        if file is not None:
            result.files.append(file)
        result.done += done
        result.failed += failed
        crash_point("month_delivered")
    _mark_transferred(connection, source, worker)
    return result


def _source_document(document: Document) -> SourceDocument:
    return SourceDocument(
        voucher=document.as_voucher(), source_id=document.source_id, meta=document.meta
    )


def _store_pdfs(connection: Connection, source: Source, ids: list[int]) -> None:
    if not connection.policy.transfer_pdf:
        return
    missing = Document.objects.filter(pk__in=ids, file__isnull=True)
    for document in missing.iterator(chunk_size=100):
        content = source.pdf(_source_document(document))
        if content:
            DocumentFile.store(document, content, f"{document.source_number}.pdf")


def deliver_month(
    connection: Connection, month: dt.date, ids: list[int], worker: str
) -> tuple[MonthFile | None, int, int]:
    """One month's file with the documents ``ids`` that still wait (None when none does),
    and how many are in it and how many the format could not carry."""
    target: Any = target_for(connection)
    with_pdf = connection.policy.transfer_pdf
    with transaction.atomic():
        documents = list(
            Document.objects.select_for_update()
            .filter(pk__in=ids, state=State.WAITING)
            .order_by("invoice_date", "id")
        )
        documents = _checked(connection, documents, worker)
        if not documents:
            return None, 0, 0
        pdfs = (
            dict(
                DocumentFile.objects.filter(document__in=documents).values_list(
                    "document_id", "content"
                )
            )
            if with_pdf
            else {}
        )
        last = MonthFile.objects.filter(connection=connection, month=month).aggregate(
            n=Max("sequence")
        )["n"]
        sequence = (last or 0) + 1
        made = target.month_file(
            month,
            (
                MonthDocument(
                    d.pk,
                    as_booked(d.as_voucher(), connection.policy),
                    bytes(pdfs[d.pk]) if d.pk in pdfs else None,
                )
                for d in documents
            ),
            sequence=sequence,
            created_at=timezone.localtime(),
        )
        file = MonthFile.objects.create(
            connection=connection,
            month=month,
            sequence=sequence,
            name=made.name,
            content=made.content,
            size=len(made.content),
            sha256=hashlib.sha256(made.content).hexdigest(),
        )
        crash_point("month_file_stored")
        for document in documents:
            transition(document, "claim", actor=worker)
            if document.pk in made.included:
                reference = made.included[document.pk]
                file.documents.add(document)
                transition(
                    document,
                    "complete",
                    actor=worker,
                    message=f"in {made.name}",
                    detail={"file": made.name},
                    remote_id=reference,
                    steps={"remote": {"remote_id": reference, "facts": {"file": made.name}}},
                )
            else:
                reasons = [made.left_out[document.pk]]
                transition(
                    document,
                    "fail",
                    actor=worker,
                    detail={"reasons": as_json(reasons)},
                    failure_reason=FailureReason.VALIDATION,
                    failure_details=as_json(reasons),
                )
    log.info(
        "month file connection=%s month=%s sequence=%s documents=%s",
        connection.pk,
        f"{month:%Y-%m}",
        sequence,
        len(made.included),
    )
    return file, len(made.included), len(made.left_out)


def _checked(connection: Connection, documents: list[Document], worker: str) -> list[Document]:
    """The documents that pass the checks right before the file is written (as a
    transfer's before its create, :mod:`.checks`); the others fail with their reasons."""
    policy, today = connection.policy, timezone.localdate()
    passed = []
    for document in documents:
        held = conflicts.reason(connection.pk, document.kind, document.source_number)
        problems = voucher_problems(document.as_voucher(), policy, today)
        if held is None and not problems:
            passed.append(document)
            continue
        reasons = [held] if held is not None else [Reason.of(p) for p in problems]
        reasons.append(Reason("checked_before_sending"))
        category = FailureReason.CONFLICT if held is not None else FailureReason.VALIDATION
        transition(
            document,
            "fail",
            actor=worker,
            message=", ".join(r.code for r in reasons),
            detail={"reason": category.value, "reasons": as_json(reasons)},
            failure_reason=category.value,
            failure_details=as_json(reasons),
        )
    return passed


def _mark_transferred(connection: Connection, source: Source, worker: str) -> None:
    """Tell the source about each delivered document that it has not been told about."""
    told = Document.objects.filter(
        connection=connection, state=State.DONE, month_files__isnull=False
    ).exclude(steps__has_key="mark_transferred")
    for document in told.distinct().iterator(chunk_size=100):
        try:
            source.mark_transferred(_source_document(document))
        except ConnectorError as error:
            log.warning(
                "could not tell the source document=%s: %s (retried next cycle)",
                document.pk,
                error.message,
            )
            continue
        steps = {**document.steps, "mark_transferred": {"by": worker}}
        Document.objects.filter(pk=document.pk).update(steps=steps)
