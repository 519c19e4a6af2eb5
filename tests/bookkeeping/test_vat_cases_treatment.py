"""German VAT cases of tax treatment, as a tax advisor would try them (issue #13).

Each case is a shop invoice and what the law and the targets' own rules make of
it: the treatment belegsync derives, the problems it refuses the voucher with
(with the reason code the merchant reads), and where it is booked — lexoffice's
posting category, sevDesk's tax rule and revenue account, DATEV's revenue account
(SKR03, automatic accounts, no tax key) with its EU fields. A case that must not
be booked has no booking: the voucher is refused, and the DATEV export says the
same reason instead of asking for an account.

Sources of the expectations: §§ 1, 3c, 4 Nr. 1, 6, 6a, 19 UStG; lexoffice's
category list (tests/reference/lexoffice/README.md §5.1), sevDesk's tax rules and
accounts (sevdesk/README.md §3), DATEV's SKR03 (datev/README.md §5).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from decimal import Decimal

import pytest

from belegsync.bookkeeping import Line, LineCategory, Party, TaxTreatment, Voucher, validate
from belegsync.connectors.errors import ConnectorError
from belegsync.targets.datev.extf import Chart, DatevSettings, NotExpressible, bookings
from belegsync.targets.lexoffice import mapping as lexoffice
from belegsync.targets.sevdesk import mapping as sevdesk
from tests.conftest import make_voucher

D = Decimal
DATEV = DatevSettings(consultant_number=1001, client_number=1, chart=Chart.SKR03)

#: Valid VAT ids (format and check digit), public examples.
VAT_FR = "FR40303265045"
VAT_AT = "ATU13585627"
VAT_NL = "NL004495445B01"
VAT_GR = "EL094259216"


def sale(
    country: str,
    rate: str,
    *,
    vat_id: str = "",
    net: str = "100.00",
    gross: str | None = None,
    company: str = "",
    **overrides: object,
) -> Voucher:
    """One item and its shipping at one rate to a buyer in ``country``."""
    r = D(rate)
    goods_net, ship_net = D(net), D("5.00")
    goods_gross = D(gross) if gross else (goods_net * (1 + r / 100)).quantize(D("0.01"))
    ship_gross = (ship_net * (1 + r / 100)).quantize(D("0.01"))
    lines = (
        Line("Ware", D(1), goods_net, goods_gross, r),
        Line("Versand", D(1), ship_net, ship_gross, r, LineCategory.SHIPPING),
    )
    party = Party(
        name="Käufer",
        company=company or ("Firma" if vat_id else ""),
        country=country,
        vat_id=vat_id,
    )
    return make_voucher(
        f"RE-{country}-{rate}",
        lines=lines,
        total_net=goods_net + ship_net,
        total_gross=goods_gross + ship_gross,
        party=party,
        payments=(),
        **overrides,
    )


@dataclass(frozen=True)
class Booked:
    """Where the targets book the voucher: lexoffice category, sevDesk rule + account,
    DATEV contra account (with the EU VAT id / country field #40 when DATEV wants it)."""

    lexoffice: str | None
    sevdesk: tuple[int, int] | None
    datev: int | None
    datev_eu_field: str = ""


@dataclass(frozen=True)
class Case:
    name: str
    voucher: Voucher
    treatment: TaxTreatment
    #: Reason codes the voucher is refused with (nothing is booked then).
    refused: tuple[str, ...] = ()
    booked: Booked | None = None
    options: lexoffice.MappingOptions = field(default_factory=lexoffice.MappingOptions)


CASES = [
    Case(
        "domestic sale at 19 %",
        sale("DE", "19"),
        TaxTreatment.DOMESTIC,
        booked=Booked(lexoffice.GOODS, (sevdesk.RULE_DOMESTIC, 5192), 8400),
    ),
    Case(
        "domestic sale at 7 %",
        sale("DE", "7"),
        TaxTreatment.DOMESTIC,
        booked=Booked(lexoffice.GOODS, (sevdesk.RULE_DOMESTIC, 5186), 8300),
    ),
    Case(
        "intra-community supply to a French business with a valid VAT id",
        sale("FR", "0", vat_id=VAT_FR),
        TaxTreatment.INTRA_EU_SUPPLY,
        booked=Booked(lexoffice.INTRA_EU_SUPPLY, (sevdesk.RULE_INTRA_EU, 3618), 8125, VAT_FR),
        options=lexoffice.MappingOptions(contact_id="contact-1"),
    ),
    Case(
        "intra-community supply: the VAT id written with spaces and lower case",
        sale("AT", "0", vat_id="atu 1358 5627"),
        TaxTreatment.INTRA_EU_SUPPLY,
        booked=Booked(lexoffice.INTRA_EU_SUPPLY, (sevdesk.RULE_INTRA_EU, 3618), 8125, VAT_AT),
        options=lexoffice.MappingOptions(contact_id="contact-1"),
    ),
    Case(
        "intra-community supply to Greece: its VAT ids start with EL",
        sale("GR", "0", vat_id=VAT_GR),
        TaxTreatment.INTRA_EU_SUPPLY,
        booked=Booked(lexoffice.INTRA_EU_SUPPLY, (sevdesk.RULE_INTRA_EU, 3618), 8125, VAT_GR),
        options=lexoffice.MappingOptions(contact_id="contact-1"),
    ),
    Case(
        "0 % to a French business whose VAT id fails its check digit: taxable, refused",
        sale("FR", "0", vat_id="FR12345678901"),
        TaxTreatment.DOMESTIC,
        refused=("vat_id_invalid",),
    ),
    Case(
        "0 % to an Austrian business whose VAT id has no country prefix: refused as invalid",
        sale("AT", "0", vat_id="135 856 27"),
        TaxTreatment.DOMESTIC,
        refused=("vat_id_invalid",),
    ),
    Case(
        "0 % to an Austrian business whose VAT id is a placeholder: refused as invalid",
        sale("AT", "0", vat_id="n/a"),
        TaxTreatment.DOMESTIC,
        refused=("vat_id_invalid",),
    ),
    Case(
        "0 % to a buyer in the Netherlands without a VAT id: taxable, refused",
        sale("NL", "0", company="Bedrijf BV"),
        TaxTreatment.DOMESTIC,
        refused=("vat_id_missing",),
    ),
    Case(
        "0 % to France with an Austrian VAT id: not the buyer's country, refused",
        sale("FR", "0", vat_id=VAT_AT),
        TaxTreatment.DOMESTIC,
        refused=("vat_id_other_country",),
    ),
    Case(
        "0 % to a Dutch buyer with a made-up number: refused",
        sale("NL", "0", vat_id="NL123456789B01"),
        TaxTreatment.DOMESTIC,
        refused=("vat_id_invalid",),
    ),
    Case(
        "a business in the EU charged German VAT (no VAT id given) is a domestic sale",
        sale("FR", "19", company="Dupont SARL"),
        TaxTreatment.DOMESTIC,
        booked=Booked(lexoffice.GOODS, (sevdesk.RULE_DOMESTIC, 5192), 8315),
    ),
    Case(
        "private buyer in Austria charged German VAT (below the threshold, origin principle)",
        sale("AT", "19"),
        TaxTreatment.DOMESTIC,
        booked=Booked(lexoffice.DISTANCE_SALE_ORIGIN, (sevdesk.RULE_DOMESTIC, 5192), 8315),
    ),
    Case(
        "private buyer in France charged German 7 %",
        sale("FR", "7"),
        TaxTreatment.DOMESTIC,
        booked=Booked(lexoffice.DISTANCE_SALE_ORIGIN, (sevdesk.RULE_DOMESTIC, 5186), 8310),
    ),
    Case(
        "export to Switzerland: tax-free, no VAT id needed",
        sale("CH", "0"),
        TaxTreatment.EXPORT,
        booked=Booked(lexoffice.EXPORT, (sevdesk.RULE_EXPORT, 3617), 8120),
    ),
    Case(
        "export to the United States",
        sale("US", "0", company="ACME Inc."),
        TaxTreatment.EXPORT,
        booked=Booked(lexoffice.EXPORT, (sevdesk.RULE_EXPORT, 3617), 8120),
    ),
    Case(
        "small business (§ 19 UStG): no VAT, whoever buys",
        sale("AT", "0", small_business=True),
        TaxTreatment.SMALL_BUSINESS,
        booked=Booked(lexoffice.SMALL_BUSINESS, (sevdesk.RULE_SMALL_BUSINESS, 3510), 8195),
    ),
    Case(
        "small business selling to a French business: § 19 wins, no VAT id needed",
        sale("FR", "0", vat_id="FR12345678901", small_business=True),
        TaxTreatment.SMALL_BUSINESS,
        booked=Booked(lexoffice.SMALL_BUSINESS, (sevdesk.RULE_SMALL_BUSINESS, 3510), 8195),
    ),
]


@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
def test_the_treatment_and_its_evidence(case: Case) -> None:
    assert case.voucher.tax_treatment is case.treatment
    assert tuple(p.code for p in validate(case.voucher)) == case.refused


@pytest.mark.parametrize("case", [c for c in CASES if c.booked], ids=lambda c: c.name)
def test_where_each_target_books_it(case: Case) -> None:
    assert case.booked is not None
    body = lexoffice.to_lexoffice(case.voucher, case.options)
    assert {item["categoryId"] for item in body["voucherItems"]} == {case.booked.lexoffice}
    saved = sevdesk.save_voucher_body(case.voucher)
    rule = int(saved["voucher"]["taxRule"]["id"])
    accounts = {pos["accountDatev"]["id"] for pos in saved["voucherPosSave"]}
    assert (rule, *accounts) == case.booked.sevdesk
    rows = bookings(case.voucher, DATEV)
    assert {row.contra_account for row in rows} == {case.booked.datev}
    assert {row.eu_vat_id for row in rows} == {case.booked.datev_eu_field}
    assert sum(row.amount for row in rows) == case.voucher.total_gross


@pytest.mark.parametrize("case", [c for c in CASES if c.refused], ids=lambda c: c.name)
def test_a_refused_case_is_refused_by_datev_with_the_same_reason(case: Case) -> None:
    """Not "set a 0 % account in the DATEV settings": the sale is taxable."""
    with pytest.raises(NotExpressible) as refused:
        bookings(case.voucher, DATEV)
    text = str(refused.value)
    assert "taxable" in text and "VAT id" in text
    assert "DATEV settings" not in text


def test_refused_cases_are_never_booked_tax_free_by_a_target() -> None:
    """Even asked directly (bypassing validation), no mapping books them as tax-free."""
    for case in (c for c in CASES if c.refused):
        body = lexoffice.to_lexoffice(case.voucher, case.options)
        categories = {item["categoryId"] for item in body["voucherItems"]}
        assert lexoffice.INTRA_EU_SUPPLY not in categories, case.name
        try:
            saved = sevdesk.save_voucher_body(case.voucher)
        except ConnectorError:
            continue
        assert int(saved["voucher"]["taxRule"]["id"]) != sevdesk.RULE_INTRA_EU, case.name


# --- rates valid on the day of the supply (§ 27 Abs. 1 UStG; the member states' laws) ---

day = dt.date.fromisoformat

#: (buyer country, rate, invoice date, delivery date or None, OSS, treatment or the
#: rates valid that day when refused)
RATE_CASES = [
    ("DE", "19", "2026-11-02", None, False, TaxTreatment.DOMESTIC),
    ("DE", "16", "2026-11-02", None, False, ("19", "7", "0")),
    ("DE", "16", "2020-09-01", None, False, TaxTreatment.DOMESTIC),
    ("DE", "5", "2020-12-31", None, False, TaxTreatment.DOMESTIC),
    ("DE", "19", "2020-09-01", None, False, ("16", "5", "0")),
    ("DE", "16", "2021-01-01", None, False, ("19", "7", "0")),
    # the day of the supply decides, not the day of the invoice
    ("DE", "19", "2020-07-03", "2020-06-29", False, TaxTreatment.DOMESTIC),
    ("DE", "16", "2021-01-05", "2020-12-30", False, TaxTreatment.DOMESTIC),
    # Finland: 25.5 % from 2024-09-01, 14 % lowered to 13.5 % on 2026-01-01
    ("FI", "24", "2024-08-31", None, False, TaxTreatment.EU_DISTANCE_SALE),
    ("FI", "24", "2024-09-01", None, False, ("25.5", "19", "14", "10", "7", "0")),
    ("FI", "25.5", "2024-09-01", None, False, TaxTreatment.EU_DISTANCE_SALE),
    ("FI", "14", "2026-01-05", None, False, ("25.5", "19", "13.5", "10", "7", "0")),
    ("FI", "13.5", "2026-01-05", None, False, TaxTreatment.EU_DISTANCE_SALE),
    # Estonia: 22 % from 2024, 24 % from 2025-07-01, 13 % from 2025
    ("EE", "22", "2025-06-30", None, False, TaxTreatment.EU_DISTANCE_SALE),
    ("EE", "22", "2025-07-01", None, False, ("24", "19", "13", "9", "7", "0")),
    ("EE", "24", "2025-07-01", None, False, TaxTreatment.EU_DISTANCE_SALE),
    ("EE", "24", "2025-06-30", None, False, ("22", "19", "13", "9", "7", "0")),
    ("EE", "20", "2024-01-02", None, False, ("22", "19", "9", "7", "5", "0")),
    # Slovakia: 23 % and 19 % from 2025 (were 20 % and 10 %)
    ("SK", "20", "2024-12-31", None, False, TaxTreatment.EU_DISTANCE_SALE),
    ("SK", "20", "2025-01-01", None, False, ("23", "19", "7", "5", "0")),
    ("SK", "23", "2025-01-01", None, False, TaxTreatment.EU_DISTANCE_SALE),
    ("SK", "19", "2025-03-01", None, True, TaxTreatment.EU_DISTANCE_SALE),
    # Romania: 21 % and one reduced 11 % from 2025-08-01 (were 19 %, 9 %, 5 %)
    ("RO", "9", "2025-07-31", None, False, TaxTreatment.EU_DISTANCE_SALE),
    ("RO", "9", "2025-08-01", None, False, ("21", "19", "11", "7", "0")),
    ("RO", "11", "2025-08-01", None, False, TaxTreatment.EU_DISTANCE_SALE),
    ("RO", "21", "2025-08-01", None, False, TaxTreatment.EU_DISTANCE_SALE),
    # Lithuania: 9 % replaced by 12 % on 2026-01-01; Czechia: 12 % from 2024
    ("LT", "9", "2026-01-02", None, False, ("21", "19", "12", "7", "5", "0")),
    ("LT", "12", "2026-01-02", None, False, TaxTreatment.EU_DISTANCE_SALE),
    ("CZ", "15", "2024-02-01", None, False, ("21", "19", "12", "7", "0")),
    ("CZ", "15", "2023-12-01", None, False, TaxTreatment.EU_DISTANCE_SALE),
    # a rate no country here ever had is not a rate of another day
    ("AT", "21", "2026-11-02", None, False, None),
]


@pytest.mark.parametrize(
    ("country", "rate", "invoiced", "delivered", "oss", "expected"),
    RATE_CASES,
    ids=[f"{c[0]} {c[1]} % on {c[3] or c[2]}" for c in RATE_CASES],
)
def test_a_rate_is_valid_on_the_day_of_the_supply(
    country: str,
    rate: str,
    invoiced: str,
    delivered: str | None,
    oss: bool,
    expected: TaxTreatment | tuple[str, ...] | None,
) -> None:
    voucher = sale(
        country,
        rate,
        invoice_date=day(invoiced),
        delivery_date=day(delivered) if delivered else None,
        oss_registered=oss,
    )
    problems = validate(voucher)
    if isinstance(expected, TaxTreatment):
        assert problems == [] and voucher.tax_treatment is expected
        return
    codes = {p.code for p in problems}
    if expected is None:
        assert codes == {"rate_not_allowed"}
        return
    assert codes == {"rate_not_valid_on_date"}
    (named,) = {tuple(str(r) for r in p.params["rates"]) for p in problems}
    assert named == expected
    assert {p.params["date"] for p in problems} == {day(delivered or invoiced)}


# --- foreign currency: never a foreign amount read as euros ---------------------------


@pytest.mark.parametrize("currency", ["CHF", "USD", "GBP"])
def test_a_foreign_currency_invoice_is_refused_by_every_target_not_booked_as_euros(
    currency: str,
) -> None:
    voucher = sale("CH", "0", currency=currency)
    assert validate(voucher) == []  # a valid invoice; the targets book euros only
    with pytest.raises(ConnectorError) as lexoffice_refused:
        lexoffice.to_lexoffice(voucher, lexoffice.MappingOptions())
    with pytest.raises(ConnectorError) as sevdesk_refused:
        sevdesk.save_voucher_body(voucher)
    for refused in (lexoffice_refused.value, sevdesk_refused.value):
        assert refused.code == "currency_not_eur"
        assert refused.params["currency"] == currency
    with pytest.raises(NotExpressible, match=currency):
        bookings(voucher, DATEV)
