"""What DATEV accepts in its settings, and the reason a setting it refuses is shown with.

One place for the ranges (tests/reference/datev/README.md, EXTF header fields 11–14):
the connection's settings model, the export's DATEV settings (``DatevSettings``) and
both settings forms read them, so a bad Beraternummer reads the same everywhere — a
reason code (group SETTINGS of ``belegsync/reasons/catalogue.py``) that names the field
as the tax advisor does and says what to enter.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from belegsync.connectors.reasons import Reason

__all__ = ["RANGES", "BadSetting", "Range", "check", "debtor_range", "reasons_of_errors"]


@dataclass(frozen=True)
class Range:
    """A whole number from ``low`` to ``high``; refused with ``code``."""

    code: str
    low: int
    high: int

    def reason(self, field: str) -> Reason:
        return Reason(self.code, {"low": str(self.low), "high": str(self.high)}, field=field)

    def holds(self, value: Any) -> bool:
        return isinstance(value, int) and self.low <= value <= self.high


#: Beraternummer, Mandantennummer, WJ-Beginn (month), Sachkontenlänge.
RANGES: dict[str, Range] = {
    "consultant_number": Range("datev.consultant_number", 1001, 9_999_999),
    "client_number": Range("datev.client_number", 1, 99_999),
    "fiscal_year_start_month": Range("datev.fiscal_year_start_month", 1, 12),
    "account_length": Range("datev.account_length", 4, 8),
}
#: Fields refused with a code of their own, whatever the kind of mistake.
CODES: dict[str, str] = {
    **{name: rule.code for name, rule in RANGES.items()},
    "chart": "datev.chart",
    "oss_tax_key": "datev.oss_tax_key",
    "collective_debtor": "datev.collective_debtor",
    "debtor_base": "datev.debtor_base",
    "revenue_accounts": "datev.revenue_accounts",
    "payment_accounts": "datev.payment_accounts",
    "bank_account": "datev.bank_account",
}


class BadSetting(ValueError):
    """DATEV settings DATEV would refuse; ``reasons`` say which and what to enter."""

    def __init__(self, reasons: Iterable[Reason]) -> None:
        self.reasons = list(reasons)
        super().__init__(
            "DATEV would refuse these settings: "
            + "; ".join(f"{r.field} ({r.code} {dict(r.params)})" for r in self.reasons)
        )


def debtor_range(account_length: int) -> tuple[int, int]:
    """Debtors have one digit more than G/L accounts: 10000–69999 at length 4."""
    return 10**account_length, 7 * 10**account_length - 1


def reason(field: str, values: Mapping[str, Any] | None = None) -> Reason:
    """The reason a field is refused with; debtor fields name their range."""
    if field in RANGES:
        return RANGES[field].reason(field)
    if field in ("collective_debtor", "debtor_base"):
        length = (values or {}).get("account_length")
        low, high = debtor_range(length if RANGES["account_length"].holds(length) else 4)
        return Reason(CODES[field], {"low": str(low), "high": str(high)}, field=field)
    return Reason(CODES.get(field, "datev.setting"), field=field)


def check(values: Mapping[str, Any]) -> list[Reason]:
    """Every field of ``values`` DATEV would refuse (the fields given; none is required)."""
    found = [
        rule.reason(name)
        for name, rule in RANGES.items()
        if name in values and values[name] is not None and not rule.holds(values[name])
    ]
    if not any(r.field == "account_length" for r in found):
        low, high = debtor_range(int(values.get("account_length") or 4))
        collective = values.get("collective_debtor")
        if collective is not None and not low <= collective <= high:
            found.append(reason("collective_debtor", values))
    key = values.get("oss_tax_key") or ""
    if key and not (str(key).isdigit() and len(str(key)) <= 4):
        found.append(reason("oss_tax_key"))
    return found


def reasons_of_errors(
    errors: Iterable[Mapping[str, Any]], values: Mapping[str, Any]
) -> list[Reason]:
    """pydantic's errors (``ValidationError.errors()``) as reasons, one per field."""
    seen: dict[str, Reason] = {}
    for error in errors:
        loc = error.get("loc") or ("",)
        field = str(loc[0])
        seen.setdefault(field, reason(field, values))
    return list(seen.values())
