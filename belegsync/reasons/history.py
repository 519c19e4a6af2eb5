"""A document's history entries as reasons: what happened, by whom, in the reader's words.

An :class:`~belegsync.documents.models.Event` records an action, the states
and a detail mapping; the entry's text follows from those (a step's result
says "PDF attached" or "no PDF to attach"), and a failure or skip carries its
own coded reasons in ``detail["reasons"]``. Entries written before reasons
were codes keep their recorded text as a ``legacy`` reason.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from django.utils.translation import gettext as _

from belegsync.connectors.reasons import Reason, from_json

#: Simple moves whose entry is always the same words.
_PLAIN = {
    "claim": "history.claim",
    "takeover": "history.takeover",
    "unskip": "history.unskipped",
    "recheck": "history.rechecked",
    "reset": "history.reset",
    "mark_manually_imported": "history.marked_manual",
    "newer_data": "history.newer_data",
    "number_conflict": "history.number_conflict",
    "number_conflict_kept": "history.number_conflict_kept",
}
#: The old English texts of entries that carried a reason of their own.
_OLD_TRANSFERRED = re.compile(r"^transferred: (.+)$")
_OLD_PAUSED = "Connection paused:"
#: Actors that are belegsync itself rather than a person.
_AUTOMATIC = frozenset({"system", "demo"})


@dataclass(frozen=True)
class Entry:
    """One line of the history: a headline and the reasons it carries."""

    headline: Reason
    reasons: list[Reason] = field(default_factory=list)


def _legacy(message: str, standard: str) -> list[Reason]:
    """An entry's old recorded text, unless it is the move's standard label."""
    if not message or message == standard:
        return []
    return [Reason("legacy", {"text": message})]


def entry(
    action: str,
    detail: Mapping[str, Any] | None,
    message: str = "",
    to_state: str = "",
    *,
    source: str = "",
    target: str = "",
) -> Entry:
    """The entry of an event; ``source`` and ``target`` name the connection's systems."""
    detail = detail or {}
    reasons = from_json(detail.get("reasons"))
    code = _PLAIN.get(action)
    if code:
        return Entry(Reason(code), reasons)
    if action == "import":
        code = {"failed": "history.import_failed", "skipped": "history.import_skipped"}.get(
            to_state, "history.import"
        )
        return Entry(Reason(code), reasons or _legacy(message, "imported"))
    if action.startswith("step_"):
        return Entry(_step(action.removeprefix("step_"), detail, source, target))
    if action == "complete":
        remote_id = str(detail.get("remote_id") or "")
        old = _OLD_TRANSFERRED.match(message or "")
        remote_id = remote_id or (old.group(1) if old else "")
        if remote_id:
            return Entry(Reason("history.transferred", {"remote_id": remote_id}))
        return Entry(Reason("history.transferred_plain"))
    if action == "fail":
        return Entry(Reason("history.failed"), reasons or _legacy(message, "failed"))
    if action == "skip":
        return Entry(Reason("history.skipped"), reasons or _legacy(message, "skipped"))
    if action == "release":
        return _release(detail, message, reasons)
    if action == "reupload":
        replaced = bool(detail.get("replaced_data"))
        return Entry(Reason("history.reuploaded" if replaced else "history.reuploaded_same"))
    return Entry(Reason("history.other"), reasons)


def _step(step: str, detail: Mapping[str, Any], source: str, target: str) -> Reason:
    if step == "remote":
        code = "history.adopted" if detail.get("adopted") else "history.created"
        return Reason(code, {"system": target, "remote_id": str(detail.get("remote_id") or "")})
    if step == "attach":
        return Reason("history.pdf_attached" if detail.get("attached") else "history.no_pdf")
    if step == "mark_paid":
        return Reason("history.marked_paid" if detail.get("paid") else "history.left_open")
    if step == "mark_transferred":
        return Reason("history.marked_transferred", {"system": source})
    return Reason("history.other")


def _release(detail: Mapping[str, Any], message: str, reasons: list[Reason]) -> Entry:
    if detail.get("paused") or (message or "").startswith(_OLD_PAUSED):
        return Entry(Reason("history.paused"), reasons)
    if detail.get("retry_at"):
        return Entry(Reason("history.retry_later", {"retry_at": detail["retry_at"]}), reasons)
    return Entry(Reason("history.released"), reasons)


def actor_label(actor: str, username: str = "") -> str:
    """Who acted: the merchant's user name, or belegsync itself (never a worker's id).

    Workers record ``host:pid``, which no user name can be (Django's user names
    have no colon); the engine records "system", the command line "cli".
    """
    if username:
        return username
    if actor == "cli":
        return _("command line")
    if not actor or ":" in actor or actor in _AUTOMATIC:
        return _("belegsync (automatic)")
    return actor


def connection_event_text(action: str, message: str) -> str:
    """A connection's history entry (``ConnectionEvent``) in the reader's words.

    The recorded ``message`` is English for the log; the entries whose words follow
    from the action are chosen here. Refusals and what a set-up lacks were written in
    the words of whoever acted, and are shown as recorded.
    """
    if action == "setup_complete":
        return _("Set-up complete: the connection syncs.")
    if action == "archived":
        return _("Archived: the connection no longer syncs.")
    if action == "restored":
        return _("Restored from the archive: the connection syncs.")
    if action == "resumed":
        return _("Resumed: the credentials were accepted again.")
    if action == "checked" and message == "Credentials accepted.":
        return _("Credentials checked: accepted.")
    if action == "setup_incomplete":
        return _("The set-up is incomplete: %(missing)s") % {"missing": message}
    return message
