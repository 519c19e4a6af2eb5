"""Voucher → saveVoucher body: tax rules, accounts, signs, dates. Pure, no HTTP."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest

from belegsync.bookkeeping import Line, Party, Payment, VoucherKind
from belegsync.connectors.errors import ValidationRejected
from belegsync.targets.sevdesk import mapping
from tests.conftest import make_voucher


def zero_rated(**party: str):
    line = Line("Shirt", Decimal(1), Decimal("50.00"), Decimal("50.00"), Decimal(0))
    return make_voucher(
        lines=(line,),
        total_net=Decimal("50.00"),
        total_gross=Decimal("50.00"),
        party=Party(name="Buyer", **party),
    )


def test_it_maps_a_domestic_voucher_to_rule_1_and_the_19_and_7_accounts():
    lines = (
        Line("Shirt", Decimal(2), Decimal("33.61"), Decimal("40.00"), Decimal(19)),
        Line("Buch", Decimal(1), Decimal("14.02"), Decimal("15.00"), Decimal(7)),
    )
    voucher = make_voucher(lines=lines, total_net=Decimal("47.63"), total_gross=Decimal("55.00"))
    body = mapping.save_voucher_body(voucher)
    assert body["voucher"]["taxRule"] == {"id": "1", "objectName": "TaxRule"}
    assert body["voucher"]["description"] == voucher.number
    assert body["voucher"]["status"] == 100 and body["voucher"]["creditDebit"] == "D"
    assert "taxType" not in body["voucher"]
    positions = body["voucherPosSave"]
    assert [(p["accountDatev"]["id"], p["taxRate"], p["sumGross"]) for p in positions] == [
        (5192, "19", "40.00"),
        (5186, "7", "15.00"),
    ]
    assert positions[0]["comment"] == "2 × Shirt" and positions[0]["net"] is False
    assert list(body) == ["voucher", "voucherPosSave", "voucherPosDelete"]


def test_its_gross_positions_add_up_to_the_voucher_total():
    voucher = make_voucher()
    body = mapping.save_voucher_body(voucher)
    total = sum(Decimal(p["sumGross"]) for p in body["voucherPosSave"])
    assert total == voucher.total_gross


@pytest.mark.parametrize(
    ("party", "rule", "account"),
    [
        ({"country": "AT", "vat_id": "ATU13585627"}, "3", 3618),
        ({"country": "CH"}, "2", 3617),
    ],
)
def test_it_maps_tax_free_sales_to_their_rule_and_account(party, rule, account):
    body = mapping.save_voucher_body(zero_rated(**party))
    assert body["voucher"]["taxRule"]["id"] == rule
    assert body["voucherPosSave"][0]["accountDatev"]["id"] == account
    assert body["voucherPosSave"][0]["taxRate"] == "0"


def test_it_maps_a_small_business_to_rule_11():
    voucher = zero_rated(country="DE")
    voucher = make_voucher(
        lines=voucher.lines,
        total_net=voucher.total_net,
        total_gross=voucher.total_gross,
        small_business=True,
    )
    body = mapping.save_voucher_body(voucher)
    assert body["voucher"]["taxRule"]["id"] == "11"
    assert body["voucherPosSave"][0]["accountDatev"]["id"] == 3510


def test_it_refuses_an_eu_distance_sale_in_words_a_merchant_understands():
    line = Line("Shirt", Decimal(1), Decimal("100.00"), Decimal("120.00"), Decimal(20))
    voucher = make_voucher(
        lines=(line,),
        total_net=Decimal("100.00"),
        total_gross=Decimal("120.00"),
        party=Party(name="Hans", country="AT"),
    )
    with pytest.raises(ValidationRejected) as caught:
        mapping.save_voucher_body(voucher)
    assert "One-Stop-Shop" in caught.value.message and voucher.number in caught.value.message


def test_it_refuses_rates_sevdesk_does_not_know():
    line = Line("Shirt", Decimal(1), Decimal("100.00"), Decimal("116.00"), Decimal(16))
    voucher = make_voucher(
        lines=(line,), total_net=Decimal("100.00"), total_gross=Decimal("116.00")
    )
    with pytest.raises(ValidationRejected, match="only 0, 7 and 19"):
        mapping.save_voucher_body(voucher)


def test_it_books_a_credit_note_as_its_own_voucher_with_negative_amounts():
    voucher = make_voucher("GS-1", kind=VoucherKind.CREDIT_NOTE, refers_to="RE-1001")
    body = mapping.save_voucher_body(voucher)
    assert body["voucher"]["description"] == "GS-1"
    # goods and shipping share the 19 % revenue account: one position, negative
    assert [p["sumGross"] for p in body["voucherPosSave"]] == ["-44.95"]
    assert body["voucherPosSave"][0]["comment"] == "Gutschrift zu RE-1001: 2 × T-Shirt, Versand"
    booking = mapping.book_amount_body(voucher, Decimal("44.95"), dt.date(2026, 11, 3), 7, True)
    assert booking["amount"] == "-44.95"


def test_it_uses_the_chosen_voucher_date():
    voucher = make_voucher(
        order_date=dt.date(2026, 10, 30),
        payments=(Payment("paypal", Decimal("44.95"), dt.date(2026, 11, 5)),),
    )
    dates = {
        choice: mapping.save_voucher_body(voucher, date_choice=choice)["voucher"]["voucherDate"]
        for choice in ("invoice", "payment", "order")
    }
    assert dates == {"invoice": "02.11.2026", "payment": "05.11.2026", "order": "30.10.2026"}


def test_it_books_a_full_payment_at_noon_berlin_without_a_transaction():
    body = mapping.book_amount_body(make_voucher(), Decimal("44.95"), dt.date(2026, 11, 2), 9, True)
    assert body == {
        "amount": "44.95",
        "date": "2026-11-02T12:00:00+01:00",
        "type": "FULL_PAYMENT",
        "checkAccount": {"id": 9, "objectName": "CheckAccount"},
        "createFeed": False,
    }


def test_it_takes_revenue_accounts_from_the_settings():
    plan = mapping.AccountPlan.from_settings({"revenue_19": "3510"})
    body = mapping.save_voucher_body(make_voucher(), plan=plan)
    assert {p["accountDatev"]["id"] for p in body["voucherPosSave"]} == {3510}
