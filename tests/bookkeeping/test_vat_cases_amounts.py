"""German VAT cases, the money side: each rate's net, tax and gross as the invoice
states them (§ 14 Abs. 4 Nr. 7/8 UStG, one rounding per rate), and what the targets
book for them.

Every case is written from the rule, not from belegsync's output: the expected
figures are worked out by hand in the comment beside them.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal

import pytest

from belegsync.bookkeeping import (
    Line,
    LineCategory,
    Party,
    PriceBasis,
    Voucher,
    VoucherKind,
    allocate,
    main_rate,
    rate_tax,
    split_by_rates,
    spread_over_rates,
    validate,
)
from tests.conftest import make_voucher

D = Decimal
R19, R7, R0 = D(19), D(7), D(0)


def line(gross: str, rate: Decimal, net: str | None = None, quantity: int = 1, **kw) -> Line:
    """A line at ``rate``; its net is the exact one unless the case gives it."""
    g = D(gross)
    n = D(net) if net is not None else g * 100 / (100 + rate)
    return Line(kw.pop("description", "Artikel"), D(quantity), n, g, rate, **kw)


@dataclass(frozen=True)
class Case:
    name: str
    voucher: Voucher
    #: (rate, net, tax, gross) per rate, highest rate first.
    groups: list[tuple[str, str, str, str]]
    refused: set[str] = field(default_factory=set)
    #: What each target books (see test_each_target_books_the_cases_figures):
    #: lexoffice (category, rate, amount, taxAmount), sevDesk (account, rate, amount),
    #: DATEV (S/H, Umsatz, Gegenkonto[, EU rate]).
    lexoffice: list[tuple[str, str, str, str]] = field(default_factory=list)
    sevdesk: list[tuple[int, str, str]] = field(default_factory=list)
    datev: list[tuple[str, str, int]] = field(default_factory=list)


def voucher(lines: list[Line], total_net: str, total_gross: str, **kw) -> Voucher:
    return make_voucher(
        lines=tuple(lines), total_net=D(total_net), total_gross=D(total_gross), payments=(), **kw
    )


POSTCARDS = [Line("Postkarte", D(1), D("0.88"), D("1.05"), R19) for _ in range(100)]

CASES = [
    Case(
        # 100 × 1.05 € = 105.00 €; tax 105 × 19/119 = 16.764… → 16.76 (per line 0.17 × 100
        # would be 17.00: 24 cents too much). The source summed line nets (88.00).
        "a hundred postcards, gross-priced",
        voucher(POSTCARDS, "88.00", "105.00"),
        [("19", "88.24", "16.76", "105.00")],
        lexoffice=[("Warenverkäufe", "19", "105", "16.76")],
        sevdesk=[(5192, "19", "105.00")],
        datev=[("S", "105,00", 8400)],
    ),
    Case(
        # 8 × 8.925 € = 71.40 €; 71.40 × 19/119 = 11.40 exactly.
        "eight lines of 8.925 €, gross-priced with sub-cent line amounts",
        voucher([line("8.925", R19) for _ in range(8)], "60.00", "71.40"),
        [("19", "60.00", "11.40", "71.40")],
    ),
    Case(
        # net-priced: 8 × 7.50 € = 60.00 €, tax 60 × 19 % = 11.40, gross 71.40 — although
        # each line's gross rounds to 8.93 (8 × 8.93 = 71.44).
        "eight lines of 7.50 € net, net-priced",
        voucher(
            [line("8.93", R19, net="7.50") for _ in range(8)],
            "60.00",
            "71.40",
            prices=PriceBasis.NET,
        ),
        [("19", "60.00", "11.40", "71.40")],
        # lexoffice taxType net: amount 60.00 + taxAmount 11.40; sevDesk net positions
        lexoffice=[("Warenverkäufe", "19", "60", "11.4")],
        sevdesk=[(5192, "19", "60.00")],
        datev=[("S", "71,40", 8400)],
    ),
    Case(
        # the same net-priced invoice whose source added the rounded line grosses: the
        # invoice would charge 71.44 for 60.00 + 11.40; refused, never booked approximately.
        "net-priced invoice whose gross is the sum of rounded lines",
        voucher(
            [line("8.93", R19, net="7.50") for _ in range(8)],
            "60.00",
            "71.44",
            prices=PriceBasis.NET,
        ),
        [("19", "60.00", "11.40", "71.40")],
        refused={"total_mismatch"},
    ),
    Case(
        # 19 %: 40.00 + 4.95 = 44.95 → tax 44.95 × 19/119 = 7.176… → 7.18, net 37.77
        #  7 %: 3 × 7.13 = 21.39 → tax 21.39 × 7/107 = 1.399… → 1.40, net 19.99
        "domestic mixed rates with shipping at the main rate",
        voucher(
            [
                line("40.00", R19, "33.61", 2, description="T-Shirt"),
                line("21.39", R7, "19.99", 3, description="Buch"),
                line("4.95", R19, "4.16", category=LineCategory.SHIPPING),
            ],
            "57.76",
            "66.34",
        ),
        [("19", "37.77", "7.18", "44.95"), ("7", "19.99", "1.40", "21.39")],
        lexoffice=[
            ("Warenverkäufe", "19", "44.95", "7.18"),
            ("Warenverkäufe", "7", "21.39", "1.4"),
        ],
        sevdesk=[(5192, "19", "44.95"), (5186, "7", "21.39")],
        datev=[("S", "44,95", 8400), ("S", "21,39", 8300)],
    ),
    Case(
        # a fee (lexoffice: Einnahmen) beside goods at 19 %: 99.75 + 10.00 = 109.75, tax
        # 109.75 × 19/119 = 17.523… → 17.52, shared by the two lexoffice items in
        # proportion: 15.923… and 1.596… → 15.92 and 1.59, the left cent to the larger
        # remainder: 1.60 (each within a cent of its own 15.93 / 1.60). sevDesk and
        # DATEV book the rate on one account. The source's net: 95 × 0.88 + 10 × 0.84.
        "goods and a fee at the same rate on two lexoffice categories",
        voucher(
            [*POSTCARDS[:95], *[line("1.00", R19, "0.84", category=LineCategory.FEE)] * 10],
            "92.00",
            "109.75",
        ),
        [("19", "92.23", "17.52", "109.75")],
        lexoffice=[("Einnahmen", "19", "10", "1.6"), ("Warenverkäufe", "19", "99.75", "15.92")],
        sevdesk=[(5192, "19", "109.75")],
        datev=[("S", "109,75", 8400)],
    ),
    Case(
        # goods 10.00 € (Warenverkäufe) and a fee 4.90 € (Einnahmen) at 19 %, a 12.00 €
        # coupon: 2.90 € → tax 2.90 × 19/119 = 0.463… → 0.46. The coupon goes to the
        # rate's largest category (goods: −2.00 €), which lexoffice cannot book; the
        # fee absorbs the negative part: Einnahmen 2.90 / 0.46, no goods item.
        "a coupon larger than the goods beside a fee at the same rate",
        voucher(
            [
                line("10.00", R19, "8.40"),
                line("4.90", R19, "4.12", category=LineCategory.FEE),
                Line("Gutschein", D(-1), D("-10.08"), D("-12.00"), R19, LineCategory.DISCOUNT),
            ],
            "2.44",
            "2.90",
        ),
        [("19", "2.44", "0.46", "2.90")],
        lexoffice=[("Einnahmen", "19", "2.9", "0.46")],
        sevdesk=[(5192, "19", "2.90")],
        datev=[("S", "2,90", 8400)],
    ),
    Case(
        # the same, net-priced: 10.00 + 4.90 − 12.00 = 2.90 net, tax 2.90 × 19 % = 0.551
        # → 0.55, gross 3.45; lexoffice taxType net: Einnahmen 2.90 + 0.55.
        "a coupon larger than the goods beside a fee, net-priced",
        voucher(
            [
                Line("Artikel", D(1), D("10.00"), D("11.90"), R19),
                Line("Gebühr", D(1), D("4.90"), D("5.83"), R19, LineCategory.FEE),
                Line("Gutschein", D(-1), D("-12.00"), D("-14.28"), R19, LineCategory.DISCOUNT),
            ],
            "2.90",
            "3.45",
            prices=PriceBasis.NET,
        ),
        [("19", "2.90", "0.55", "3.45")],
        lexoffice=[("Einnahmen", "19", "2.9", "0.55")],
        sevdesk=[(5192, "19", "2.90")],
        datev=[("S", "3,45", 8400)],
    ),
    Case(
        # full credit note for the mixed invoice: the same figures, the other direction
        "full credit note with reference",
        voucher(
            [
                line("40.00", R19, "33.61", 2, description="T-Shirt"),
                line("21.39", R7, "19.99", 3, description="Buch"),
                line("4.95", R19, "4.16", category=LineCategory.SHIPPING),
            ],
            "57.76",
            "66.34",
            kind=VoucherKind.CREDIT_NOTE,
            number="GS-1",
            refers_to="RE-1001",
        ),
        [("19", "37.77", "7.18", "44.95"), ("7", "19.99", "1.40", "21.39")],
        lexoffice=[
            ("Warenverkäufe", "19", "44.95", "7.18"),
            ("Warenverkäufe", "7", "21.39", "1.4"),
        ],
        sevdesk=[(5192, "19", "-44.95"), (5186, "7", "-21.39")],
        datev=[("H", "44,95", 8400), ("H", "21,39", 8300)],
    ),
    Case(
        # partial credit note: one of the three books (7.13 × 7/107 = 0.466… → 0.47)
        "partial credit note with reference",
        voucher(
            [line("7.13", R7, "6.66", description="Buch")],
            "6.66",
            "7.13",
            kind=VoucherKind.CREDIT_NOTE,
            number="GS-2",
            refers_to="RE-1001",
        ),
        [("7", "6.66", "0.47", "7.13")],
        lexoffice=[("Warenverkäufe", "7", "7.13", "0.47")],
        sevdesk=[(5186, "7", "-7.13")],
        datev=[("H", "7,13", 8300)],
    ),
    Case(
        # OSS to Austria at its rates: 20 %: 120.00 → 20.00; 10 %: 11.00 → 1.00
        "OSS distance sale at the destination's rates",
        voucher(
            [line("120.00", D(20), "100.00"), line("11.00", D(10), "10.00")],
            "110.00",
            "131.00",
            party=Party(name="Max", country="AT"),
            oss_registered=True,
        ),
        [("20", "100.00", "20.00", "120.00"), ("10", "10.00", "1.00", "11.00")],
        lexoffice=[
            ("Fernverkauf in EU-Land steuerpflichtig", "20", "120", "20"),
            ("Fernverkauf in EU-Land steuerpflichtig", "10", "11", "1"),
        ],
        datev=[("S", "120,00", 8320), ("S", "11,00", 8320)],
    ),
    Case(
        # foreign currency: the rule in the invoice's currency and its smallest unit.
        # ¥ 1,000 at 19 %: 1000 × 19/119 = 159.66… → ¥ 160 (whole yen), net ¥ 840.
        "JPY invoice rounds the tax to whole yen",
        voucher([line("1000", R19, "840.34")], "840", "1000", currency="JPY"),
        [("19", "840", "160", "1000")],
    ),
    Case(
        # three yen items of ¥ 333 (net 279.83 each, summed by the source to whole yen:
        # 3 × 280 = 840): the rate's ¥ 999 → tax 159.50… → ¥ 160, net ¥ 839; the source's
        # ¥ 840 is within what its per-line rounding explains
        "JPY net summed from rounded lines",
        voucher([line("333", R19, "279.83")] * 3, "840", "999", currency="JPY"),
        [("19", "839", "160", "999")],
    ),
    Case(
        # USD in cents like EUR: 3 × 0.35 $ = 1.05 $ → 1.05 × 19/119 = 0.1676… → 0.17
        "USD invoice rounds the tax to cents",
        voucher([line("0.35", R19, "0.29")] * 3, "0.87", "1.05", currency="USD"),
        [("19", "0.88", "0.17", "1.05")],
    ),
    Case(
        # KWD has three decimals (fils): 10.005 × 19/119 = 1.59747… → 1.597
        "KWD invoice rounds the tax to fils",
        voucher([line("10.005", R19, "8.408")], "8.408", "10.005", currency="KWD"),
        [("19", "8.408", "1.597", "10.005")],
    ),
    Case(
        # a tie: 0.03 € at 20 % contains exactly 0.005 → half up to 0.01 (never half-even)
        "half a cent of Austrian VAT rounds up",
        voucher(
            [line("0.03", D(20), "0.03")],
            "0.03",
            "0.03",
            party=Party(name="Max", country="AT"),
            oss_registered=True,
        ),
        [("20", "0.02", "0.01", "0.03")],
        lexoffice=[("Fernverkauf in EU-Land steuerpflichtig", "20", "0.03", "0.01")],
        datev=[("S", "0,03", 8320)],
    ),
    Case(
        # the largest amount DATEV carries: 9 999 999.99 × 19/119 = 1 596 638.653… → .65
        "a very large invoice",
        voucher([line("9999999.99", R19, "8403361.34")], "8403361.34", "9999999.99"),
        [("19", "8403361.34", "1596638.65", "9999999.99")],
        lexoffice=[("Warenverkäufe", "19", "9999999.99", "1596638.65")],
        sevdesk=[(5192, "19", "9999999.99")],
        datev=[("S", "9999999,99", 8400)],
    ),
    Case(
        # rounding edge: 0.05 € at 19 % contains 0.00798… → 0.01 tax; ten of them 0.50 →
        # 0.0798… → 0.08 (per line 10 × 0.01 = 0.10)
        "ten items of five cents",
        voucher([line("0.05", R19, "0.04") for _ in range(10)], "0.40", "0.50"),
        [("19", "0.42", "0.08", "0.50")],
        lexoffice=[("Warenverkäufe", "19", "0.5", "0.08")],
        sevdesk=[(5192, "19", "0.50")],
        datev=[("S", "0,50", 8400)],
    ),
    Case(
        # the source states its tax per rate, and it is the rule's figure
        "source-stated tax per rate that matches",
        voucher(POSTCARDS, "88.00", "105.00", stated_tax={R19: D("16.76")}),
        [("19", "88.24", "16.76", "105.00")],
    ),
    Case(
        # the source's invoice says 17.00 (per-line rounding): the invoice and the books
        # would differ; refused with both figures.
        "source-stated tax per rate that is off",
        voucher(POSTCARDS, "88.00", "105.00", stated_tax={R19: D("17.00")}),
        [("19", "88.24", "16.76", "105.00")],
        refused={"tax_group_mismatch"},
    ),
    Case(
        # stated net 80.00 is 8.24 from the rule's 88.24: more than rounding explains.
        "gross-priced invoice whose net total is far off",
        voucher(POSTCARDS, "80.00", "105.00"),
        [("19", "88.24", "16.76", "105.00")],
        refused={"total_mismatch"},
    ),
]


@pytest.mark.parametrize("case", CASES, ids=lambda c: c.name)
def test_each_rate_carries_the_tax_the_invoice_states(case: Case):
    got = [(str(g.rate), str(g.net), str(g.tax), str(g.gross)) for g in case.voucher.tax_groups()]
    assert got == case.groups
    assert {p.code for p in validate(case.voucher)} == case.refused


def test_it_rounds_the_rate_tax_half_up_once():
    assert rate_tax(D("105.00"), R19, PriceBasis.GROSS) == D("16.76")
    assert rate_tax(D("0.10"), R7, PriceBasis.NET) == D("0.01")  # 0.007 → 0.01
    assert rate_tax(D("0.50"), R19, PriceBasis.NET) == D("0.10")  # 0.095 → 0.10 (half up)
    assert rate_tax(D("-0.50"), R19, PriceBasis.NET) == D("-0.10")


def test_allocate_splits_exactly_and_in_proportion():
    assert allocate(D("16.76"), [D("100.00"), D("5.00")]) == [D("15.96"), D("0.80")]
    assert sum(allocate(D("0.02"), [D(1), D(1), D(1)])) == D("0.02")
    assert allocate(D("0.02"), [D(1), D(1), D(1)]) == [D("0.01"), D("0.01"), D("0.00")]
    assert allocate(D("-1.00"), [D(2), D(1), D(1)]) == [D("-0.50"), D("-0.25"), D("-0.25")]
    assert allocate(D("0.00"), [D(5), D(-5)]) == [D("0.00"), D("0.00")]


def test_a_coupon_over_two_rates_reduces_each_in_proportion():
    # goods 19 %: 80.00, 7 %: 20.00; a 10.00 coupon is 8.00 at 19 % and 2.00 at 7 %.
    assert split_by_rates(D("-10.00"), {R19: D("80.00"), R7: D("20.00")}) == {
        R19: D("-8.00"),
        R7: D("-2.00"),
    }


def test_positions_add_up_per_rate_to_exactly_the_rate_figures():
    """GIVEN goods and a fee at 19 % on two categories WHEN summed per category THEN the
    two positions carry the rate's 16.76 between them, each within a cent of its own."""
    fee = Line("Gebühr", D(1), D("4.20"), D("5.00"), R19, LineCategory.FEE)
    v = voucher([*POSTCARDS[:95], fee], "88.00", "104.75")
    positions = v.positions(lambda ln: ln.category is LineCategory.FEE)
    [group] = v.tax_groups()
    assert sum(p.tax for p in positions) == group.tax
    assert sum(p.gross for p in positions) == group.gross
    for p in positions:
        assert abs(p.tax - rate_tax(p.gross, p.rate, PriceBasis.GROSS)) <= D("0.01")


