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

The ``*_KEY`` names are the keys of today's flat ``Connection.settings`` dict
that the policy is read from (:meth:`Policy.from_flat`) until the settings are
stored by namespace.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from belegsync.bookkeeping import DocumentDate

__all__ = ["DocumentDate", "PaymentAccounts", "Policy"]


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

    @classmethod
    def from_flat(cls, settings: Mapping[str, Any]) -> Policy:
        """The policy in today's flat ``Connection.settings`` dict.

        Values that forms stored loosely (dates as ISO text, an empty start
        date, a missing switch) are read the way the engine read them so far.
        """
        return cls(
            mark_paid=bool(settings.get(MARK_PAID_KEY, False)),
            transfer_pdf=bool(settings.get(TRANSFER_PDF_KEY, True)),
            start_date=settings.get(START_DATE_KEY) or None,
            document_date=settings.get(DOCUMENT_DATE_KEY) or DocumentDate.INVOICE,
            customer_per_buyer=bool(settings.get(CREATE_CUSTOMERS_KEY, False)),
            payment_accounts=PaymentAccounts(
                by_method={
                    str(method): str(account)
                    for method, account in (settings.get(PAYMENT_ACCOUNTS_KEY) or {}).items()
                    if account
                },
                unassigned_to_default=bool(settings.get(BOOK_UNASSIGNED_AS_DEFAULT_KEY, False)),
                default_account=str(settings.get(DEFAULT_PAYMENT_ACCOUNT_KEY) or ""),
            ),
            small_business=bool(settings.get(SMALL_BUSINESS_KEY, False)),
            future_days=settings.get(FUTURE_DAYS_KEY, 3),
        )


#: Keys of the flat settings dict (see the module's docstring).
MARK_PAID_KEY = "mark_paid"
TRANSFER_PDF_KEY = "transfer_pdf"
START_DATE_KEY = "start_date"
DOCUMENT_DATE_KEY = "document_date"
CREATE_CUSTOMERS_KEY = "create_customers"
PAYMENT_ACCOUNTS_KEY = "payment_accounts"
BOOK_UNASSIGNED_AS_DEFAULT_KEY = "book_unassigned_as_default"
DEFAULT_PAYMENT_ACCOUNT_KEY = "default_payment_account"
SMALL_BUSINESS_KEY = "small_business"
FUTURE_DAYS_KEY = "future_days"
#: sevDesk's form's wording of MARK_PAID ("source" / "sevdesk"); MARK_PAID decides.
PAYMENT_RECONCILIATION_KEY = "payment_reconciliation"
