"""Source values by the names merchants know: payment methods, order states, document states.

A source stores its own identifiers (``Amazon_Marketplace``, Billbee's order
state 4, "Billbee payment type 145") because settings are keyed by them; what
a page shows is the name in the reader's language.
"""

from __future__ import annotations

from typing import Any

from django.utils.functional import Promise
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from belegsync.documents.labels import STATE_LABELS
from belegsync.lib.words import PAYMENT_METHODS, payment_method_label

__all__ = [
    "BILLBEE_ORDER_STATES",
    "DELIMITERS",
    "PAYMENT_METHODS",
    "delimiter_label",
    "order_state_label",
    "payment_method_label",
    "state_label",
]

#: Billbee's order states (its API's numbers), as Billbee's own screens name them.
BILLBEE_ORDER_STATES: dict[int, Promise] = {
    1: gettext_lazy("Ordered"),
    2: gettext_lazy("Confirmed"),
    3: gettext_lazy("Payment received"),
    4: gettext_lazy("Shipped"),
    5: gettext_lazy("Complaint"),
    6: gettext_lazy("Deleted"),
    7: gettext_lazy("Completed"),
    8: gettext_lazy("Cancelled"),
    9: gettext_lazy("Archived"),
    10: gettext_lazy("Rated"),
    11: gettext_lazy("Dunning"),
    12: gettext_lazy("Second dunning"),
    13: gettext_lazy("Packed"),
    14: gettext_lazy("Offered"),
    15: gettext_lazy("Payment reminder"),
    16: gettext_lazy("In fulfilment"),
    17: gettext_lazy("Return"),
}


def order_state_label(value: Any) -> str:
    """A Billbee order state by its number (or a name already given) in the reader's words."""
    try:
        number = int(value)
    except (TypeError, ValueError):
        return str(value)
    label = BILLBEE_ORDER_STATES.get(number)
    return str(label) if label is not None else _("state %(number)s") % {"number": number}


def state_label(value: str) -> str:
    """A document state (waiting, failed …) in the reader's words."""
    label = STATE_LABELS.get(value)
    return str(label) if label is not None else value


#: The separators of a CSV file, by their character.
DELIMITERS: dict[str, Promise] = {
    ";": gettext_lazy("semicolon"),
    ",": gettext_lazy("comma"),
    "\t": gettext_lazy("tab"),
}


def delimiter_label(value: str) -> str:
    label = DELIMITERS.get(value)
    return str(label) if label is not None else value
