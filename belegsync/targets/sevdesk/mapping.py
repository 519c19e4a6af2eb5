"""Neutral voucher → sevDesk request bodies. Pure: no I/O, no Django.

How a voucher becomes a sevDesk revenue voucher (reference ``sevdesk/README.md``
§2 and §3.3):

- one ``Voucher`` (creditDebit ``D``, voucherType ``VOU``), ``description`` =
  the voucher number: sevDesk calls it "essentially the voucher number" and
  belegsync finds it again by it (dedupe);
- one position per (tax rate, revenue account) — ``Voucher.positions`` — in the
  shop's own prices: gross (``net: false``, ``sumGross``) or net (``net: true``,
  ``sumNet``). sevDesk derives each position's tax from its amount (reference
  §3.3; the double's rule: half up to cents); with one position per rate that
  derivation is exactly the rate's tax as the invoice states it (docs/bookkeeping.md
  "Tax per rate"), where one position per line would drift a cent every few lines;
- the tax treatment decides the voucher's ``taxRule`` and each line's revenue
  account (``accountDatev``) with its rate, see :data:`RULES`;
- a credit note is a voucher of its own with negative amounts (sevDesk's
  Update 2.0 has no credit-note voucher type and no createFromVoucher; a
  refund reduces revenue on the same accounts). Unverified against a real
  account: the reference leaves open whether sevDesk prefers ``C`` here.
- amounts are sent as decimal strings (``"44.95"``), never floats; [RS] sends
  them so to the real API. Rates as ``"19"``.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

from belegsync.bookkeeping import Line, Position, PriceBasis, Voucher
from belegsync.bookkeeping.currency import in_euros, needs_rate
from belegsync.bookkeeping.money import round_cents
from belegsync.bookkeeping.tax import TaxTreatment
from belegsync.connectors.errors import ValidationRejected

BERLIN = ZoneInfo("Europe/Berlin")

#: sevDesk's tax rule ids (Update 2.0, "Regelbesteuerung" and Kleinunternehmer).
RULE_DOMESTIC = 1  # Umsatzsteuerpflichtige Umsätze (0, 7, 19 %)
RULE_EXPORT = 2  # Ausfuhren (0 %)
RULE_INTRA_EU = 3  # Innergemeinschaftliche Lieferungen (0 %)
RULE_SMALL_BUSINESS = 11  # Steuer nicht erhoben nach §19 UStG (0 %)

#: The rates sevDesk's guidance knows for revenue: ZERO, SEVEN, NINETEEN.
SEVDESK_RATES = frozenset({Decimal(0), Decimal(7), Decimal(19)})


@dataclass(frozen=True)
class AccountPlan:
    """accountDatev ids of the revenue accounts (the same in SKR03 and SKR04).

    Defaults from the reference (§3.1, [RSG] snapshot): 5192 Erlöse 19 %,
    5186 Erlöse 7 %, 3510 Umsatzerlöse, 3618 steuerfreie innergemeinschaftliche
    Lieferungen, 3617 steuerfreie Umsätze Drittland. A merchant whose tax
    advisor wants other accounts overrides them in the settings
    (``sevdesk_accounts``); the adapter checks every combination against
    sevDesk's ReceiptGuidance before it sends a voucher.
    """

    revenue_19: int = 5192
    revenue_7: int = 5186
    revenue_other: int = 3510
    intra_eu: int = 3618
    export: int = 3617

    @classmethod
    def from_settings(cls, overrides: Mapping[str, Any]) -> AccountPlan:
        known = cls.__dataclass_fields__
        return cls(**{k: int(v) for k, v in overrides.items() if k in known and v})


#: Treatment → (tax rule, what the treatment is called for the merchant).
RULES: dict[TaxTreatment, int] = {
    TaxTreatment.DOMESTIC: RULE_DOMESTIC,
    TaxTreatment.EXPORT: RULE_EXPORT,
    TaxTreatment.INTRA_EU_SUPPLY: RULE_INTRA_EU,
    TaxTreatment.SMALL_BUSINESS: RULE_SMALL_BUSINESS,
}


def decimal_text(amount: Decimal) -> str:
    """Cents as sevDesk reads them: ``"44.95"``, ``"-4.95"``."""
    return str(round_cents(amount))


def rate_text(rate: Decimal) -> str:
    return format(rate.normalize(), "f")


def date_text(day: dt.date) -> str:
    """``dd.mm.yyyy``: sevDesk reads it as midnight in Berlin, so no day shifts."""
    return day.strftime("%d.%m.%Y")


def booking_date(day: dt.date) -> str:
    """ISO date-time at noon in Berlin, as the spec's date-time format wants."""
    return dt.datetime.combine(day, dt.time(12), BERLIN).isoformat()


