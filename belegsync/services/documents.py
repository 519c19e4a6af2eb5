"""The merchant's actions on documents: reset, mark as manually imported, re-upload.

One document or many: each is acted on in its own transaction and reported on
its own, so a mixed selection is never all-or-nothing by accident; a refusal
says why in the merchant's words.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass, field, replace
from decimal import Decimal
from enum import StrEnum
from typing import Any

from django.db import transaction
from django.utils.translation import gettext as _

from belegsync.connectors.errors import ConnectorError
from belegsync.connectors.registry import UnknownKind
from belegsync.documents import actions
from belegsync.documents.actions import Outcome
from belegsync.documents.labels import ACTION_LABELS, STATE_LABELS
from belegsync.documents.models import Document, NumberConflict
from belegsync.documents.roles import Permission
from belegsync.documents.states import MOVES, State
from belegsync.reasons import describe_error
from belegsync.sync import conflicts
from belegsync.sync.adapters import target_for

from .actor import Actor, NotAllowed

__all__ = [
    "ACTIONS_FOR_STATE",
    "SENDING",
    "Action",
    "Competitor",
    "NotAllowed",
    "Outcome",
    "RemoteCheckFailed",
    "act",
    "act_on_ids",
    "actions_for",
    "competing",
    "keep_for_number",
]


class Action(StrEnum):
    RESET = "reset"
    MARK_MANUALLY_IMPORTED = "mark_manually_imported"
    REUPLOAD = "reupload"


#: The actions that send the document again: refused for an archived connection's.
SENDING = frozenset({Action.RESET, Action.REUPLOAD})

#: Actions offered per state (the others would only be refused).
ACTIONS_FOR_STATE: dict[str, tuple[Action, ...]] = {
    State.WAITING: (Action.REUPLOAD,),
    State.PROCESSING: (),
    State.FAILED: (Action.RESET, Action.MARK_MANUALLY_IMPORTED, Action.REUPLOAD),
    State.DONE: (Action.RESET, Action.REUPLOAD),
    State.MANUAL: (Action.RESET, Action.REUPLOAD),
    State.SKIPPED: (Action.RESET, Action.REUPLOAD),
}


def actions_for(document: Document) -> tuple[Action, ...]:
    """What may be offered for this document: by its state, and nothing that sends
    through an archived connection."""
    offered = ACTIONS_FOR_STATE.get(document.state, ())
    if document.connection.archived_at is not None:
        return tuple(a for a in offered if a not in SENDING)
    return offered


class RemoteCheckFailed(Exception):
    """The target could not say whether it still has the voucher."""


@dataclass
class RemoteCheck:
    """``remote_exists`` for re-upload: asks the document's target (one adapter per
    connection) and remembers which documents it still holds, for the message."""

    targets: dict[int, Any] = field(default_factory=dict)
    still_there: set[int] = field(default_factory=set)

    def __call__(self, document: Document) -> bool:
        try:
            target = self.targets.get(document.connection_id)
            if target is None:
                target = self.targets[document.connection_id] = target_for(document.connection)
            exists = target.find(document.as_voucher()) is not None
        except (ConnectorError, UnknownKind) as error:
            raise RemoteCheckFailed(
                _("%(number)s: could not ask the target: %(error)s")
                % {"number": document.source_number, "error": describe_error(error)}
            ) from error
        if exists:
            self.still_there.add(document.pk)
        return exists


def act(actor: Actor, action: Action | str, documents: Iterable[Document]) -> list[Outcome]:
    """Apply one of the merchant's actions to each document; one outcome per document."""
    actor.require(Permission.ACT_ON_DOCUMENTS)
    action = Action(action)
    chosen = list(documents)
    for document in chosen:
        actor.require_connection(document.connection)
    sendable = [d for d in chosen if not (action in SENDING and d.connection.archived_at)]
    outcomes: list[Outcome] = []
    check = None
    if action is Action.REUPLOAD:
        check = RemoteCheck()
        for document in sendable:
            outcomes.append(_reupload(actor, document, check))
    else:
        outcomes = actions.bulk(
            actions.ACTIONS[action.value], sendable, user=actor.user, by=actor.name
        )
    by_document = {id(o.document): o for o in outcomes}
    return [
        _reported(action, by_document[id(d)], check)
        if id(d) in by_document
        else Outcome(d, False, _archived(d))
        for d in chosen
    ]


def _reported(action: Action, outcome: Outcome, check: RemoteCheck | None) -> Outcome:
    if outcome.ok:
        return outcome
    return Outcome(outcome.document, False, _refusal(action, outcome, check))


def _reupload(actor: Actor, document: Document, check: RemoteCheck) -> Outcome:
    """Re-upload one document, saying whether it goes out with newer data or the same."""
    newer = document.pending_voucher is not None
    if not newer and document.state == State.WAITING:
        return Outcome(
            document,
            False,
            _(
                "%(number)s: nothing to re-upload: there is no newer data, and it waits for "
                "its transfer anyway."
            )
            % {"number": document.source_number},
        )
    try:
        (outcome,) = actions.bulk(
            actions.reupload, [document], remote_exists=check, user=actor.user, by=actor.name
        )
    except RemoteCheckFailed as error:
        return Outcome(document, False, str(error))
    except (KeyError, ValueError, TypeError, ArithmeticError):
        return _unreadable(document)
    if outcome.ok and not newer:
        note = _(
            "%(number)s: there was no newer data; it is transferred again with the data "
            "belegsync has."
        ) % {"number": document.source_number}
        return replace(outcome, note=note)
    return outcome