def test_sub_cent_positions_are_made_cents_that_add_up_to_the_rate():
    # three positions of 1.0033… € each at 0 %: 3.01 in all, cents that add up.
    lines = [
        Line("a", D(1), D("1.0033"), D("1.0033"), R0, LineCategory.GOODS),
        Line("b", D(1), D("1.0033"), D("1.0033"), R0, LineCategory.SHIPPING),
        Line("c", D(1), D("1.0034"), D("1.0034"), R0, LineCategory.FEE),
    ]
    v = voucher(lines, "3.01", "3.01", party=make_voucher().party)
    positions = v.positions(lambda ln: ln.category)
    assert [p.gross for p in positions] == [D("1.00"), D("1.00"), D("1.01")]
    assert validate(v) == []


def test_serialised_vouchers_keep_their_price_basis_and_stated_tax():
    from belegsync.bookkeeping import voucher_from_dict, voucher_to_dict

    v = CASES[2].voucher
    stated = voucher(POSTCARDS, "88.00", "105.00", stated_tax={R19: D("16.76")})
    assert voucher_from_dict(voucher_to_dict(v)) == v
    assert voucher_from_dict(voucher_to_dict(stated)) == stated
    assert "prices" not in voucher_to_dict(make_voucher())  # stored vouchers unchanged


