"""Afterbuy's country codes, read the same way from the API and the CSV, and the
currency an order's amounts are in."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

import pytest
from defusedxml.ElementTree import fromstring

from belegsync.bookkeeping import validate
from belegsync.bookkeeping.voucher import Original
from belegsync.sources.afterbuy.api import parse_xml
from belegsync.sources.afterbuy.api_mapping import country, map_order
from belegsync.sources.afterbuy.columns import iso_country


def address(xml: str):
    return fromstring(f"<BillingAddress>{xml}</BillingAddress>")


@pytest.mark.parametrize(
    ("xml", "expected"),
    [
        ("<Country>D</Country>", "DE"),
        ("<Country>Österreich</Country>", "AT"),
        ("<CountryISO>ch</CountryISO><Country>Schweiz</Country>", "CH"),
        ("<Country>USA</Country>", "US"),
    ],
)
def test_it_reads_afterbuys_country_codes(xml, expected):
    assert country(address(xml)) == expected
    assert iso_country(address(xml).findtext("Country") or "") == expected


def test_an_unknown_country_is_kept_so_the_voucher_fails_instead_of_being_german():
    assert country(address("<Country>Atlantis</Country>")) == "Atlantis"
    assert iso_country("Atlantis") is None


# -- the order's currency (README §5.3: OrderOriginalCurrency, **unverified**) ------------


RESPONSE = Path(__file__).parents[2] / "reference/afterbuy/examples/GetSoldItems_response.xml"


def first_order(original: str = ""):
    """The reference's first order (91.50 €), with an OrderOriginalCurrency block."""
    xml = RESPONSE.read_bytes()
    if original:
        xml = xml.replace(
            b"</Order>",
            f"<OrderOriginalCurrency>{original}</OrderOriginalCurrency></Order>".encode(),
            1,
        )
    return map_order(next(parse_xml(xml).iterfind("Result/Orders/Order"))).voucher


def block(amount: str, rate: str, code: str = "CHF") -> str:
    return (
        f"<InvoiceAmount>{amount}</InvoiceAmount><InvoiceAmountCode>{code}</InvoiceAmountCode>"
        f"<ExchangeRate>{rate}</ExchangeRate>"
    )


def test_euro_amounts_beside_an_original_are_booked_as_euros_naming_it():
    # 91.50 € × 0.9412 = 86.12 CHF: the rate is CHF per euro
    voucher = first_order(block("86,12", "0,9412"))
    assert (voucher.currency, voucher.total_gross) == ("EUR", Decimal("91.50"))
    assert voucher.original == Original("CHF", Decimal("0.9412"), Decimal("86.12"))
    assert validate(voucher) == []


def test_a_rate_the_other_way_round_is_read_as_well():
    # 91.50 € ÷ 1.0625 = 86.12 CHF: the rate is euros per franc; 1 / 1.0625 = 0.941176 per euro
    voucher = first_order(block("86,12", "1,0625"))
    assert voucher.original is not None and voucher.original.per_euro == Decimal("0.941176")


def test_a_rate_that_fits_neither_way_names_no_original():
    voucher = first_order(block("50,00", "0,9412"))
    assert (voucher.currency, voucher.original) == ("EUR", None)


def test_foreign_amounts_that_equal_the_total_are_never_read_as_euros():
    """The same amount in both places: the order's amounts are francs (or the reference
    means otherwise): the voucher stays in CHF without a rate, so every euro target
    refuses it instead of booking francs as euros."""
    voucher = first_order(block("91,50", "0,9412"))
    assert (voucher.currency, voucher.exchange_rate) == ("CHF", None)
    assert first_order(block("91,50", "1", code="EUR")).currency == "EUR"
    assert first_order().currency == "EUR"