def reject(voucher: Voucher, message: str) -> ValidationRejected:
    return ValidationRejected(f"Voucher {voucher.number}: {message}")


def tax_rule(voucher: Voucher) -> int:
    treatment = voucher.tax_treatment
    if treatment is TaxTreatment.EU_DISTANCE_SALE:
        raise reject(
            voucher,
            f"this is an EU distance sale taxed in {voucher.party.country} (One-Stop-Shop). "
            "sevDesk does not accept One-Stop-Shop tax rules on vouchers (rules 18-20 are "
            "'not usable in vouchers'), so belegsync cannot book it there. Book it in sevDesk "
            "as an invoice, or mark the document as imported manually.",
        )
    return RULES[treatment]


def account_for(voucher: Voucher, line: Line, plan: AccountPlan) -> int:
    return account_at(voucher, line.tax_rate, plan)


def account_at(voucher: Voucher, rate: Decimal, plan: AccountPlan) -> int:
    treatment = voucher.tax_treatment
    if treatment is TaxTreatment.INTRA_EU_SUPPLY:
        return plan.intra_eu
    if treatment is TaxTreatment.EXPORT:
        return plan.export
    if treatment is TaxTreatment.SMALL_BUSINESS:
        return plan.revenue_other
    rate = rate.normalize()
    if rate == 19:
        return plan.revenue_19
    if rate == 7:
        return plan.revenue_7
    return plan.revenue_other


def check_rates(voucher: Voucher) -> None:
    for index, line in enumerate(voucher.lines):
        if line.tax_rate not in SEVDESK_RATES:
            raise reject(
                voucher,
                f"line {index + 1} ('{line.description}') has {rate_text(line.tax_rate)} % VAT; "
                "sevDesk accepts only 0, 7 and 19 % on vouchers. Correct the rate in the "
                "source or book this voucher by hand.",
            )
        if voucher.tax_treatment is not TaxTreatment.DOMESTIC and line.tax_rate != 0:
            raise reject(
                voucher,
                f"line {index + 1} ('{line.description}') carries "
                f"{rate_text(line.tax_rate)} % VAT, but the sale is tax-free "
                f"({voucher.tax_treatment.value}).",
            )


def supplier_name(voucher: Voucher) -> str:
    party = voucher.party
    return party.display_name or party.customer_number or f"Kunde zu {voucher.number}"


def _line_text(line: Line) -> str:
    quantity = line.quantity.normalize()
    return line.description if quantity == 1 else f"{format(quantity, 'f')} × {line.description}"


def positions(voucher: Voucher, plan: AccountPlan) -> list[dict[str, Any]]:
    """One VoucherPos per (rate, revenue account), highest rate first."""
    texts: dict[int, list[str]] = {}
    for line in voucher.lines:
        texts.setdefault(account_for(voucher, line, plan), []).append(_line_text(line))
    return [
        position(voucher, p, ", ".join(texts[int(str(p.key))]))
        for p in voucher.positions(lambda line: account_for(voucher, line, plan))
    ]


