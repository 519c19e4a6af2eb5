"""The neutral voucher every source produces and every target consumes.

Sign convention: amounts of a credit note are positive, like the invoice they
reverse; the ``kind`` carries the direction. A discount line has negative
amounts on either kind. Targets turn this into their own convention (lexoffice
``salescreditnote`` with positive amounts, DATEV Soll/Haben).
"""

from __future__ import annotations

import datetime as dt
import operator
from collections.abc import Callable, Hashable, Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from enum import StrEnum

from .amounts import Position, PriceBasis, TaxGroup, positions, tax_groups
from .frozen import once, one_step_init
from .money import ZERO, minor_unit
from .tax import TaxTreatment, treatment_of


class DocumentDate(StrEnum):
    """Which of a voucher's dates is its date in the books (second product page)."""

    INVOICE = "invoice"
    PAYMENT = "payment"
    ORDER = "order"


class VoucherKind(StrEnum):
    INVOICE = "invoice"
    CREDIT_NOTE = "credit_note"


class LineCategory(StrEnum):
    GOODS = "goods"
    SHIPPING = "shipping"
    DISCOUNT = "discount"
    FEE = "fee"


@one_step_init
@dataclass(frozen=True)
class Party:
    """The buyer. ``country`` is ISO 3166-1 alpha-2 (``DE``, ``AT``, ``CH``)."""

    name: str = ""
    company: str = ""
    customer_number: str = ""
    street: str = ""
    zip_code: str = ""
    city: str = ""
    country: str = "DE"
    vat_id: str = ""
    email: str = ""

    @property
    def display_name(self) -> str:
        return self.company or self.name


@one_step_init
@dataclass(frozen=True)
class Line:
    """One position. ``net`` and ``gross`` are line totals (quantity included), as
    precise as the source gives them (sub-cent amounts stay: only a rate's total
    is rounded, see ``amounts.py``)."""

    description: str
    quantity: Decimal
    net: Decimal
    gross: Decimal
    tax_rate: Decimal
    category: LineCategory = LineCategory.GOODS
    sku: str = ""

    @property
    def tax(self) -> Decimal:
        return self.gross - self.net


_tax_rate = operator.attrgetter("tax_rate")


@one_step_init
@dataclass(frozen=True)
class Payment:
    method: str
    amount: Decimal
    date: dt.date | None = None
    reference: str = ""


@one_step_init
@dataclass(frozen=True)
class Original:
    """The invoice in its own currency, beside a voucher booked in euros
    (``currency.in_euros``, or a source that states both)."""

    currency: str
    #: Units of ``currency`` per euro (1 EUR = 0.9412 CHF).
    per_euro: Decimal
    gross: Decimal
    #: (tax rate, gross) in ``currency``, per rate, where known.
    groups: tuple[tuple[Decimal, Decimal], ...] = ()


@one_step_init
@dataclass(frozen=True)
class Voucher:
    kind: VoucherKind
    number: str
    invoice_date: dt.date
    lines: tuple[Line, ...]
    #: Totals as the source states them; validation checks them against the rates'
    #: totals (``tax_groups``), which are what every target books.
    total_net: Decimal
    total_gross: Decimal
    currency: str = "EUR"
    party: Party = field(default_factory=Party)
    payments: tuple[Payment, ...] = ()
    order_date: dt.date | None = None
    payment_date: dt.date | None = None
    delivery_date: dt.date | None = None
    #: For a credit note: the number of the invoice it corrects.
    refers_to: str = ""
    order_number: str = ""
    shop: str = ""
    #: The seller is a small business (§19 UStG) and charges no VAT.
    small_business: bool = False
    #: The seller is registered for the EU One-Stop-Shop.
    oss_registered: bool = False
    #: Where the voucher came from: ids in the source system, for support and links.
    source_refs: Mapping[str, str] = field(default_factory=dict)
    #: Whether the shop priced the lines gross (B2C, the default) or net (B2B); decides
    #: how each rate's tax is figured (``amounts.py``).
    prices: PriceBasis = PriceBasis.GROSS
    #: Tax per rate as the source's invoice states it (rate → amount), when it does;
    #: it must equal belegsync's figure for that rate.
    stated_tax: Mapping[Decimal, Decimal] = field(default_factory=dict)
    #: For a voucher in a foreign currency: units of it per euro, as the source supplies
    #: the rate (``currency.in_euros`` books it in euros); None when it supplies none.
    exchange_rate: Decimal | None = None
    #: For a voucher the source states in euros: the invoice's own currency and total.
    original: Original | None = None

    @property
    def total_tax(self) -> Decimal:
        return self.total_gross - self.total_net

    @property
    def is_credit_note(self) -> bool:
        return self.kind is VoucherKind.CREDIT_NOTE

    @property
    def paid_amount(self) -> Decimal:
        return sum((p.amount for p in self.payments), ZERO)

    @property
    def is_paid(self) -> bool:
        return bool(self.payments) and self.paid_amount >= self.total_gross

    # cached: a voucher is immutable, and validation, the checks and every target ask
    # for its treatment and tax groups again (``once`` writes past ``frozen``)
    @once
    def tax_treatment(self) -> TaxTreatment:
        party = self.party
        # derive_treatment's own cache, asked by position (see tax.treatment_of); the
        # rates by a C loop, not a generator's frame for each line
        return treatment_of(
            party.country,
            party.vat_id,
            frozenset(map(_tax_rate, self.lines)),
            self.small_business,
            self.oss_registered,
            self.supply_date,
        )

    @property
    def supply_date(self) -> dt.date:
        """The day of the supply, whose tax rates apply (§ 27 Abs. 1 UStG): the
        delivery date when the invoice states one, else the invoice date."""
        return self.delivery_date or self.invoice_date

    def booking_date(self, choice: str = DocumentDate.INVOICE) -> dt.date:
        """The date the merchant chose for the books: invoice, payment or order date.

        Falls back to the invoice date when the chosen one is unknown (an unpaid
        invoice has no payment date).
        """
        if choice == DocumentDate.PAYMENT:
            paid = self.payment_date or next((p.date for p in self.payments if p.date), None)
            return paid or self.invoice_date
        if choice == DocumentDate.ORDER:
            return self.order_date or self.invoice_date
        return self.invoice_date

    def tax_groups(self) -> tuple[TaxGroup, ...]:
        """Per tax rate, highest first: the rate's total and the tax stated on it."""
        return self._tax_groups

    @once
    def _tax_groups(self) -> tuple[TaxGroup, ...]:
        return tax_groups(self.lines, self.prices, minor_unit(self.currency))

    def positions(
        self, key_of: Callable[[Line], Hashable], *, non_negative: bool = False
    ) -> list[Position]:
        """The lines summed per (rate, ``key_of(line)``) whose amounts add up per rate
        to exactly :meth:`tax_groups` (what a target books; see ``amounts.positions``;
        ``non_negative``: a discount larger than its position is absorbed by the
        rate's other positions, ``amounts.absorb_negative``)."""
        return positions(
            self.lines, self.prices, key_of, minor_unit(self.currency), non_negative=non_negative
        )
