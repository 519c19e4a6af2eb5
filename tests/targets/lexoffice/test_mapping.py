"""Voucher → lexoffice body: pure mapping, checked against the reference example and,
for random valid vouchers, against the fake's own reading of lexoffice's rules."""

from __future__ import annotations

import datetime as dt
import json
from decimal import Decimal

import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from belegsync.bookkeeping import (
    Line,
    LineCategory,
    Party,
    TaxTreatment,
    Voucher,
    VoucherKind,
    validate,
)
from belegsync.bookkeeping.money import ZERO, gross_from_net
from belegsync.connectors.errors import ConfigError
from belegsync.fakes.lexoffice import Profile, Strictness
from belegsync.fakes.lexoffice.rules import check_voucher
from belegsync.targets.lexoffice import mapping
from belegsync.targets.lexoffice.mapping import MappingOptions, to_json, to_lexoffice
from tests.reference import REFERENCE

EXAMPLES = REFERENCE / "lexoffice" / "examples"
D = Decimal
CONTACT = "be9475f4-ef80-442b-8ab9-3ab8b1a2aeb9"
CONTACTS = {CONTACT: {"id": CONTACT, "roles": {"customer": {}}}}


def line(net: str, gross: str, rate: int, category: LineCategory = LineCategory.GOODS) -> Line:
    return Line("item", D(1), D(net), D(gross), D(rate), category)


def voucher(lines: tuple[Line, ...], **fields: object) -> Voucher:
    values: dict[str, object] = {
        "kind": VoucherKind.INVOICE,
        "number": "RE-2025-004711",
        "invoice_date": dt.date(2025, 6, 12),
        "lines": lines,
        "total_net": sum((ln.net for ln in lines), ZERO),
        "total_gross": sum((ln.gross for ln in lines), ZERO),
        "party": Party(name="Erika Musterfrau", country="DE"),
    }
    values.update(fields)
    return Voucher(**values)  # type: ignore[arg-type]


def example_voucher() -> Voucher:
    return voucher(
        (
            line("50.40", "59.98", 19),
            line("4.12", "4.90", 19, LineCategory.SHIPPING),
            line("19.53", "20.90", 7),
        ),
        delivery_date=dt.date(2025, 6, 13),
        order_number="123456789",
    )


def test_it_maps_the_reference_example_to_the_same_positions_and_totals():
    expected = json.loads((EXAMPLES / "01-create-salesinvoice-gross.request.json").read_text())
    body = to_json(to_lexoffice(example_voucher(), MappingOptions()))
    for name in (
        "type",
        "voucherNumber",
        "voucherDate",
        "shippingDate",
        "totalGrossAmount",
        "totalTaxAmount",
        "taxType",
        "useCollectiveContact",
        "contactName",
        "voucherItems",
    ):
        assert body[name] == expected[name], name
    assert "123456789" in body["remark"]


def test_it_sends_credit_notes_as_salescreditnote_with_positive_amounts():
    note = voucher(
        (line("11.68", "12.50", 7),),
        kind=VoucherKind.CREDIT_NOTE,
        number="GS-2025-000815",
        refers_to="RE-2025-004711",
    )
    body = to_json(to_lexoffice(note, MappingOptions()))
    assert body["type"] == "salescreditnote"
    assert (body["totalGrossAmount"], body["totalTaxAmount"]) == (12.5, 0.82)
    assert body["remark"].startswith("Refund for RE-2025-004711")


def test_it_books_eu_distance_sales_at_the_destination_rate_when_the_profile_says_so():
    sale = voucher((line("100.00", "120.00", 20),), party=Party(name="Max Huber", country="AT"))
    assert sale.tax_treatment is TaxTreatment.EU_DISTANCE_SALE
    body = to_json(to_lexoffice(sale, MappingOptions(distance_sales_principle="DESTINATION")))
    assert body["voucherItems"] == [
        {
            "amount": 120,
            "taxAmount": 20,
            "taxRatePercent": 20,
            "categoryId": mapping.DISTANCE_SALE_DESTINATION,
        }
    ]
    with pytest.raises(ConfigError, match="Bestimmungslandprinzip"):
        to_lexoffice(sale, MappingOptions(distance_sales_principle="ORIGIN"))


@pytest.mark.parametrize(
    ("party", "small", "category"),
    [
        (
            Party(company="Dupont SARL", country="FR", vat_id="FR40303265045"),
            False,
            mapping.INTRA_EU_SUPPLY,
        ),
        (Party(name="Heidi Muster", country="CH"), False, mapping.EXPORT),
        (Party(name="Erika Musterfrau", country="DE"), True, mapping.SMALL_BUSINESS),
    ],
)
def test_it_maps_tax_free_treatments_to_their_categories(party, small, category):
    sale = voucher((line("100.00", "100.00", 0),), party=party, small_business=small)
    body = to_lexoffice(sale, MappingOptions(contact_id=CONTACT))
    assert {item["categoryId"] for item in body["voucherItems"]} == {category}


