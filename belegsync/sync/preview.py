"""The exact body a target's create call would receive; sends nothing, changes nothing.

One rule for ``belegsync preview`` (a file) and the API's preview of a stored
document: a voucher that does not validate, or that the target cannot map,
shows its errors instead of a body, never both.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.utils import timezone
from django.utils.translation import gettext as _

from belegsync.bookkeeping import Voucher, validate
from belegsync.connectors.base import Target
from belegsync.connectors.errors import ConnectorError
from belegsync.connectors.settings import Policy
from belegsync.documents.models import Document
from belegsync.reasons import file_problem

from .adapters import target_for
from .checks import as_booked, voucher_problems


def entry(
    target: Target,
    number: str,
    result: Voucher | list[Any],
    policy: Policy | None = None,
    today: dt.date | None = None,
) -> dict[str, Any]:
    """``{"document", "request"}`` or ``{"document", "errors"}`` for one read voucher.

    With a connection's ``policy``, the voucher is shown as that connection would send
    it on ``today``: booked as a small business under § 19 and held when dated more
    than ``future_days`` ahead (``checks.voucher_problems``, the rules the engine
    applies right before a create). Without one, only the voucher's own rules.
    """
    if isinstance(result, list):
        return {"document": number, "errors": [_error_text(e) for e in result]}
    if policy is not None:
        result = as_booked(result, policy)
        problems = voucher_problems(result, policy, today or timezone.localdate())
    else:
        problems = validate(result)
    if problems:
        return {"document": number, "errors": [str(p) for p in problems]}
    try:
        return {"document": number, "request": target.preview(result)}
    except ConnectorError as error:
        return {"document": number, "errors": [error.message]}


def _error_text(error: Any) -> str:
    """A reader's problem (a row of a file, with its code) or an error's own words."""
    as_dict = getattr(error, "as_dict", None)
    return file_problem(as_dict()) if callable(as_dict) else str(error)


def preview_document(document: Document) -> dict[str, Any]:
    """The request the document's target would receive for its stored voucher now."""
    try:
        voucher = document.as_voucher()
    except (KeyError, ValueError, TypeError, ArithmeticError):
        return {
            "document": document.source_number,
            "errors": [_("The stored data cannot be read; import it again.")],
        }
    connection = document.connection
    return entry(target_for(connection), document.source_number, voucher, connection.policy)
