"""Order → Voucher against the reference examples and the fake's scenarios."""

from __future__ import annotations

import datetime as dt
import json
from decimal import Decimal

import pytest

from belegsync.bookkeeping import LineCategory, TaxTreatment, VoucherKind, validate, warnings
from belegsync.fakes.billbee.seed import seed_orders
from belegsync.sources.billbee.mapping import NotBookable, map_order
from tests.reference import REFERENCE as REFERENCE_DIR

DATA = REFERENCE_DIR / "billbee" / "examples"
INVOICES = DATA / "get_invoices_page.json"


def load(name: str) -> dict:
    return json.loads((DATA / name).read_text(encoding="utf-8"), parse_float=Decimal)


@pytest.fixture
def order() -> dict:
    return load("order_two_rates_shipping_coupon.json")


@pytest.fixture
def storno() -> dict:
    return load("credit_note_storno_order.json")


@pytest.fixture
def scenarios() -> dict:
    return {
        o["OrderNumber"]: json.loads(json.dumps(o), parse_float=Decimal) for o in seed_orders(0)
    }


def test_it_maps_the_reference_order_to_billbees_invoice_totals(order):
    voucher = map_order(order)
    assert voucher.number == "RE-2024-1187"
    assert voucher.kind is VoucherKind.INVOICE
    # Billbee's own invoice of this order: TotalNet 79.41, TotalGross 91.50
    assert (voucher.total_net, voucher.total_gross) == (Decimal("79.41"), Decimal("91.50"))
    assert [(ln.net, ln.gross, ln.tax_rate) for ln in voucher.lines] == [
        (Decimal("50.34"), Decimal("59.90"), Decimal(19)),
        (Decimal("24.95"), Decimal("26.70"), Decimal(7)),
        (Decimal("4.12"), Decimal("4.90"), Decimal(19)),
    ]
    assert voucher.lines[2].category is LineCategory.SHIPPING
    assert validate(voucher) == []


def test_it_matches_the_reference_invoice_list_when_available(order):
    if not INVOICES.exists():
        pytest.skip("reference not mounted")
    invoice = json.loads(INVOICES.read_text(), parse_float=Decimal)["Data"][0]
    voucher = map_order(order)
    assert voucher.total_gross == invoice["TotalGross"]
    assert voucher.total_net == invoice["TotalNet"]
    for line, position in zip(voucher.lines, invoice["Positions"], strict=False):
        assert line.gross == position["TotalGrossValue"]
        assert line.tax_rate == position["VatRate"]


def test_it_books_a_coupon_as_a_payment_not_as_a_discount(order):
    voucher = map_order(order)
    assert all(ln.category is not LineCategory.DISCOUNT for ln in voucher.lines)
    assert [(p.method, p.amount) for p in voucher.payments] == [
        ("PayPal", Decimal("81.50")),
        ("Gutschein", Decimal("10.00")),
    ]
    assert voucher.is_paid


def test_it_maps_a_cancellation_to_a_credit_note_referring_to_the_invoice(order, storno):
    credit = map_order(storno, original=order)
    assert credit.kind is VoucherKind.CREDIT_NOTE
    assert credit.number == "RE-2024-1201"
    assert credit.refers_to == "RE-2024-1187"
    assert (credit.total_net, credit.total_gross) == (Decimal("50.34"), Decimal("59.90"))
    assert credit.lines[0].quantity == 1
    assert validate(credit) == []


def test_it_books_a_credit_note_whose_original_is_unknown_with_a_warning(storno):
    credit = map_order(storno)
    assert validate(credit) == []
    assert [w.code for w in warnings(credit)] == ["credit_note_no_invoice_named"]


def test_it_carries_inconsistent_totals_so_validation_fails(scenarios):
    voucher = map_order(scenarios["#1109"])
    assert voucher.total_gross == Decimal("65.80")
    assert [p.code for p in validate(voucher)] == ["total_mismatch"]


def test_it_refuses_an_order_without_invoice(scenarios):
    with pytest.raises(NotBookable, match="not issued an invoice"):
        map_order(scenarios["#1101"])


