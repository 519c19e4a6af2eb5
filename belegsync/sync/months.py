"""Month files: how a connection whose target delivers files (DATEV) gets its documents.

Such a target has no remote to send a voucher to; the advisor imports a file
per month. So instead of transferring document by document, a cycle delivers
every month that is over (by the connection's document date, in Berlin):

1. the PDFs the file will carry are fetched and stored first (remote calls,
   outside any transaction; stored, so a second run does not fetch them again);
2. the target writes the file, outside any transaction and renewing the cycle's
   lease as it goes (a big month takes longer than a lease; a worker whose
   connection was taken over meanwhile stops and stores nothing);
3. in **one short transaction**: the month's documents are locked and must be as
   written (still waiting, the same data) and the connection still this worker's;
   then the file is stored (:class:`~belegsync.sync.models.MonthFile` with its
   documents), and each document in it moves to *done* (one that the format
   cannot carry fails with the reason). Anything changed meanwhile: nothing is
   stored and the next cycle writes the month again. A worker killed anywhere
   leaves nothing half done: the next cycle delivers the month whole. Every
   document is in exactly one file;
4. after the commit the source is told (``mark_transferred``: Billbee's tag),
   each recorded; a refusal there is retried by the next cycle.

A month is never written twice: a document that arrives for a delivered
month (a late order, a re-upload) goes into a correction file, the month's
next ``sequence``, listed beside the first.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import logging
import time
from collections import defaultdict
from collections.abc import Callable, Iterable, Iterator
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
from .checks import as_booked, held_or_invalid
from .lease import cycle_lease
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


def deliver_due_months(
    connection: Connection,
    worker: str,
    now: dt.datetime,
    renew: Callable[[], bool] = lambda: True,
) -> Delivered:
    """Deliver every month that is over and has waiting documents; see the module.

    ``renew`` extends this worker's hold on the connection (the cycle's lease) and says
    whether it still has it; it is called while a month's file is written.
    """
    result = Delivered()
    source = source_for(connection)
    for month, ids in due_months(connection, now.astimezone(BERLIN).date()).items():
        _store_pdfs(connection, source, ids)
        file, done, failed = deliver_month(connection, month, ids, worker, renew)
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


class LeaseLost(Exception):
    """Another worker took the connection over while this one wrote a month's file."""


def _fingerprint(document: Document) -> str:
    """What a document was when its booking was written (a re-upload changes it)."""
    return hashlib.sha256(
        json.dumps(document.voucher, sort_keys=True, default=str).encode()
    ).hexdigest()


def _renewing(
    documents: Iterable[MonthDocument], renew: Callable[[], bool]
) -> Iterator[MonthDocument]:
    """The documents, handed over one by one, renewing the lease every third of it: a
    month of 50,000 documents outlives any lease, and a takeover meanwhile must stop
    this writer rather than let two workers write the month."""
    every = cycle_lease().total_seconds() / 3
    last = time.monotonic()
    for document in documents:
        if time.monotonic() - last >= every:
            if not renew():
                raise LeaseLost()
            last = time.monotonic()
        yield document


def deliver_month(
    connection: Connection,
    month: dt.date,
    ids: list[int],
    worker: str,
    renew: Callable[[], bool] = lambda: True,
) -> tuple[MonthFile | None, int, int]:
    """One month's file with the documents ``ids`` that still wait (None when none does),
    and how many are in it and how many the format could not carry.

    The file is written outside any transaction, renewing the lease as it goes (the
    slow part: one booking per voucher, every PDF). Then, in one short transaction,
    the documents are locked and must be exactly as written (still waiting, same
    data), and this worker must still hold the connection: only then are the file and
    the documents' move to *done* stored. Otherwise nothing is stored and the next
    cycle writes the month again.
    """
    target: Any = target_for(connection)
    policy = connection.policy
    waiting = list(
        Document.objects.filter(pk__in=ids, state=State.WAITING).order_by("invoice_date", "id")
    )
    failing, passed = _checks(connection, waiting)
    if not waiting:
        return None, 0, 0
    written = {d.pk: _fingerprint(d) for d in waiting}
    pdfs = (
        dict(DocumentFile.objects.filter(document__in=passed).values_list("document_id", "content"))
        if policy.transfer_pdf and passed
        else {}
    )
    sequence = _next_sequence(connection, month)
    made = None
    if passed:
        try:
            made = target.month_file(
                month,
                _renewing(
                    (
                        MonthDocument(
                            d.pk,
                            as_booked(d.as_voucher(), policy),
                            bytes(pdfs[d.pk]) if d.pk in pdfs else None,
                        )
                        for d in passed
                    ),
                    renew,
                ),
                sequence=sequence,
                created_at=timezone.localtime(),
            )
        except LeaseLost:
            log.warning(
                "month file connection=%s month=%s: lease lost while writing; not stored",
                connection.pk,
                f"{month:%Y-%m}",
            )
            return None, 0, 0
    with transaction.atomic():
        locked = {
            d.pk: d
            for d in Document.objects.select_for_update().filter(
                pk__in=list(written), state=State.WAITING
            )
        }
        # the fence: still this worker's connection (inside the transaction, so a
        # takeover after this point waits for the commit), and every document as written
        changed = set(written) - set(locked) or {
            pk for pk, d in locked.items() if _fingerprint(d) != written[pk]
        }
        if changed or not renew() or _next_sequence(connection, month) != sequence:
            log.warning(
                "month file connection=%s month=%s: %s changed while it was written; "
                "written again next cycle",
                connection.pk,
                f"{month:%Y-%m}",
                "documents" if changed else "the connection",
            )
            transaction.set_rollback(True)
            return None, 0, 0
        for pk, reasons, category in failing:
            _fail_checked(locked[pk], reasons, category, worker)
        if made is None:
            return None, 0, len(failing)
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
        for document in passed:
            document = locked[document.pk]
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
    return file, len(made.included), len(made.left_out) + len(failing)


def _next_sequence(connection: Connection, month: dt.date) -> int:
    last = MonthFile.objects.filter(connection=connection, month=month).aggregate(
        n=Max("sequence")
    )["n"]
    return (last or 0) + 1


def _checks(
    connection: Connection, documents: list[Document]
) -> tuple[list[tuple[int, list[Reason], FailureReason]], list[Document]]:
    """The checks right before the file is written (a transfer's before its create,
    :func:`.checks.held_or_invalid`): (document, reasons, category) of those that fail,
    and those that pass."""
    policy, today = connection.policy, timezone.localdate()
    failing, passed = [], []
    for document in documents:
        held = conflicts.reason(connection.pk, document.kind, document.source_number)
        refused = held_or_invalid(document.as_voucher(), policy, today, held)
        if refused is None:
            passed.append(document)
        else:
            failing.append((document.pk, refused.reasons, refused.reason))
    return failing, passed


def _fail_checked(
    document: Document, reasons: list[Reason], category: FailureReason, worker: str
) -> None:
    transition(
        document,
        "fail",
        actor=worker,
        message=", ".join(r.code for r in reasons),
        detail={"reason": category.value, "reasons": as_json(reasons)},
        failure_reason=category.value,
        failure_details=as_json(reasons),
    )


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
