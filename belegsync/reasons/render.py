"""A stored reason as text in the active language, its parameters formatted for it."""

from __future__ import annotations

import logging
import re
from collections.abc import Iterable, Mapping
from typing import Any

from django.utils.functional import Promise
from django.utils.translation import get_language

from belegsync.connectors.reasons import Reason
from belegsync.lib import l10n

from . import catalogue as c
from .words import order_state_label, payment_method_label, state_label

log = logging.getLogger("belegsync.reasons")

_INDEXED = re.compile(r"^(lines|payments)\[(\d+)\](?:\.(\w+))?$")
_TAX = re.compile(r"^tax\[([\d.]+)\]$")


def _label(table: Mapping[str, Promise], value: Any) -> str:
    label = table.get(str(value))
    return str(label) if label is not None else str(value)


def _listed(values: Any, one: Any) -> str:
    items = values if isinstance(values, (list, tuple)) else [values]
    return ", ".join(one(item) for item in items) if items else "–"


def format_param(name: str, value: Any, currency: str = "EUR") -> str:
    """One parameter as the reader should see it, by what its name says it is."""
    kind = c.PARAM_KINDS.get(name, c.TEXT)
    if value is None:
        return "–"
    if kind == c.MONEY:
        return l10n.format_money(value, currency)
    if kind == c.RATE:
        return l10n.format_rate(value)
    if kind == c.RATES:
        return _listed(value, l10n.format_rate)
    if kind == c.DATE:
        return l10n.format_date(value)
    if kind == c.DATETIME:
        return l10n.format_datetime(value)
    if kind == c.NUMBER:
        return l10n.format_number(value)
    if kind == c.TREATMENT:
        return _label(c.TREATMENT_LABELS, value)
    if kind == c.CATEGORY:
        return _label(c.CATEGORY_LABELS, value)
    if kind == c.KIND:
        return _label(c.KIND_LABELS, value)
    if kind == c.PAYMENT_METHOD:
        return payment_method_label(str(value))
    if kind == c.PAYMENT_METHODS:
        return _listed(value, lambda v: payment_method_label(str(v)))
    if kind == c.ORDER_STATE:
        return order_state_label(value)
    if kind == c.ORDER_STATES:
        return _listed(value, order_state_label)
    if kind == c.STATE:
        return state_label(str(value))
    if kind == c.STATES:
        return _listed(value, lambda v: state_label(str(v)))
    if kind == c.TEXTS_LIST:
        return _listed(value, str)
    if kind == c.QUOTED:
        return _listed(value, lambda v: str(c.QUOTE) % {"text": v})
    return str(value)


def field_label(path: str) -> str:
    """A voucher field as the merchant knows it: ``lines[2].gross`` → "Line 3: the gross amount"."""
    if not path:
        return ""
    indexed = _INDEXED.match(path)
    if indexed:
        table = c.LINE_FIELD_LABELS if indexed.group(1) == "lines" else c.PAYMENT_FIELD_LABELS
        part = indexed.group(3) or ""
        label = table.get(part, table[""])
        return str(label) % {"line": int(indexed.group(2)) + 1}
    tax = _TAX.match(path)
    if tax:
        return str(c.TAX_FIELD_LABEL) % {"rate": l10n.format_rate(tax.group(1))}
    label = c.FIELD_LABELS.get(path)
    return str(label) if label is not None else str(c.FIELD_LABELS["voucher"])


def _line_number(path: str) -> str:
    indexed = _INDEXED.match(path)
    return str(int(indexed.group(2)) + 1) if indexed else ""


def render(reason: Reason, currency: str = "EUR") -> str:
    """The reason's text in the active language; an unknown code still reads as a sentence."""
    if reason.code == c.LEGACY:
        german = (get_language() or "").startswith("de") and reason.params.get("text_de")
        return str(german or reason.params.get("text") or "")
    text = c.TEXTS.get(reason.code)
    if text is None:
        log.warning("reason code without a text: %s", reason.code)
        return str(c.UNKNOWN_CODE) % {"code": reason.code}
    own_currency = str(reason.params.get("currency") or currency or "EUR")
    values = {
        name: format_param(name, value, own_currency) for name, value in reason.params.items()
    }
    values.setdefault("field", field_label(reason.field))
    values.setdefault("line", _line_number(reason.field))
    try:
        return str(text) % values
    except (KeyError, ValueError, TypeError):
        log.warning("reason %s lacks a parameter of its text: %s", reason.code, sorted(values))
        return str(c.UNKNOWN_CODE) % {"code": reason.code}


def render_all(reasons: Iterable[Reason], currency: str = "EUR") -> list[str]:
    return [render(reason, currency) for reason in reasons]


def describe_error(error: Any) -> str:
    """A connector error in the reader's words (its reasons), never its English message.

    Anything else that stops an adapter (an unknown kind) reads as "not set up".
    """
    reasons = getattr(error, "reasons", None) or [Reason("connection.incomplete")]
    return sentence(render_all(reasons))


def sentence(texts: Iterable[str]) -> str:
    """Several rendered reasons as one paragraph (lists, the CLI, the month report)."""
    return " ".join(texts)


def file_problem(stored: Mapping[str, Any]) -> str:
    """A problem of an uploaded file as the merchant reads it.

    A row's problem (``ImportJob.problems``, with ``column``) starts with where it
    is: line, column as the file heads it, the value; a problem of the whole file
    (``ImportJob.file_error``) says it all in its text.
    """
    text = render(Reason.from_json(stored))
    if "column" not in stored or not stored.get("line"):
        return text
    column, value = stored.get("column") or "", str(stored.get("value") or "")
    place = "value" if column and value else "column" if column else "line"
    return str(c.FILE_PLACES[place]) % {
        "line": stored["line"],
        "column": column,
        "value": value[:80],
        "text": text,
    }
