"""Amounts, rates and dates in the reader's language: one way for pages, reasons and the CLI.

The active Django language decides (``translation.override`` in the CLI):
``-1.234,56 €`` and ``19 %`` and ``01.12.2026`` in German, ``-€1,234.56`` and
``19 %`` and ``2026-12-01`` in English. Nothing here rounds beyond what the
amount already holds: amounts are stored with two decimals.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal, InvalidOperation
from typing import Any

from django.utils import formats, timezone
from django.utils.translation import get_language

SYMBOLS = {"EUR": "€", "USD": "$", "GBP": "£", "CHF": "CHF"}
MINUS = "-"  # the plain minus bookkeeping systems print, and what a copy pastes back


def _language(language: str | None) -> str:
    return language or get_language() or "en"


def to_decimal(value: Any) -> Decimal | None:
    """A stored amount (Decimal, int or a decimal string) as ``Decimal``; None if it is none."""
    if value is None or value == "":
        return None
    if isinstance(value, Decimal):
        return value
    try:
        return Decimal(str(value))
    except InvalidOperation:
        return None


def format_number(value: Any, places: int | None = None) -> str:
    """A number with the language's separators; ``places`` None keeps its own decimals."""
    number = to_decimal(value)
    if number is None:
        return str(value)
    if places is None:
        number = number.normalize() if number == number.to_integral() else number
        exponent = number.as_tuple().exponent
        places = max(0, -exponent) if isinstance(exponent, int) else 0
    text = formats.number_format(abs(number), places, use_l10n=True, force_grouping=True)
    return f"{MINUS}{text}" if number < 0 else text


def format_money(amount: Any, currency: str = "EUR", language: str | None = None) -> str:
    """``-1234.56`` → ``-1.234,56 €`` in German, ``-€1,234.56`` in English."""
    number = to_decimal(amount)
    if number is None:
        return ""
    digits = formats.number_format(abs(number), 2, use_l10n=True, force_grouping=True)
    sign = MINUS if number < 0 else ""
    symbol = SYMBOLS.get(currency or "EUR", currency or "EUR")
    if _language(language).startswith("de"):
        return f"{sign}{digits}\xa0{symbol}"
    if symbol == currency:
        return f"{sign}{symbol}\xa0{digits}"
    return f"{sign}{symbol}{digits}"


def format_rate(rate: Any) -> str:
    """A tax rate as ``19 %`` / ``7 %`` / ``5,5 %``, without trailing zeros."""
    value = to_decimal(rate)
    if value is None:
        return str(rate)
    return f"{format_number(value)}\xa0%"


def format_date(value: Any) -> str:
    """A date (or an ISO date string) in the language's short form."""
    if isinstance(value, str):
        try:
            value = dt.date.fromisoformat(value[:10])
        except ValueError:
            return value
    if isinstance(value, dt.datetime):
        value = timezone.localtime(value).date() if timezone.is_aware(value) else value.date()
    if not isinstance(value, dt.date):
        return str(value or "")
    return formats.date_format(value, "SHORT_DATE_FORMAT", use_l10n=True)


def format_datetime(value: Any) -> str:
    """A moment (or an ISO string of one) in local time, in the language's short form."""
    if isinstance(value, str):
        try:
            value = dt.datetime.fromisoformat(value)
        except ValueError:
            return value
    if not isinstance(value, dt.datetime):
        return format_date(value)
    if timezone.is_aware(value):
        value = timezone.localtime(value)
    return formats.date_format(value, "SHORT_DATETIME_FORMAT", use_l10n=True)
