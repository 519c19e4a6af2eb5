"""The engine's policy for a connection: the choices both sides share, typed.

A merchant decides once, for the whole connection, whether vouchers are sent
as paid, whether PDFs go along, from which day on documents count, which date
is the voucher date, whether every buyer becomes a customer and which account
each payment method is booked on. A source's set-up pages ask for some of
these (Billbee's three steps), a target carries them out (sevDesk books the
payments), the engine follows others (PDF, mark paid): so they belong to
neither side but to the engine, and everybody reads them by name from one
:class:`Policy` (``context.policy.document_date``), never from a raw dict.

What only one adapter reads is that adapter's own settings, not policy.

Storage (``Connection.settings``) is namespaced like the credentials:
``{"policy": {...}, "source": {...}, "target": {...}}``. The policy is the
engine's; each side's namespace is that adapter's own :class:`AdapterSettings`
model (``settings_model`` on the adapter class). Every write goes through
:func:`merged` (``services.connections.update_settings``): one namespace at a
time, only the fields given, validated by the model, so no form can write
another side's keys or wipe a field it does not show.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping
from typing import Any, TypeVar

from pydantic import BaseModel, ConfigDict, Field

from belegsync.bookkeeping import DocumentDate
from belegsync.connectors.reasons import Reason

__all__ = [
    "NAMESPACES",
    "AdapterSettings",
    "DocumentDate",
    "NoSettings",
    "PaymentAccounts",
    "Policy",
    "TaxAdvisor",
    "merged",
    "read",
    "settings_model",
]

#: The keys of ``Connection.settings``: the engine's policy, then each side's own.
POLICY = "policy"
NAMESPACES = (POLICY, "source", "target")

M = TypeVar("M", bound=BaseModel)


class PaymentAccounts(BaseModel):
    """Where the target books a voucher's payments, by payment method."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    #: Payment method (as the source names it) → the target's account id.
    by_method: dict[str, str] = Field(default_factory=dict)
    #: Book payments of a method without an account on the default account
    #: ("book unassigned payments as standard payment").
    unassigned_to_default: bool = False
    #: That default account; empty means the target's own (sevDesk: Basiskonto).
    default_account: str = ""

    def account_for(self, method: str) -> str | None:
        """The account for a payment of ``method``.

        ``None``: not assigned (the payment cannot be booked); ``""``: the
        target's own default account.
        """
        mapped = self.by_method.get(method, "")
        if mapped:
            return mapped
        if self.unassigned_to_default:
            return self.default_account
        return None


class Policy(BaseModel):
    """What the engine and both adapters of one connection agree on."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    #: Payment reconciliation in the source: vouchers are sent as paid and the
    #: engine calls ``Target.mark_paid``. Off: sent as open, matched in the target.
    mark_paid: bool = False
    #: Send the source's PDF with the voucher.
    transfer_pdf: bool = True
    #: No document dated before this day is transferred (None: no limit).
    start_date: dt.date | None = None
    #: The date the target books the voucher on.
    document_date: DocumentDate = DocumentDate.INVOICE
    #: Create (or reuse) a customer in the target for every buyer; off: a
    #: collective customer with the buyer's name on the voucher.
    customer_per_buyer: bool = False
    payment_accounts: PaymentAccounts = Field(default_factory=PaymentAccounts)
    #: The merchant is a small business (§ 19 UStG): no VAT is charged at all.
    small_business: bool = False
    #: An invoice dated more than this many days ahead is held as failed
    #: (a typo in the year, a clock gone wrong) rather than booked.
    future_days: int = Field(default=3, ge=0)


class TaxAdvisor(BaseModel):
    """The tax advisor's numbers for the merchant: the organisation's, kept in one place
    (``Organisation.datev_consultant_number`` / ``datev_client_number``) and handed to
    every adapter and exporter that writes for the advisor (``context.advisor``)."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    #: Beraternummer.
    consultant_number: int | None = Field(default=None, ge=1001, le=9_999_999)
    #: Mandantennummer.
    client_number: int | None = Field(default=None, ge=1, le=99_999)

    @property
    def complete(self) -> bool:
        return self.consultant_number is not None and self.client_number is not None


#: The policy's fields a form may show, in the order shown (the rest are set by the
#: engine's defaults, the CLI or the API).
POLICY_FORM_FIELDS = (
    "start_date",
    "mark_paid",
    "customer_per_buyer",
    "unassigned_to_default",
    "document_date",
    "small_business",
    "future_days",
)

#: The policy's fields every connection's form shows, whatever its adapters follow:
#: the engine applies them before any target sees a voucher (§ 19 UStG for every
#: source, and the plausible-date check; docs/bookkeeping.md).
ENGINE_POLICY_FIELDS = ("small_business", "future_days")


class AdapterSettings(BaseModel):
    """The base of one adapter's own settings, stored under its side's key.

    ``rate_per_second`` is the engine's, for every adapter: an operator's slower
    pace for this side than the adapter's documented rate.
    """

    model_config = ConfigDict(frozen=True, extra="forbid")

    rate_per_second: float | None = Field(default=None, gt=0)

    @classmethod
    def reasons_of(
        cls, errors: Iterable[Mapping[str, Any]], values: Mapping[str, Any]
    ) -> list[Reason]:
        """pydantic's ``errors`` of ``values`` as reasons in the merchant's words, where the
        adapter has them (an empty list: the form's own checks come first)."""
        return []


class NoSettings(AdapterSettings):
    """An adapter without settings of its own."""


def settings_model(adapter: Any) -> type[AdapterSettings]:
    """The settings model an adapter class declares (``settings_model``), else none."""
    model: type[AdapterSettings] = getattr(adapter, "settings_model", None) or NoSettings
    return model


def read(model: type[M], stored: Mapping[str, Any] | None) -> M:
    """``stored`` as ``model``; keys the model no longer knows are left out, not refused.

    Stored values were validated when written; a field removed from a model
    later must not stop a connection that still has it.
    """
    known = {k: v for k, v in (stored or {}).items() if k in model.model_fields}
    return model.model_validate(known)


def merged(current: M, changes: Mapping[str, Any]) -> M:
    """``current`` with ``changes`` applied, validated; fields not named stay as they are.

    A change to a nested model (``payment_accounts``) given as a mapping
    changes only the nested fields it names, so the accounts step can set the
    mapping and the payment step the "standard account" switch without either
    wiping the other. Raises ``pydantic.ValidationError`` for an unknown field
    or a bad value.
    """
    values = current.model_dump()
    for name, value in changes.items():
        present = getattr(current, name, None)
        if isinstance(present, BaseModel) and isinstance(value, Mapping):
            value = merged(present, value).model_dump()
        values[name] = value
    return type(current).model_validate(values)