LEXOFFICE_NAMES = {
    "8f8664a8-fd86-11e1-a21f-0800200c9a66": "Warenverkäufe",
    "8f8664a1-fd86-11e1-a21f-0800200c9a66": "Einnahmen",
    "4ebd965a-7126-416c-9d8c-a5c9366ee473": "Fernverkauf in EU-Land steuerpflichtig",
}


def lexoffice_items(v: Voucher) -> list[tuple[str, str, str, str]]:
    from belegsync.targets.lexoffice.mapping import MappingOptions, to_json, to_lexoffice

    body = to_json(to_lexoffice(v, MappingOptions(distance_sales_principle="DESTINATION")))
    return [
        (
            LEXOFFICE_NAMES[i["categoryId"]],
            str(i["taxRatePercent"]),
            str(i["amount"]),
            str(i["taxAmount"]),
        )
        for i in body["voucherItems"]
    ]


def sevdesk_positions(v: Voucher) -> list[tuple[int, str, str]]:
    from belegsync.targets.sevdesk.mapping import save_voucher_body

    return [
        (p["accountDatev"]["id"], p["taxRate"], p.get("sumGross") or p["sumNet"])
        for p in save_voucher_body(v)["voucherPosSave"]
    ]


def datev_bookings(v: Voucher) -> list[tuple[str, str, int]]:
    from belegsync.targets.datev.extf import DatevSettings, bookings

    settings = DatevSettings(consultant_number=4711, client_number=1001, oss_tax_key="240")
    return [
        (b.side, f"{b.amount:.2f}".replace(".", ","), b.contra_account)
        for b in bookings(v, settings)
    ]