@pytest.mark.parametrize(
    ("number", "treatment", "currency"),
    [
        ("#1103", TaxTreatment.EXPORT, "CHF"),
        ("AMZ-302-7781", TaxTreatment.INTRA_EU_SUPPLY, "EUR"),
        ("#1105", TaxTreatment.SMALL_BUSINESS, "EUR"),
        ("#1107", TaxTreatment.EU_DISTANCE_SALE, "EUR"),
        ("EB-11-22", TaxTreatment.DOMESTIC, "EUR"),
    ],
)
def test_it_derives_the_tax_treatment_of_each_scenario(scenarios, number, treatment, currency):
    voucher = map_order(scenarios[number])
    assert voucher.tax_treatment is treatment
    assert voucher.currency == currency
    assert validate(voucher) == []


def test_it_keeps_line_discounts_and_order_surcharges(scenarios):
    voucher = map_order(scenarios["EB-11-22"])
    assert voucher.lines[0].gross == Decimal("32.40")  # 3 × 12.00 less 10 %
    fee = [ln for ln in voucher.lines if ln.category is LineCategory.FEE]
    # the order-level surcharge follows the goods: split over 19 % and 7 % in proportion
    assert [(f.description, f.gross, f.tax_rate) for f in fee] == [
        ("Geschenkverpackung (19 %)", Decimal("1.61"), Decimal(19)),
        ("Geschenkverpackung (7 %)", Decimal("0.89"), Decimal(7)),
    ]
    assert sum(f.gross for f in fee) == Decimal("2.50")
    assert validate(voucher) == []


def test_it_splits_an_order_discount_over_the_rates_in_proportion(order):
    """GIVEN the reference basket (59.90 € at 19 %, 26.70 € at 7 %) WHEN Billbee adds an
    order-level discount of 8.66 € (AdjustmentCost) THEN each rate loses its share:
    8.66 × 59.90/86.60 = 5.99 and 8.66 × 26.70/86.60 = 2.67 (§ 17 UStG)."""
    discounted = {**order, "AdjustmentCost": Decimal("-8.66"), "AdjustmentReason": "Rabatt"}
    discounted["TotalCost"] = order["TotalCost"] - Decimal("8.66")
    voucher = map_order(discounted)
    parts = [ln for ln in voucher.lines if ln.category is LineCategory.DISCOUNT]
    assert [(p.description, p.gross, p.tax_rate) for p in parts] == [
        ("Rabatt (19 %)", Decimal("-5.99"), Decimal(19)),
        ("Rabatt (7 %)", Decimal("-2.67"), Decimal(7)),
    ]
    assert validate(voucher) == []


def test_it_keeps_sub_cent_item_prices_so_the_rate_total_is_exact(order):
    """Eight items of 8.925 € (Billbee's doubles) make 71.40 €, not 8 × 8.93."""
    item = {**order["OrderItems"][0], "TotalPrice": Decimal("8.925"), "Quantity": 1}
    item["TaxAmount"] = Decimal("8.925") * 19 / 119
    odd = {**order, "OrderItems": [item] * 8, "ShippingCost": 0, "TotalCost": Decimal("71.40")}
    voucher = map_order(odd)
    assert [(g.net, g.tax, g.gross) for g in voucher.tax_groups()] == [
        (Decimal("60.00"), Decimal("11.40"), Decimal("71.40"))
    ]
    assert validate(voucher) == []


def test_it_carries_every_date_so_the_target_can_book_the_chosen_one(order):
    voucher = map_order(order)
    assert voucher.invoice_date == dt.date(2024, 11, 29)
    assert voucher.booking_date("payment") == dt.date(2024, 11, 28)
    assert voucher.booking_date("order") == dt.date(2024, 11, 28)


def test_it_dates_by_the_german_calendar(order):
    late = {**order, "InvoiceDate": "2024-12-31T23:30:00+00:00"}
    assert map_order(late).invoice_date == dt.date(2025, 1, 1)
    naive = {**order, "InvoiceDate": "2024-11-29T22:59:00"}
    assert map_order(naive).invoice_date == dt.date(2024, 11, 29)
