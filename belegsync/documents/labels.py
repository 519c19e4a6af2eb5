"""Words for codes: what a merchant reads instead of a failure reason's identifier."""

from __future__ import annotations

from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from belegsync.connectors.errors import FailureReason
from belegsync.lib.words import CATEGORY_LABELS, KIND_LABELS

__all__ = [
    "ACTION_LABELS",
    "CATEGORY_LABELS",
    "FAILURE_REASONS",
    "KIND_LABELS",
    "STATE_LABELS",
    "failure_reason_label",
]

FAILURE_REASONS: dict[str, Promise] = {
    FailureReason.VALIDATION: _("The voucher's data does not add up"),
    FailureReason.REJECTED: _("The bookkeeping system refused the voucher"),
    FailureReason.AUTH: _("The credentials were refused"),
    FailureReason.PERMISSION: _("The credentials lack a permission"),
    FailureReason.CONFIG: _("A setting is missing or wrong"),
    FailureReason.UNAVAILABLE: _("The remote system was not reachable"),
    FailureReason.CONFLICT: _("The remote copy changed or still exists"),
    FailureReason.INTERNAL: _("An internal error in belegsync"),
}

ACTION_LABELS: dict[str, Promise] = {
    "reset": _("Reset"),
    "mark_manually_imported": _("Mark as manually imported"),
    "reupload": _("Re-upload"),
}


def failure_reason_label(code: str) -> str:
    """The reason in words; an unknown code still reads as a sentence, never bare."""
    if not code:
        return ""
    label = FAILURE_REASONS.get(code)
    return str(label) if label is not None else str(_("Other problem (%(code)s)") % {"code": code})


STATE_LABELS: dict[str, Promise] = {
    "waiting": _("waiting"),
    "processing": _("processing"),
    "done": _("done"),
    "failed": _("failed"),
    "manual": _("manually imported"),
    "skipped": _("skipped"),
}
