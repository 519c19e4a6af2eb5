"""Afterbuy's country codes, read the same way from the API and the CSV."""

from __future__ import annotations

import pytest
from defusedxml.ElementTree import fromstring

from belegsync.sources.afterbuy.api_mapping import country
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
