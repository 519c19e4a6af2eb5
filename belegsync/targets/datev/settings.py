"""A DATEV target's own settings (``Connection.settings["target"]``): what the tax advisor
tells the merchant. Whether payments are booked follows the policy's ``mark_paid``, on the
accounts of its payment-account mapping."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any, Literal

from pydantic import Field

from belegsync.connectors.reasons import Reason
from belegsync.connectors.settings import AdapterSettings

from .rules import RANGES, reasons_of_errors

_C, _K = RANGES["consultant_number"], RANGES["client_number"]
_W, _A = RANGES["fiscal_year_start_month"], RANGES["account_length"]


class DatevTargetSettings(AdapterSettings):
    #: Beraternummer and Mandantennummer; without them no file can be written.
    consultant_number: int | None = Field(default=None, ge=_C.low, le=_C.high)
    client_number: int | None = Field(default=None, ge=_K.low, le=_K.high)
    fiscal_year_start_month: int = Field(default=1, ge=_W.low, le=_W.high)
    account_length: int = Field(default=4, ge=_A.low, le=_A.high)
    chart: Literal["03", "04"] = "03"
    debtor_mode: Literal["collective", "per_customer"] = "collective"
    collective_debtor: int | None = None
    debtor_base: int | None = None
    #: Overrides of the standard revenue accounts ("domestic:19" → 8400 …).
    revenue_accounts: dict[str, int] = Field(default_factory=dict)
    #: The tax key for OSS distance sales, agreed with the advisor (often 240).
    oss_tax_key: str = Field(default="", max_length=4)
    #: The account payments are booked against when a method has no account of its own.
    bank_account: int | None = None
    #: Festschreibung: lock the bookings on import (advisors usually want them open).
    lock_bookings: bool = False

    @classmethod
    def reasons_of(
        cls, errors: Iterable[Mapping[str, Any]], values: Mapping[str, Any]
    ) -> list[Reason]:
        return reasons_of_errors(errors, values)