def test_it_applies_category_overrides_per_line_category():
    sale = voucher((line("10.00", "11.90", 19), line("4.12", "4.90", 19, LineCategory.SHIPPING)))
    other = "8f8664a0-fd86-11e1-a21f-0800200c9a66"
    body = to_lexoffice(sale, MappingOptions(category_overrides={"shipping": other}))
    assert sorted((i["categoryId"], i["amount"]) for i in body["voucherItems"]) == [
        (other, D("4.90")),
        (mapping.GOODS, D("11.90")),
    ]


@given(st.integers(min_value=-(10**12), max_value=10**12))
def test_it_keeps_every_cent_amount_exact_on_the_wire(cents):
    amount = D(cents) / 100
    assert D(json.dumps(to_json(amount))) == amount


# -- property: valid vouchers always pass lexoffice's checks (the fake's reading) ----------

SCENARIOS = {
    "domestic": (Party(name="Erika", country="DE"), False, (D(19), D(7), D(0))),
    "distance": (Party(name="Max", country="AT"), False, (D(20), D(13), D(10))),
    "distance_fr": (Party(name="Jean", country="FR"), False, (D(20), D("5.5"), D("2.1"))),
    "intra_eu": (
        Party(company="Dupont SARL", country="FR", vat_id="FR40303265045"),
        False,
        (D(0),),
    ),
    "export": (Party(name="Heidi", country="CH"), False, (D(0),)),
    "small": (Party(name="Erika", country="DE"), True, (D(0),)),
}


@st.composite
def valid_vouchers(draw: st.DrawFn) -> Voucher:
    party, small, rates = SCENARIOS[draw(st.sampled_from(sorted(SCENARIOS)))]
    lines = []
    for _ in range(draw(st.integers(1, 6))):
        rate = draw(st.sampled_from(rates))
        quantity = D(draw(st.integers(1, 5)))
        net = D(draw(st.integers(1, 500_000))) / 100
        category = draw(
            st.sampled_from([LineCategory.GOODS, LineCategory.SHIPPING, LineCategory.FEE])
        )
        lines.append(Line("x", quantity, net, gross_from_net(net, rate), rate, category))
    if draw(st.booleans()):
        first = lines[0]
        net = -(D(draw(st.integers(0, int(first.net * 50)))) / 100)
        lines.append(
            Line(
                "Rabatt",
                D(1),
                net,
                gross_from_net(net, first.tax_rate),
                first.tax_rate,
                LineCategory.DISCOUNT,
            )
        )
    kind = draw(st.sampled_from(list(VoucherKind)))
    result = voucher(
        tuple(lines),
        kind=kind,
        refers_to="RE-1" if kind is VoucherKind.CREDIT_NOTE else "",
        party=party,
        small_business=small,
        invoice_date=draw(st.dates(dt.date(2021, 1, 1), dt.date(2030, 12, 31))),
    )
    assume(not validate(result))
    return result


@settings(max_examples=300, suppress_health_check=[HealthCheck.too_slow])
@given(valid_vouchers(), st.booleans())
def test_it_maps_every_valid_voucher_to_a_body_lexoffice_accepts(v, per_customer):
    contact = CONTACT if per_customer or mapping.needs_contact(v) else None
    options = MappingOptions(distance_sales_principle="DESTINATION", contact_id=contact)
    body = json.loads(json.dumps(to_json(to_lexoffice(v, options))))
    # a small business's lexoffice account is one too (the profile's smallBusiness)
    profile = Profile("DESTINATION", small_business=v.small_business)
    issues = check_voucher(
        body, contacts=CONTACTS, profile=profile, strict=Strictness(), creating=True
    )
    assert issues == []
    assert D(str(body["totalGrossAmount"])) == v.total_gross
    assert D(str(body["totalTaxAmount"])) == sum(g.tax for g in v.tax_groups())


def test_the_double_holds_the_small_business_and_origin_categories_to_their_rules():
    """lexoffice's categories for § 19 revenue and origin-principle distance sales: the
    double refuses them where the profile or the rate does not fit (README §5.1, §5.5)."""

    def issues_for(category: str, rate: str, small_business: bool) -> set[str]:
        body = {
            "type": "salesinvoice",
            "voucherNumber": "RE-1",
            "voucherDate": "2026-11-02",
            "totalGrossAmount": 100,
            "totalTaxAmount": 0 if rate == "0" else 16.67,
            "taxType": "gross",
            "useCollectiveContact": True,
            "voucherItems": [
                {
                    "amount": 100,
                    "taxAmount": 0 if rate == "0" else 16.67,
                    "taxRatePercent": float(rate),
                    "categoryId": category,
                }
            ],
        }
        profile = Profile("ORIGIN", small_business=small_business)
        found = check_voucher(
            body, contacts=CONTACTS, profile=profile, strict=Strictness(), creating=True
        )
        return {issue["i18nKey"] for issue in found}

    assert issues_for(mapping.SMALL_BUSINESS, "0", small_business=True) == set()
    assert issues_for(mapping.SMALL_BUSINESS, "0", small_business=False) == {
        "small_business_category_mismatch"
    }
    assert issues_for(mapping.GOODS, "0", small_business=True) == {
        "small_business_category_mismatch"
    }
    assert issues_for(mapping.DISTANCE_SALE_ORIGIN, "20", small_business=False) == {
        "invalid_tax_rate"
    }
