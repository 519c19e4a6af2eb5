"""A DATEV target's own settings (``Connection.settings["target"]``): what the tax advisor
tells the merchant. Whether payments are booked follows the policy's ``mark_paid``, on the
accounts of its payment-account mapping."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any, Literal

from pydantic import Field

from belegsync.connectors.errors import ConfigError
from belegsync.connectors.reasons import Reason
from belegsync.connectors.settings import AdapterSettings, TaxAdvisor

from .extf import Chart, DatevSettings, DebtorMode
from .rules import RANGES, reasons_of_errors

_W, _A = RANGES["fiscal_year_start_month"], RANGES["account_length"]


class DatevTargetSettings(AdapterSettings):
    """The Beraternummer and Mandantennummer are not here but the organisation's
    (``TaxAdvisor``, ``context.advisor``): one merchant, one advisor, one pair of numbers
    for its DATEV connections and its manual DATEV exports alike."""

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


class DatevExportSettings(DatevTargetSettings):
    """The manual DATEV export's settings (the organisation's, for every export): the
    target's, and whether and on which accounts payments are booked, which a connection
    takes from its policy instead."""

    book_payments: bool = False
    #: Payment method (as the source names it, e.g. "paypal") → account.
    payment_accounts: dict[str, int] = Field(default_factory=dict)


def extf_settings(
    own: DatevTargetSettings,
    advisor: TaxAdvisor,
    *,
    book_payments: bool,
    payment_accounts: Mapping[str, int],
) -> DatevSettings:
    """The writer's settings; ConfigError while the advisor's numbers are missing."""
    if advisor.consultant_number is None or advisor.client_number is None:
        raise ConfigError(
            "The DATEV settings need the consultant and client number from your tax advisor.",
            code="datev.numbers_missing",
        )
    return DatevSettings(
        consultant_number=advisor.consultant_number,
        client_number=advisor.client_number,
        fiscal_year_start_month=own.fiscal_year_start_month,
        account_length=own.account_length,
        chart=Chart(own.chart),
        debtor_mode=DebtorMode(own.debtor_mode),
        collective_debtor=own.collective_debtor,
        debtor_base=own.debtor_base,
        revenue_accounts=dict(own.revenue_accounts),
        oss_tax_key=own.oss_tax_key,
        book_payments=book_payments,
        bank_account=own.bank_account,
        payment_accounts=dict(payment_accounts),
        lock_bookings=own.lock_bookings,
    )
