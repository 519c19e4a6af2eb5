"""Voucher <-> plain dict (JSON-safe): amounts as strings, dates as ISO dates.

This is the form a voucher is stored in (``Document.voucher``) and shown in
``belegsync preview``; amounts stay strings so no float ever touches them. The
form is canonical (cents with two places, rates without trailing zeros), so two
sources that read the same voucher store the same data, and a re-read is
recognised as unchanged. Fields added later (``prices``, ``stated_tax``,
``exchange_rate``, ``original``) are written only when they differ from their
default, so a voucher stored before them still reads back as the same dict.
"""

from __future__ import annotations

import datetime as dt
import functools
from decimal import Decimal
from typing import Any

from .amounts import PriceBasis
from .money import format_rate, round_cents
from .voucher import Line, LineCategory, Original, Party, Payment, Voucher, VoucherKind

SCHEMA_VERSION = 1
#: An enum member read through its class costs 3.11 its EnumType.__getattr__ hook.
_GROSS = PriceBasis.GROSS


def _money(amount: Decimal) -> str:
    """Cents always with two places ("5.00"), so equal vouchers serialise equally."""
    text = str(amount)
    # Most amounts have two places already ("12.30"): a "." third from the end is only
    # ever that (an exponent's "E+1" has none), and rounding it to cents would give it
    # back unchanged. Short ones only: rounding one of more digits than the context's
    # precision raises, and must go on raising. tests/bookkeeping/test_fast_paths.py
    # holds this against the rounding for any Decimal. (The character by index, not a
    # slice: a slice is a new string, three times the cost.)
    if 2 < len(text) < 20 and text[-3] == ".":
        return text
    cents = round_cents(amount)
    return str(cents) if cents == amount else text


#: Rates and quantities without trailing zeros ("0", "19", "5.5", "2").
_number = format_rate


def _date(value: dt.date | None) -> str | None:
    # _iso's body, not a call of it: three dates of every voucher stored go through here
    if not value:
        return None
    return _iso_date(value) if type(value) is dt.date else value.isoformat()


def _iso(value: dt.date) -> str:
    # The invoices of a file share their dates (a day's invoices, their order and
    # payment days), and ``isoformat`` formats through printf: a date's text is made
    # once. A date only: equal dates have one text, equal datetimes need not (one
    # instant in two time zones).
    return _iso_date(value) if type(value) is dt.date else value.isoformat()


@functools.lru_cache(maxsize=4096)
def _iso_date(value: dt.date) -> str:
    return value.isoformat()


def _parse_date(value: str | None) -> dt.date | None:
    return dt.date.fromisoformat(value) if value else None


def voucher_to_dict(v: Voucher) -> dict[str, Any]:
    data = _base_dict(v)
    if v.prices is not _GROSS:
        data["prices"] = v.prices.value
    if v.stated_tax:
        data["stated_tax"] = {
            _number(rate): _money(tax) for rate, tax in sorted(v.stated_tax.items(), reverse=True)
        }
    if v.exchange_rate is not None:
        data["exchange_rate"] = _number(v.exchange_rate)
    if v.original is not None:
        data["original"] = {
            "currency": v.original.currency,
            "per_euro": _number(v.original.per_euro),
            "gross": _money(v.original.gross),
            "groups": [[_number(r), _money(g)] for r, g in v.original.groups],
        }
    return data


def _original(data: dict[str, Any] | None) -> Original | None:
    if not data:
        return None
    return Original(
        currency=data["currency"],
        per_euro=Decimal(data["per_euro"]),
        gross=Decimal(data["gross"]),
        groups=tuple((Decimal(r), Decimal(g)) for r, g in data.get("groups", [])),
    )


def _base_dict(v: Voucher) -> dict[str, Any]:
    party = v.party
    return {
        "schema": SCHEMA_VERSION,
        # ``_value_``: the member's value itself, where ``.value`` is a property written in
        # Python (enum.py); read twice a voucher on import
        "kind": v.kind._value_,
        "number": v.number,
        "invoice_date": _iso(v.invoice_date),
        "order_date": _date(v.order_date),
        "payment_date": _date(v.payment_date),
        "delivery_date": _date(v.delivery_date),
        "currency": v.currency,
        "total_net": _money(v.total_net),
        "total_gross": _money(v.total_gross),
        "refers_to": v.refers_to,
        "order_number": v.order_number,
        "shop": v.shop,
        "small_business": v.small_business,
        "oss_registered": v.oss_registered,
        "party": {
            "name": party.name,
            "company": party.company,
            "customer_number": party.customer_number,
            "street": party.street,
            "zip_code": party.zip_code,
            "city": party.city,
            "country": party.country,
            "vat_id": party.vat_id,
            "email": party.email,
        },
        "lines": [
            {
                "description": ln.description,
                "quantity": _number(ln.quantity),
                "net": _money(ln.net),
                "gross": _money(ln.gross),
                "tax_rate": _number(ln.tax_rate),
                "category": ln.category._value_,
                "sku": ln.sku,
            }
            for ln in v.lines
        ],
        "payments": [
            {
                "method": p.method,
                "amount": _money(p.amount),
                "date": _date(p.date),
                "reference": p.reference,
            }
            for p in v.payments
        ],
        "source_refs": dict(v.source_refs),
    }


def voucher_from_dict(data: dict[str, Any]) -> Voucher:
    party = data.get("party") or {}
    return Voucher(
        kind=VoucherKind(data["kind"]),
        number=data["number"],
        invoice_date=dt.date.fromisoformat(data["invoice_date"]),
        order_date=_parse_date(data.get("order_date")),
        payment_date=_parse_date(data.get("payment_date")),
        delivery_date=_parse_date(data.get("delivery_date")),
        currency=data.get("currency", "EUR"),
        total_net=Decimal(data["total_net"]),
        total_gross=Decimal(data["total_gross"]),
        refers_to=data.get("refers_to", ""),
        order_number=data.get("order_number", ""),
        shop=data.get("shop", ""),
        small_business=bool(data.get("small_business", False)),
        oss_registered=bool(data.get("oss_registered", False)),
        party=Party(**party),
        lines=tuple(
            Line(
                description=ln["description"],
                quantity=Decimal(ln["quantity"]),
                net=Decimal(ln["net"]),
                gross=Decimal(ln["gross"]),
                tax_rate=Decimal(ln["tax_rate"]),
                category=LineCategory(ln.get("category", "goods")),
                sku=ln.get("sku", ""),
            )
            for ln in data.get("lines", [])
        ),
        payments=tuple(
            Payment(
                method=p["method"],
                amount=Decimal(p["amount"]),
                date=_parse_date(p.get("date")),
                reference=p.get("reference", ""),
            )
            for p in data.get("payments", [])
        ),
        source_refs=dict(data.get("source_refs", {})),
        prices=PriceBasis(data.get("prices", PriceBasis.GROSS)),
        stated_tax={
            Decimal(rate): Decimal(tax) for rate, tax in (data.get("stated_tax") or {}).items()
        },
        exchange_rate=Decimal(data["exchange_rate"]) if data.get("exchange_rate") else None,
        original=_original(data.get("original")),
    )
