"""What happened to a document, as a stable code and its parameters.

A failure, a skip reason or a history entry is stored as a :class:`Reason`
(code, parameters, the voucher field it concerns), never as finished text:
the text is chosen at display time in the reader's language, with amounts and
dates formatted for it (:mod:`belegsync.reasons` holds the catalogue of
texts). What a remote system answered is kept beside it, raw, for support.

Parameters are plain JSON: amounts and rates as decimal strings, dates as ISO
strings. A parameter's *name* says what it is (``amount`` is money, ``rate`` a
tax rate, ``date`` a date …) the same way in every code, so the catalogue
knows how to show it.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

#: What a parameter may hold before it is stored; stored, each becomes JSON.
ParamValue = str | int | bool | Decimal | dt.date | list[str] | None


def _json_value(value: Any) -> Any:
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, dt.datetime):
        return value.isoformat()
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, (list, tuple, set, frozenset)):
        return [str(_json_value(item)) for item in value]
    if value is None or isinstance(value, (str, int, bool)):
        return value
    return str(value)


@dataclass(frozen=True)
class Reason:
    code: str
    params: Mapping[str, Any] = field(default_factory=dict)
    #: The voucher field it concerns, as bookkeeping names it (``lines[2].gross``).
    field: str = ""

    def as_json(self) -> dict[str, Any]:
        data: dict[str, Any] = {"code": self.code}
        if self.params:
            data["params"] = {name: _json_value(v) for name, v in self.params.items()}
        if self.field:
            data["field"] = self.field
        return data

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> Reason:
        return cls(
            code=str(data.get("code") or ""),
            params=dict(data.get("params") or {}),
            field=str(data.get("field") or ""),
        )

    @classmethod
    def of(cls, problem: Any) -> Reason:
        """The reason of a bookkeeping ``Problem`` (or anything with code, params, field)."""
        return cls(
            code=str(problem.code),
            params=dict(getattr(problem, "params", None) or {}),
            field=str(getattr(problem, "field", "") or ""),
        )


def as_json(reasons: Iterable[Reason]) -> list[dict[str, Any]]:
    """The stored form of several reasons (``Document.failure_details`` …)."""
    return [reason.as_json() for reason in reasons]


def from_json(data: Any) -> list[Reason]:
    """Reasons back from their stored form; anything else reads as no reason."""
    if not isinstance(data, list):
        return []
    return [Reason.from_json(item) for item in data if isinstance(item, Mapping)]