@pytest.mark.parametrize("case", [c for c in CASES if c.lexoffice], ids=lambda c: c.name)
def test_each_target_books_the_cases_figures(case: Case):
    assert lexoffice_items(case.voucher) == case.lexoffice
    if case.sevdesk:
        assert sevdesk_positions(case.voucher) == case.sevdesk
    assert datev_bookings(case.voucher) == case.datev


# -- discounts and shipping (docs/bookkeeping.md "Discounts and shipping") -----------------


def test_a_coupon_on_a_mixed_basket_reduces_each_rate_in_proportion():
    """GIVEN 80.00 € of 19 % goods and 20.00 € of 7 % goods and a 10.00 € coupon (a price
    reduction) WHEN it is spread THEN 8.00 € come off 19 % and 2.00 € off 7 % (§ 17 UStG):
    19 %: 72.00 → tax 11.50 (72 × 19/119 = 11.495…), 7 %: 18.00 → tax 1.18 (1.177…)."""
    goods = [line("80.00", R19, "67.23"), line("20.00", R7, "18.69")]
    coupon = Line("Gutschein", D(-1), D("-8.40"), D("-10.00"), R19, LineCategory.DISCOUNT)
    parts = spread_over_rates(coupon, goods)
    assert [(p.description, p.gross, p.net, p.tax_rate) for p in parts] == [
        ("Gutschein (19 %)", D("-8.00"), D("-6.72"), R19),
        ("Gutschein (7 %)", D("-2.00"), D("-1.87"), R7),
    ]
    v = voucher([*goods, *parts], "77.33", "90.00")
    assert [(g.rate, g.net, g.tax, g.gross) for g in v.tax_groups()] == [
        (R19, D("60.50"), D("11.50"), D("72.00")),
        (R7, D("16.82"), D("1.18"), D("18.00")),
    ]
    assert validate(v) == []
    # each target books the reduced rates: lexoffice nets the discount into the goods' item
    assert lexoffice_items(v) == [
        ("Warenverkäufe", "19", "72", "11.5"),
        ("Warenverkäufe", "7", "18", "1.18"),
    ]
    assert sevdesk_positions(v) == [(5192, "19", "72.00"), (5186, "7", "18.00")]
    assert datev_bookings(v) == [("S", "72,00", 8400), ("S", "18,00", 8300)]


