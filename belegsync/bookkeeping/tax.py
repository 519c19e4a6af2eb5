"""Tax treatment of a sale, derived once from the voucher; every target maps it.

The rates are those in force, on the day of the supply, for goods sold by a
German seller: Germany's own, and for a distance sale (OSS, § 3c UStG) the
buyer country's. They live with their validity periods in :mod:`.rates`.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from enum import StrEnum
from functools import lru_cache

from .evidence import VAT_ID_PREFIX_ALIASES, VatIdVerdict, judge_vat_id
from .rates import countries, ever_rates, rates_on

SELLER_COUNTRY = "DE"
ZERO_RATE = frozenset({Decimal(0)})

#: Every rate a German voucher may carry on some day (16 and 5 only in 2020's
#: second half); :func:`allowed_rates` says which on a given day.
GERMAN_RATES = ever_rates(SELLER_COUNTRY) | ZERO_RATE

#: EU member states (without Germany): every rate of theirs the table knows.
EU_RATES: dict[str, tuple[Decimal, ...]] = {
    country: tuple(sorted(ever_rates(country), reverse=True))
    for country in sorted(countries() - {SELLER_COUNTRY})
}

__all__ = [
    "VAT_ID_PREFIX_ALIASES",
    "TaxTreatment",
    "allowed_rates",
    "country_rates",
    "derive_treatment",
    "treatment_of",
]


class TaxTreatment(StrEnum):
    """How a sale is taxed; decides revenue accounts and tax codes in targets."""

    DOMESTIC = "domestic"  # German VAT, buyer in Germany (or EU private buyer below threshold)
    EU_DISTANCE_SALE = "eu_distance_sale"  # OSS: buyer country's VAT, private EU buyer
    INTRA_EU_SUPPLY = "intra_eu_supply"  # tax-free intra-community supply, B2B with VAT id
    EXPORT = "export"  # tax-free export to a third country
    SMALL_BUSINESS = "small_business"  # Kleinunternehmer (§19 UStG): no VAT at all


def is_eu(country: str) -> bool:
    return country == SELLER_COUNTRY or country in EU_RATES


def country_rates(country: str, on: dt.date | None = None) -> frozenset[Decimal]:
    """``country``'s rates on the day ``on`` (every one it ever had when ``on`` is None)."""
    return rates_on(country, on) if on is not None else ever_rates(country)


@lru_cache(maxsize=4096)  # asked for every voucher validated; a pure function
def allowed_rates(
    treatment: TaxTreatment, buyer_country: str, on: dt.date | None = None
) -> frozenset[Decimal]:
    """The tax rates a voucher of this treatment may carry on the day of the supply
    ``on`` (on any day when None)."""
    if treatment is TaxTreatment.DOMESTIC:
        return country_rates(SELLER_COUNTRY, on) | ZERO_RATE
    if treatment is TaxTreatment.EU_DISTANCE_SALE:
        return country_rates(buyer_country.upper(), on) | ZERO_RATE
    return ZERO_RATE


def derive_treatment(
    *,
    buyer_country: str,
    buyer_vat_id: str,
    rates: frozenset[Decimal],
    small_business: bool = False,
    oss_registered: bool = False,
    on: dt.date | None = None,
) -> TaxTreatment:
    """Derive the treatment from buyer country, VAT id and the rates on the lines.

    - a small business seller charges no VAT, whatever the buyer;
    - a buyer outside the EU: export;
    - an EU business buyer abroad with a valid VAT id of its country (format and
      check digit, :mod:`.evidence`), no tax charged: intra-community supply; with
      no such id the sale is not tax-free (validation refuses the 0 %);
    - an EU private buyer abroad charged that country's rates: distance sale
      taxed there (OSS). Without the seller's OSS registration this is decided
      by the rates alone: a rate Germany does not have (20 % for Austria) can
      only be the buyer country's; an ambiguous one (19 % for Cyprus) is German;
    - everything else: domestic (German VAT, also below the EU delivery threshold).

    Rates are those valid on ``on``, the day of the supply (every rate a country
    ever had when None).
    """
    return treatment_of(buyer_country, buyer_vat_id, rates, small_business, oss_registered, on)


# Asked for every voucher checked (Voucher.tax_treatment calls it so); a pure function.
# Cached by position: lru_cache makes the key of a keyword call from every name and
# value, at twice the cost of its look-up.
@lru_cache(maxsize=4096)
def treatment_of(
    buyer_country: str,
    buyer_vat_id: str,
    rates: frozenset[Decimal],
    small_business: bool,
    oss_registered: bool,
    on: dt.date | None,
) -> TaxTreatment:
    country = buyer_country.upper() or SELLER_COUNTRY
    if small_business:
        return TaxTreatment.SMALL_BUSINESS
    if not is_eu(country):
        return TaxTreatment.EXPORT
    if country == SELLER_COUNTRY:
        return TaxTreatment.DOMESTIC
    taxed = {r for r in rates if r != 0}
    if not taxed and judge_vat_id(buyer_vat_id, country) is VatIdVerdict.VALID:
        return TaxTreatment.INTRA_EU_SUPPLY
    buyer_rates = country_rates(country, on)
    german = country_rates(SELLER_COUNTRY, on)
    if taxed and taxed <= buyer_rates and (oss_registered or not taxed <= german):
        return TaxTreatment.EU_DISTANCE_SALE
    return TaxTreatment.DOMESTIC
