"""Template filters of the web shell: money in the merchant's locale, reasons in words."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django import template
from django.utils import formats
from django.utils.translation import get_language

from belegsync.connectors import registry
from belegsync.documents.labels import (
    CATEGORY_LABELS,
    EVENT_LABELS,
    KIND_LABELS,
    STATE_LABELS,
    failure_reason_label,
)

register = template.Library()

SYMBOLS = {"EUR": "€", "USD": "$", "GBP": "£", "CHF": "CHF"}


def format_money(amount: Decimal | None, currency: str = "EUR", language: str | None = None) -> str:
    """``1234.56`` → ``1.234,56 €`` in German, ``€1,234.56`` in English.

    Amounts are stored with two decimals; ``number_format`` only formats them
    (no rounding happens here beyond what the model field already holds).
    """
    if amount is None:
        return ""
    language = language or get_language() or "en"
    number = formats.number_format(amount, 2, use_l10n=True, force_grouping=True)
    symbol = SYMBOLS.get(currency, currency)
    if language.startswith("de"):
        return f"{number}\xa0{symbol}"
    if symbol == currency:
        return f"{symbol}\xa0{number}"
    return f"{symbol}{number}"


@register.filter
def money(amount: Decimal | None, currency: str = "EUR") -> str:
    return format_money(amount, currency or "EUR")


@register.filter
def reason(code: str) -> str:
    return failure_reason_label(code)


@register.filter
def state_label(code: str) -> str:
    label = STATE_LABELS.get(code)
    return str(label) if label is not None else code


@register.filter
def kind_label(code: str) -> str:
    label = KIND_LABELS.get(code)
    return str(label) if label is not None else code


@register.filter
def category_label(code: str) -> str:
    label = CATEGORY_LABELS.get(str(code))
    return str(label) if label is not None else str(code)


@register.filter
def event_message(message: str) -> str:
    """A standard history entry in the reader's language; anything else as recorded."""
    label = EVENT_LABELS.get(message)
    return str(label) if label is not None else message


@register.filter
def percent(rate: Any) -> str:
    """A tax rate as ``19 %`` / ``7 %`` / ``5,5 %``, without trailing zeros."""
    value = Decimal(rate).normalize()
    places = max(0, -value.as_tuple().exponent)  # type: ignore[operator]
    return f"{formats.number_format(value, places, use_l10n=True)}\xa0%"


@register.filter
def source_name(kind: str) -> str:
    """A source kind as merchants know it ("Billbee"), the kind itself if unknown."""
    try:
        return str(registry.source_class(kind).verbose_name)
    except registry.UnknownKind:
        return kind


@register.filter
def target_name(kind: str) -> str:
    """A target kind as merchants know it ("sevDesk"), the kind itself if unknown."""
    try:
        return str(registry.target_class(kind).verbose_name)
    except registry.UnknownKind:
        return kind