def test_a_discount_on_goods_of_one_rate_moves_to_that_rate():
    goods = [line("21.40", R7, "20.00")]
    discount = Line("Rabatt", D(-1), D("-0.84"), D("-1.00"), R19, LineCategory.DISCOUNT)
    assert [(p.gross, p.tax_rate) for p in spread_over_rates(discount, goods)] == [(D("-1.00"), R7)]


def test_shipping_without_a_stated_rate_takes_the_goods_main_rate():
    goods = [line("20.00", R7, "18.69"), line("5.00", R19, "4.20")]
    assert main_rate(goods) == R19  # the highest, as Billbee's invoice prints it
    assert main_rate([line("20.00", R7, "18.69")]) == R7


# -- credit notes without an original invoice (bookable, with a warning) ------------------


def test_a_credit_note_without_reference_is_booked_with_the_warning_in_every_target():
    from belegsync.bookkeeping import warnings
    from belegsync.targets.datev.extf import DatevSettings, bookings
    from belegsync.targets.lexoffice.mapping import remark
    from belegsync.targets.sevdesk.mapping import save_voucher_body

    note = voucher(
        [line("7.13", R7, "6.66", description="Buch")],
        "6.66",
        "7.13",
        kind=VoucherKind.CREDIT_NOTE,
        number="GS-3",
    )
    assert validate(note) == []
    assert [w.code for w in warnings(note)] == ["credit_note_no_invoice_named"]
    assert lexoffice_items(note) == [("Warenverkäufe", "7", "7.13", "0.47")]
    assert remark(note).startswith("Refund, no original invoice named")
    [position] = save_voucher_body(note)["voucherPosSave"]
    assert position["comment"] == "Gutschrift ohne Rechnungsbezug: Buch"
    [booking] = bookings(note, DatevSettings(consultant_number=4711, client_number=1001))
    assert booking.text == "GS-3 ohne Rechnungsbezug Erika Mustermann"
    assert (booking.side, booking.amount) == ("H", D("7.13"))


