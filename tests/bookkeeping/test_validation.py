from __future__ import annotations

import dataclasses
import datetime as dt
from decimal import Decimal

import pytest

from belegsync.bookkeeping import (
    InvalidVoucher,
    Line,
    LineCategory,
    Party,
    VoucherKind,
    ensure_valid,
    validate,
    warnings,
)
from tests.conftest import make_voucher


def codes(voucher) -> set[str]:
    return {p.code for p in validate(voucher)}


def test_it_accepts_a_consistent_invoice():
    assert validate(make_voucher()) == []


def test_it_reports_every_problem_at_once():
    broken = make_voucher(
        number="",
        currency="euro",
        total_net=Decimal("1.00"),
        kind=VoucherKind.CREDIT_NOTE,
    )
    problems = validate(broken)
    assert {p.code for p in problems} >= {
        "missing_number",
        "bad_currency",
        "total_mismatch",
    }
    assert all(p.field and p.message for p in problems)


def test_it_rejects_totals_that_are_not_the_sum_of_the_lines():
    voucher = make_voucher(total_gross=Decimal("44.96"))
    [problem] = validate(voucher)
    assert problem.field == "total_gross"
    assert "44.95" in problem.message


def test_it_rejects_a_line_whose_tax_does_not_match_its_rate():
    line = Line("Buch", Decimal(1), Decimal("10.00"), Decimal("11.90"), Decimal(7))
    voucher = make_voucher(lines=(line,), total_net=Decimal("10.00"), total_gross=Decimal("11.90"))
    assert "line_tax_mismatch" in codes(voucher)


def test_it_tolerates_half_a_cent_per_unit_from_rounded_unit_prices():
    # 7 × 2.99 gross = 20.93; net per unit 2.51 × 7 = 17.57 → 17.57 × 1.19 = 20.91 (2 ct off)
    line = Line("Sticker", Decimal(7), Decimal("17.57"), Decimal("20.93"), Decimal(19))
    voucher = make_voucher(lines=(line,), total_net=Decimal("17.57"), total_gross=Decimal("20.93"))
    assert validate(voucher) == []


def test_it_rejects_a_rate_that_is_not_german_for_a_domestic_sale():
    line = Line("Tee", Decimal(1), Decimal("10.00"), Decimal("12.00"), Decimal(20))
    voucher = make_voucher(lines=(line,), total_net=Decimal("10.00"), total_gross=Decimal("12.00"))
    [problem] = validate(voucher)
    assert problem.code == "rate_not_allowed"
    assert "20 %" in problem.message


def test_it_accepts_the_buyer_country_rate_for_an_eu_distance_sale():
    line = Line("Tee", Decimal(1), Decimal("10.00"), Decimal("12.00"), Decimal(20))
    voucher = make_voucher(
        lines=(line,),
        total_net=Decimal("10.00"),
        total_gross=Decimal("12.00"),
        party=Party(name="Max", country="AT"),
    )
    assert voucher.tax_treatment.value == "eu_distance_sale"
    assert validate(voucher) == []


def test_it_rejects_tax_on_an_export():
    voucher = make_voucher(party=Party(name="Heidi", country="CH"))
    assert voucher.tax_treatment.value == "export"
    assert "rate_not_allowed" in codes(voucher)


def test_it_allows_negative_quantity_only_on_a_discount():
    goods = Line("Retoure", Decimal(-1), Decimal("-10.00"), Decimal("-11.90"), Decimal(19))
    discount = Line(
        "Gutschein",
        Decimal(-1),
        Decimal("-10.00"),
        Decimal("-11.90"),
        Decimal(19),
        LineCategory.DISCOUNT,
    )
    base = Line("Hose", Decimal(1), Decimal("50.00"), Decimal("59.50"), Decimal(19))
    bad = make_voucher(
        lines=(base, goods), total_net=Decimal("40.00"), total_gross=Decimal("47.60")
    )
    good = make_voucher(
        lines=(base, discount), total_net=Decimal("40.00"), total_gross=Decimal("47.60")
    )
    assert {"negative_quantity", "wrong_sign"} <= codes(bad)
    assert validate(good) == []


def test_it_rejects_sub_cent_amounts():
    line = Line("Schraube", Decimal(1), Decimal("0.004"), Decimal("0.005"), Decimal(19))
    voucher = make_voucher(lines=(line,), total_net=Decimal("0.004"), total_gross=Decimal("0.005"))
    assert "sub_cent" in codes(voucher)


def test_it_books_a_credit_note_without_invoice_number_with_a_warning():
    """Both targets accept a credit note that names no invoice: bookable, never failed,
    but the merchant is told (document page, month report, DATEV Buchungstext)."""
    note = make_voucher(kind=VoucherKind.CREDIT_NOTE)
    assert validate(note) == []
    assert [w.code for w in warnings(note)] == ["credit_note_no_invoice_named"]
    assert warnings(dataclasses.replace(note, refers_to="RE-1000")) == []
    assert warnings(make_voucher()) == []  # an invoice names nothing of the kind


def test_ensure_valid_raises_with_the_problems():
    with pytest.raises(InvalidVoucher) as info:
        ensure_valid(make_voucher(invoice_date=dt.date(2026, 1, 1), total_net=Decimal(0)))
    assert info.value.problems[0].code == "total_mismatch"


def test_the_booking_date_is_the_chosen_one_or_the_invoice_date():
    from belegsync.bookkeeping import DocumentDate, Payment

    unpaid = make_voucher(payments=(), order_date=dt.date(2026, 10, 30))
    paid = make_voucher(payments=(Payment("paypal", Decimal("44.95"), dt.date(2026, 11, 5)),))
    assert unpaid.booking_date(DocumentDate.PAYMENT) == unpaid.invoice_date
    assert unpaid.booking_date(DocumentDate.ORDER) == dt.date(2026, 10, 30)
    assert paid.booking_date("payment") == dt.date(2026, 11, 5)
    assert paid.booking_date() == paid.invoice_date