def position(voucher: Voucher, pos: Position, text: str) -> dict[str, Any]:
    sign = -1 if voucher.is_credit_note else 1
    account = int(str(pos.key))
    comment = text
    if voucher.is_credit_note:
        reference = f"zu {voucher.refers_to}" if voucher.refers_to else "ohne Rechnungsbezug"
        comment = f"Gutschrift {reference}: {text}"
    net = voucher.prices is PriceBasis.NET
    return {
        "objectName": "VoucherPos",
        "mapAll": True,
        "accountDatev": {"id": account, "objectName": "AccountDatev"},
        "taxRate": rate_text(pos.rate),
        "net": net,
        "sumNet" if net else "sumGross": decimal_text(sign * (pos.net if net else pos.gross)),
        "comment": comment[:255],
        "isAsset": False,
    }


def save_voucher_body(
    voucher: Voucher,
    *,
    plan: AccountPlan | None = None,
    supplier_id: int | None = None,
    date_choice: str = "invoice",
    filename: str | None = None,
) -> dict[str, Any]:
    """The body of ``POST /Voucher/Factory/saveVoucher`` creating an open voucher.

    A voucher in another currency is booked in euros at the rate the source supplies
    (``currency.in_euros``, docs/bookkeeping.md "Currency"), and refused without one.
    """
    plan = plan or AccountPlan()
    rule = tax_rule(voucher)
    check_rates(voucher)
    if needs_rate(voucher):
        error = reject(
            voucher,
            f"it is in {voucher.currency}; sevDesk needs an exchange rate for foreign "
            "currencies, which the source does not provide. Book it by hand in sevDesk.",
        )
        raise error.recode("currency_not_eur", currency=voucher.currency, system="sevDesk")
    voucher = in_euros(voucher)
    header: dict[str, Any] = {
        "objectName": "Voucher",
        "mapAll": True,
        "voucherDate": date_text(voucher.booking_date(date_choice)),
        "deliveryDate": date_text(voucher.delivery_date or voucher.invoice_date),
        "supplier": (
            {"id": supplier_id, "objectName": "Contact"} if supplier_id is not None else None
        ),
        "supplierName": supplier_name(voucher),
        "description": voucher.number,
        "status": 100,
        "creditDebit": "D",
        "voucherType": "VOU",
        "taxRule": {"id": str(rule), "objectName": "TaxRule"},
        "currency": voucher.currency,
    }
    # The spec: voucherPosDelete and filename come last, in this order.
    body: dict[str, Any] = {
        "voucher": header,
        "voucherPosSave": positions(voucher, plan),
        "voucherPosDelete": None,
    }
    if filename:
        body["filename"] = filename
    return body


def book_amount_body(
    voucher: Voucher, amount: Decimal, day: dt.date, check_account_id: int, full: bool
) -> dict[str, Any]:
    """``PUT /Voucher/{id}/bookAmount`` on a manual account: no checkAccountTransaction.

    A refund (credit note) is booked with a negative amount: the money flows out.
    """
    sign = -1 if voucher.is_credit_note else 1
    return {
        "amount": decimal_text(sign * amount),
        "date": booking_date(day),
        "type": "FULL_PAYMENT" if full else "N",
        "checkAccount": {"id": check_account_id, "objectName": "CheckAccount"},
        "createFeed": False,
    }


def contact_body(voucher: Voucher, customer_number: str) -> dict[str, Any]:
    """A customer (category 3): an organisation when there is a company, else a person."""
    party = voucher.party
    body: dict[str, Any] = {
        "category": {"id": 3, "objectName": "Category"},
        "status": 1000,
        "customerNumber": customer_number,
    }
    if party.company:
        body["name"] = party.company
    else:
        first, _, last = party.name.strip().rpartition(" ")
        body["surename"] = first or None
        body["familyname"] = last or supplier_name(voucher)
    if party.vat_id:
        body["vatNumber"] = party.vat_id
    return body