def act_on_ids(
    actor: Actor, action: Action | str, ids: Iterable[int]
) -> tuple[list[Outcome], list[int]]:
    """:func:`act` on the actor's documents with these ids; also the ids not found."""
    wanted = list(dict.fromkeys(ids))
    found = {d.pk: d for d in actor.documents().select_related("connection").filter(pk__in=wanted)}
    # another organisation's ids are answered like unknown ones: not found
    missing = [pk for pk in wanted if pk not in found]
    return act(actor, action, [found[pk] for pk in wanted if pk in found]), missing


def _refusal(action: Action, outcome: Outcome, check: RemoteCheck | None) -> str:
    """The refusal in the merchant's language where we know its cause, else as reported."""
    document = outcome.document
    move = MOVES[action.value]
    if document.state not in move.sources:
        return _(
            "%(number)s: “%(action)s” is not possible for a document that is %(state)s; "
            "only for %(allowed)s."
        ) % {
            "number": document.source_number,
            "action": ACTION_LABELS[action.value],
            "state": STATE_LABELS[document.state],
            "allowed": ", ".join(sorted(str(STATE_LABELS[s]) for s in move.sources)),
        }
    if check is not None and document.pk in check.still_there:
        return _(
            "%(number)s still exists in the bookkeeping system. Delete it there first, "
            "then re-upload."
        ) % {"number": document.source_number}
    return outcome.message


def _archived(document: Document) -> str:
    return _(
        "%(number)s: its connection “%(name)s” is archived and sends nothing; restore it first."
    ) % {"number": document.source_number, "name": document.connection.name}


def _unreadable(document: Document) -> Outcome:
    return Outcome(
        document,
        False,
        _("%(number)s: the stored data cannot be read; import it again.")
        % {"number": document.source_number},
    )


# -- one number, one document: the merchant keeps one (docs/bookkeeping.md) ------------


@dataclass(frozen=True)
class Competitor:
    """One source document under a number another one has too, as the merchant
    chooses among them ("keep this one")."""

    source_id: str
    invoice_date: dt.date | None
    gross: Decimal | None
    currency: str
    skipped: bool
    kept: bool
    decided_by: str


def competing(document: Document) -> list[Competitor]:
    """The source documents that share the document's number, oldest first; none when
    no other source document has its number (one alone is no choice)."""
    rows = NumberConflict.objects.filter(
        connection_id=document.connection_id,
        kind=document.kind,
        number=document.source_number,
    ).order_by("seen_at", "pk")
    found = [_competitor(row, document.currency) for row in rows]
    return found if len(found) > 1 else []


def _competitor(row: NumberConflict, currency: str) -> Competitor:
    data = row.voucher or {}
    return Competitor(
        source_id=row.source_id,
        invoice_date=_date_or_none(data.get("invoice_date")),
        gross=_decimal_or_none(data.get("total_gross")),
        currency=data.get("currency") or currency,
        skipped=bool(row.skipped_reason),
        kept=bool(row.decided_at) and not row.skipped_reason,
        decided_by=row.decided_by,
    )


def _date_or_none(value: Any) -> dt.date | None:
    # the stored voucher came from a source: read it, never fail the page on it
    try:
        return dt.date.fromisoformat(value) if value else None
    except (TypeError, ValueError):
        return None


def _decimal_or_none(value: Any) -> Decimal | None:
    try:
        return Decimal(value) if value not in (None, "") else None
    except (ArithmeticError, TypeError, ValueError):
        return None


def keep_for_number(actor: Actor, document: Document, source_id: str) -> Outcome:
    """ "Keep this one": ``source_id`` is the document sent under its number; the other
    source documents of the number are skipped (``number_conflict_skipped``), the
    choice written to the history with who made it.

    Refused for a document being transferred, and for choosing another one than
    the one a transferred document was booked with (its booking stays; a reset
    first).
    """
    actor.require(Permission.ACT_ON_DOCUMENTS)
    actor.require_connection(document.connection)
    if document.connection.archived_at is not None:
        return Outcome(document, False, _archived(document))
    with transaction.atomic():
        document = Document.objects.select_for_update().get(pk=document.pk)
        if document.state == State.PROCESSING:
            return Outcome(
                document,
                False,
                _("%(number)s is being transferred right now; try again in a moment.")
                % {"number": document.source_number},
            )
        booked = document.state in (State.DONE, State.MANUAL)
        if booked and source_id != document.source_id:
            return Outcome(
                document,
                False,
                _(
                    "%(number)s is already booked with the shop system's document %(source_id)s; "
                    "reset it first to send another one under this number."
                )
                % {"number": document.source_number, "source_id": document.source_id},
            )
        try:
            conflicts.keep(document, source_id, actor.name)
        except LookupError:
            return Outcome(
                document,
                False,
                _("%(source_id)s is not one of the documents that share the number %(number)s.")
                % {"source_id": source_id, "number": document.source_number},
            )
    document.refresh_from_db()
    return Outcome(document, True, "")
