"""A DATEV target's own settings (``Connection.settings["target"]``): what the tax advisor
tells the merchant. Whether payments are booked follows the policy's ``mark_paid``, on the
accounts of its payment-account mapping."""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from belegsync.connectors.settings import AdapterSettings


class DatevTargetSettings(AdapterSettings):
    #: Beraternummer and Mandantennummer; without them no file can be written.
    consultant_number: int | None = Field(default=None, ge=1001, le=9_999_999)
    client_number: int | None = Field(default=None, ge=1, le=99_999)
    fiscal_year_start_month: int = Field(default=1, ge=1, le=12)
    account_length: int = Field(default=4, ge=4, le=8)
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