def test_lexoffice_refuses_a_rate_whose_total_is_negative_in_german():
    """GIVEN 1.00 € at 19 %, 1.07 € at 7 % and a 2.00 € discount at 7 % WHEN mapped for
    lexoffice THEN the 7 % total (−0.93 €) cannot be booked by any split over
    categories: refused with a code whose German text names the rate and the total."""
    from django.utils import translation

    from belegsync.connectors.errors import ValidationRejected
    from belegsync.reasons.render import render_all

    goods = line("1.00", R19, "0.84")
    discount = Line("Rabatt", D(-1), D("-1.68"), D("-2.00"), R7, LineCategory.DISCOUNT)
    v = voucher([goods, line("1.07", R7, "1.00"), discount], "0.16", "0.07")
    with pytest.raises(ValidationRejected) as refused:
        lexoffice_items(v)
    assert refused.value.code == "lexoffice.negative_rate_total"
    with translation.override("de"):
        [text] = render_all(refused.value.reasons)
    assert text.startswith("Nach den Rabatten ist die Summe zu 7\xa0% negativ (-0,93\xa0€)")


def test_a_discount_larger_than_its_category_is_absorbed_in_proportion():
    """Shipping on its own category (the merchant's override): goods 10.00 €, shipping
    4.90 € and a fee 3.10 € at 19 %, a 12.00 € coupon on the goods. The rate's 6.00 €
    are split over the positive positions 4.90 : 3.10: 3.675 and 2.325, floored 3.67 and
    2.32, the left cent to the earlier of the equal remainders: 3.68 and 2.32. Tax 6.00 ×
    19/119 = 0.958… → 0.96, split 0.588 : 0.372 → 0.59 and 0.37."""
    from belegsync.targets.lexoffice.mapping import GOODS, INCOME, MappingOptions, to_lexoffice

    own_shipping = "7c112b66-0565-479c-bc18-5845e080880a"  # any other category id
    v = voucher(
        [
            line("10.00", R19, "8.40"),
            line("4.90", R19, "4.12", category=LineCategory.SHIPPING),
            line("3.10", R19, "2.61", category=LineCategory.FEE),
            Line("Gutschein", D(-1), D("-10.08"), D("-12.00"), R19, LineCategory.DISCOUNT),
        ],
        "5.05",
        "6.00",
    )
    options = MappingOptions(category_overrides={"shipping": own_shipping})
    items = to_lexoffice(v, options)["voucherItems"]
    assert [(i["categoryId"], i["amount"], i["taxAmount"]) for i in items] == [
        (own_shipping, D("3.68"), D("0.59")),
        (INCOME, D("2.32"), D("0.37")),
    ]
    assert GOODS not in {i["categoryId"] for i in items}


def test_absorbing_keeps_the_rates_total_and_drops_what_is_left_at_zero():
    from belegsync.bookkeeping.amounts import absorb_negative

    # the negative part goes, the rest keeps its share; the goods' lines move to the largest
    assert absorb_negative([D("-2.00"), D("4.90")], [2, 1], D("2.90")) == (
        [D(0), D("2.90")],
        [0, 3],
    )
    # a small position the split rounds to zero gives its lines to the largest as well
    assert absorb_negative([D("-9.98"), D("10.00"), D("0.01")], [1, 1, 1], D("0.03")) == (
        [D("0.00"), D("0.03"), D("0.00")],
        [0, 3, 0],
    )
    # nothing negative, or a negative total: as they are
    assert absorb_negative([D("1.00"), D("2.00")], [1, 1], D("3.00")) == (
        [D("1.00"), D("2.00")],
        [1, 1],
    )
    assert absorb_negative([D("-3.00"), D("1.00")], [1, 1], D("-2.00")) == (
        [D("-3.00"), D("1.00")],
        [1, 1],
    )
