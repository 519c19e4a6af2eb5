"""The merchant's actions on documents (first product page), one at a time or in bulk.

Each is one transition in one transaction; a bulk action reports per document
what happened, so a mixed selection is never all-or-nothing by accident.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

from django.db import transaction

from belegsync.bookkeeping import voucher_from_dict

from .models import Document
from .states import IllegalTransition, transition

#: Asks the target whether it still holds this document's voucher.
RemoteCheck = Callable[[Document], bool]


class RemoteCopyExists(Exception):
    """Re-upload refused: the target still has the voucher."""


@dataclass(frozen=True)
class Outcome:
    document: Document
    ok: bool
    message: str
    #: What the merchant should know beside "done" (a re-upload without newer data).
    note: str = ""


def _actor(user: Any, by: str = "") -> str:
    """Who the history names: ``by`` (the acting interface's name), else the user's."""
    return by or getattr(user, "username", "") or "system"


def _clear_failure() -> dict[str, Any]:
    return {
        "failure_reason": "",
        "failure_details": None,
        "raw_error": "",
        "attempts": 0,
        "retry_at": None,
        "lease_owner": "",
        "lease_until": None,
    }


def reset(document: Document, user: Any = None, by: str = "") -> Document:
    """Process the document again: failed / manual / done / skipped → waiting.

    Steps already done stay recorded, so a document that reached the target is
    found there and adopted, never created twice.
    """
    return transition(document, "reset", actor=_actor(user, by), user=user, **_clear_failure())


def mark_manually_imported(document: Document, user: Any = None, by: str = "") -> Document:
    """The merchant booked it by hand: failed → manual, no error shown any more."""
    return transition(document, "mark_manually_imported", actor=_actor(user, by), user=user)


def reupload(
    document: Document,
    remote_exists: RemoteCheck,
    user: Any = None,
    voucher: dict[str, Any] | None = None,
    by: str = "",
) -> Document:
    """Transfer again with the newest data: replaces the voucher, forgets the remote copy.

    Refused while the target still has the voucher (the merchant must delete it
    there first), because sending it again would book it twice.
    """
    if remote_exists(document):
        raise RemoteCopyExists(
            f"{document.source_number} still exists in the target. Delete it there first, "
            "then re-upload."
        )
    data = voucher or document.pending_voucher or document.voucher
    parsed = voucher_from_dict(data)
    return transition(
        document,
        "reupload",
        actor=_actor(user, by),
        user=user,
        detail={"replaced_data": data != document.voucher},
        voucher=data,
        pending_voucher=None,
        invoice_date=parsed.invoice_date,
        total_net=parsed.total_net,
        total_gross=parsed.total_gross,
        currency=parsed.currency,
        remote_id="",
        remote_url="",
        steps={},
        **_clear_failure(),
    )


ACTIONS: dict[str, Callable[..., Document]] = {
    "reset": reset,
    "mark_manually_imported": mark_manually_imported,
}


def bulk(
    action: Callable[..., Document], documents: Iterable[Document], **kwargs: Any
) -> list[Outcome]:
    """Apply ``action`` to each document in its own transaction; report each result."""
    outcomes = []
    for document in documents:
        try:
            with transaction.atomic():
                action(document, **kwargs)
        except (IllegalTransition, RemoteCopyExists) as exc:
            outcomes.append(Outcome(document, False, str(exc)))
        else:
            outcomes.append(Outcome(document, True, document.source_number))
    return outcomes
