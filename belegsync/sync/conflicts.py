"""One number, one document (issue #13, item 9).

The target knows a voucher by its number, so belegsync keeps one document per
(connection, kind, number). Two source documents with that number and
different content — two Billbee orders, two Afterbuy orders — are two invoices
the target could only book as one: taking either would lose the other, taking
the newer one would change the books under the merchant's feet. So both are
kept (:class:`~belegsync.documents.models.NumberConflict`), the document is held
with a reason naming both, and nothing of that number is sent while both
remain. When the merchant gives one of them another number in the shop
system, the next fetch brings it under its new number: its row goes, and the
number's document carries on with the one that is left. Or the merchant keeps
one (:func:`keep`, "keep this one"): the others are skipped with
``number_conflict_skipped`` and never sent under the number, however often the
source sends them again; a third one with that number holds it again.
"""

from __future__ import annotations

from typing import Any

from django.utils import timezone

from belegsync.bookkeeping import voucher_from_dict
from belegsync.connectors.base import SourceDocument
from belegsync.connectors.errors import FailureReason
from belegsync.connectors.reasons import Reason, as_json
from belegsync.documents.models import Connection, Document, Event, NumberConflict
from belegsync.documents.states import State, transition

CODE = "number_conflict"
SKIPPED = "number_conflict_skipped"


def competes(document: Document, sd: SourceDocument, data: dict[str, Any]) -> bool:
    """Whether ``sd`` is another source document than the one ``document`` holds."""
    return bool(
        document.source_id
        and sd.source_id
        and document.source_id != sd.source_id
        and data != document.voucher
    )


def reason(connection_id: int, kind: str, number: str) -> Reason | None:
    """Why ``number`` must not be sent: two or more source documents carry it."""
    source_ids = sorted(
        NumberConflict.objects.filter(
            connection_id=connection_id, kind=kind, number=number, skipped_reason=""
        ).values_list("source_id", flat=True)
    )
    if len(source_ids) < 2:
        return None
    return Reason(CODE, {"number": number, "source_ids": source_ids}, "number")


def skipped(document: Document, sd: SourceDocument, data: dict[str, Any]) -> bool:
    """Whether ``sd`` is one the merchant skipped for this number: its newer data is kept
    on its row, and it changes nothing of the number's document."""
    return bool(
        NumberConflict.objects.filter(
            connection_id=document.connection_id,
            kind=document.kind,
            number=document.source_number,
            source_id=sd.source_id,
        )
        .exclude(skipped_reason="")
        .update(voucher=data)
    )


def keep(document: Document, source_id: str, actor: str) -> list[str]:
    """The merchant's choice: ``source_id`` is the number's document, the other source
    documents of the number are skipped (``SKIPPED``). Returns the skipped ids.

    The document takes the kept one's data when it is not transferred yet, and waits
    again when the conflict was all that held it. Raises ``LookupError`` when
    ``source_id`` is not one of the number's undecided source documents.
    """
    rows = NumberConflict.objects.select_for_update().filter(
        connection_id=document.connection_id,
        kind=document.kind,
        number=document.source_number,
        skipped_reason="",
    )
    chosen = next((row for row in rows if row.source_id == source_id), None)
    if chosen is None:
        raise LookupError(source_id)
    now = timezone.now()
    others = [row.source_id for row in rows if row.pk != chosen.pk]
    rows.exclude(pk=chosen.pk).update(skipped_reason=SKIPPED, decided_by=actor, decided_at=now)
    NumberConflict.objects.filter(pk=chosen.pk).update(decided_by=actor, decided_at=now)
    Event.objects.create(
        document=document,
        actor=actor,
        action="number_conflict_kept",
        message=SKIPPED,
        detail={
            "kept": source_id,
            "reasons": as_json(
                [Reason(SKIPPED, {"number": document.source_number, "source_ids": others})]
            ),
        },
    )
    document.refresh_from_db()
    if chosen.source_id == document.source_id:
        chosen.voucher = document.voucher  # its row may be older than the document's data
    _carry_on(document, chosen, actor)
    return others


def hold(document: Document, sd: SourceDocument, data: dict[str, Any], actor: str) -> None:
    """Keep both source documents of the number and hold its document (if not sent yet)."""
    for source_id, voucher in ((document.source_id, document.voucher), (sd.source_id, data)):
        NumberConflict.objects.update_or_create(
            connection_id=document.connection_id,
            kind=document.kind,
            number=document.source_number,
            source_id=source_id,
            defaults={"voucher": voucher},
        )
    held = reason(document.connection_id, document.kind, document.source_number)
    assert held is not None
    details = as_json([held])
    if document.state in (State.PROCESSING, State.DONE, State.MANUAL):
        # the number reached the books with the first one's content: tell, change nothing
        Document.objects.filter(pk=document.pk).update(pending_voucher=data)
        Event.objects.create(
            document=document,
            actor=actor,
            action="number_conflict",
            message=CODE,
            detail={"reasons": details},
        )
        return
    failure = {
        "failure_reason": FailureReason.CONFLICT.value,
        "failure_details": details,
        "raw_error": "",
    }
    if document.state == State.FAILED:
        Document.objects.filter(pk=document.pk).update(**failure)
        return
    if document.state == State.SKIPPED:
        transition(document, "unskip", actor=actor)
    transition(
        document,
        "fail",
        actor=actor,
        message=CODE,
        detail={"reason": FailureReason.CONFLICT.value, "reasons": details},
        **failure,
    )


def release_all_moved(connection: Connection, batch: list[SourceDocument], actor: str) -> None:
    """:func:`release_moved` for a batch: one query when the connection has no conflicts."""
    ids = {sd.source_id for sd in batch if sd.source_id}
    if not NumberConflict.objects.filter(connection=connection, source_id__in=ids).exists():
        return
    for sd in batch:
        release_moved(connection, sd, actor)


def release_moved(connection: Connection, sd: SourceDocument, actor: str) -> None:
    """``sd`` now carries another number than the one it competed for: let that go.

    The number's document carries on with the source document that is left: its
    data becomes the document's, and a document held only for the conflict waits again.
    """
    if not sd.source_id:
        return
    stale = NumberConflict.objects.filter(connection=connection, source_id=sd.source_id).exclude(
        kind=sd.voucher.kind.value, number=sd.voucher.number
    )
    for row in list(stale):
        row.delete()
        remaining = NumberConflict.objects.filter(
            connection=connection, kind=row.kind, number=row.number
        )
        if remaining.count() > 1:
            continue
        left = remaining.first()
        remaining.delete()
        document = Document.objects.filter(
            connection=connection, kind=row.kind, source_number=row.number
        ).first()
        if document is not None and left is not None:
            _carry_on(document, left, actor)


def _carry_on(document: Document, left: NumberConflict, actor: str) -> None:
    if document.state in (State.PROCESSING, State.DONE, State.MANUAL):
        return
    voucher = voucher_from_dict(left.voucher)
    Document.objects.filter(pk=document.pk).update(
        voucher=left.voucher,
        source_id=left.source_id,
        invoice_date=voucher.invoice_date,
        currency=voucher.currency,
        total_net=voucher.total_net,
        total_gross=voucher.total_gross,
    )
    held_for_conflict = document.state == State.FAILED and [r.code for r in document.failures] == [
        CODE
    ]
    if held_for_conflict:
        transition(
            document,
            "recheck",
            actor=actor,
            message="number conflict resolved",
            failure_reason="",
            failure_details=None,
        )
