"""A document's life (DESIGN.md §4): the one place that says which change is legal.

Every change of state goes through :func:`transition`, a conditional
``UPDATE … WHERE state IN (allowed)`` that works alike on SQLite and
PostgreSQL, and writes an :class:`~belegsync.documents.models.Event` in the same
transaction. Two workers racing for one change: one wins, the other gets
:class:`IllegalTransition` and nothing is half-done.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from django.db import models, transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

if TYPE_CHECKING:
    from .models import Document


class State(models.TextChoices):
    WAITING = "waiting", _("waiting")
    PROCESSING = "processing", _("processing")
    DONE = "done", _("done")
    FAILED = "failed", _("failed")
    MANUAL = "manual", _("manually imported")
    SKIPPED = "skipped", _("skipped")


@dataclass(frozen=True)
class Move:
    sources: frozenset[State]
    target: State
    #: What the history says happened ("reset", "marked as manually imported").
    label: str
    #: The action in words, for "… is not possible" ("mark as manually imported").
    verb: str = ""

    @property
    def name(self) -> str:
        return self.verb or self.label


MOVES: dict[str, Move] = {
    # the engine's moves
    "claim": Move(frozenset({State.WAITING}), State.PROCESSING, "claimed", "claim"),
    "takeover": Move(
        frozenset({State.PROCESSING}), State.PROCESSING, "lease expired, taken over", "take over"
    ),
    "complete": Move(frozenset({State.PROCESSING}), State.DONE, "transferred", "complete"),
    "fail": Move(frozenset({State.PROCESSING, State.WAITING}), State.FAILED, "failed", "fail"),
    "release": Move(
        frozenset({State.PROCESSING}), State.WAITING, "returned to the queue", "release"
    ),
    "skip": Move(frozenset({State.WAITING}), State.SKIPPED, "skipped", "skip"),
    "unskip": Move(frozenset({State.SKIPPED}), State.WAITING, "eligible again", "unskip"),
    "recheck": Move(
        frozenset({State.FAILED}), State.WAITING, "data corrected, waiting again", "recheck"
    ),
    # the merchant's actions
    "reset": Move(
        frozenset({State.FAILED, State.MANUAL, State.DONE, State.SKIPPED}),
        State.WAITING,
        "reset",
        "reset",
    ),
    "mark_manually_imported": Move(
        frozenset({State.FAILED}),
        State.MANUAL,
        "marked as manually imported",
        "mark as manually imported",
    ),
    "reupload": Move(
        frozenset({State.FAILED, State.MANUAL, State.DONE, State.SKIPPED, State.WAITING}),
        State.WAITING,
        "re-uploaded",
        "re-upload",
    ),
}


class IllegalTransition(Exception):
    def __init__(self, document: Document, action: str, current: str) -> None:
        move = MOVES[action]
        allowed = ", ".join(sorted(str(State(s).label) for s in move.sources))
        self.document = document
        self.action = action
        super().__init__(
            f"{document.source_number}: “{move.name}” is not possible for a document that is "
            f"{State(current).label}; only from {allowed}."
        )


def transition(
    document: Document,
    action: str,
    *,
    actor: str,
    user: Any = None,
    message: str = "",
    detail: dict[str, Any] | None = None,
    extra_filter: dict[str, Any] | None = None,
    **updates: Any,
) -> Document:
    """Move ``document`` by ``action`` if its state allows it, and record an Event.

    ``updates`` are further fields set in the same UPDATE; ``extra_filter``
    narrows the condition (e.g. a lease owner). Returns the refreshed document.
    """
    from .models import Document, Event

    move = MOVES[action]
    now = timezone.now()
    with transaction.atomic():
        current = (
            Document.objects.select_for_update()
            .filter(pk=document.pk)
            .values_list("state", flat=True)
            .first()
        )
        rows = 0
        if current in move.sources:
            rows = Document.objects.filter(
                pk=document.pk, state=current, **(extra_filter or {})
            ).update(state=move.target, updated_at=now, **updates)
        if rows != 1:
            raise IllegalTransition(document, action, current or document.state)
        Event.objects.create(
            document_id=document.pk,
            at=now,
            actor=actor,
            user=user,
            action=action,
            from_state=current,
            to_state=move.target,
            message=message or move.label,
            detail=detail or {},
        )
    document.refresh_from_db()
    return document
