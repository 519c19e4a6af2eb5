"""Tax treatment of a sale, derived once from the voucher; every target maps it.

The rates are those in force for goods sold by a German seller. EU rates are the
standard and reduced rates a distance sale (OSS, §3c UStG) may be taxed at in the
buyer's country; they change rarely and are kept here as data, reviewed with
each release (source: European Commission, "VAT rates applied in the Member
States", the table's state in 2026).
"""

from __future__ import annotations

from decimal import Decimal
from enum import StrEnum

from .evidence import VAT_ID_PREFIX_ALIASES, VatIdVerdict, judge_vat_id

SELLER_COUNTRY = "DE"

#: Rates a German voucher may carry. 5 and 16 are the 2020 Corona-relief rates,
#: still valid on vouchers dated in the second half of 2020.
GERMAN_RATES = frozenset(Decimal(r) for r in ("19", "7", "0", "16", "5"))

#: EU member states (without Germany): their VAT rates in percent (standard first).
EU_RATES: dict[str, tuple[Decimal, ...]] = {
    country: tuple(Decimal(r) for r in rates.split())
    for country, rates in {
        "AT": "20 13 10",
        "BE": "21 12 6",
        "BG": "20 9",
        "CY": "19 9 5 3",
        "CZ": "21 12",
        "DK": "25",
        "EE": "24 13 9",
        "ES": "21 10 4",
        "FI": "25.5 14 10",
        "FR": "20 10 5.5 2.1",
        "GR": "24 13 6",
        "HR": "25 13 5",
        "HU": "27 18 5",
        "IE": "23 13.5 9 4.8",
        "IT": "22 10 5 4",
        "LT": "21 12 5",
        "LU": "17 14 8 3",
        "LV": "21 12 5",
        "MT": "18 7 5",
        "NL": "21 9",
        "PL": "23 8 5",
        "PT": "23 13 6",
        "RO": "21 11",
        "SE": "25 12 6",
        "SI": "22 9.5 5",
        "SK": "23 19 5",
    }.items()
}

__all__ = ["VAT_ID_PREFIX_ALIASES", "TaxTreatment", "allowed_rates", "derive_treatment"]


class TaxTreatment(StrEnum):
    """How a sale is taxed; decides revenue accounts and tax codes in targets."""

    DOMESTIC = "domestic"  # German VAT, buyer in Germany (or EU private buyer below threshold)
    EU_DISTANCE_SALE = "eu_distance_sale"  # OSS: buyer country's VAT, private EU buyer
    INTRA_EU_SUPPLY = "intra_eu_supply"  # tax-free intra-community supply, B2B with VAT id
    EXPORT = "export"  # tax-free export to a third country
    SMALL_BUSINESS = "small_business"  # Kleinunternehmer (§19 UStG): no VAT at all


def is_eu(country: str) -> bool:
    return country == SELLER_COUNTRY or country in EU_RATES


def allowed_rates(treatment: TaxTreatment, buyer_country: str) -> frozenset[Decimal]:
    """The tax rates a voucher of this treatment may carry."""
    if treatment is TaxTreatment.DOMESTIC:
        return GERMAN_RATES
    if treatment is TaxTreatment.EU_DISTANCE_SALE:
        return frozenset(EU_RATES.get(buyer_country, ())) | {Decimal(0)}
    return frozenset({Decimal(0)})


def derive_treatment(
    *,
    buyer_country: str,
    buyer_vat_id: str,
    rates: frozenset[Decimal],
    small_business: bool = False,
    oss_registered: bool = False,
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
    """
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
    buyer_rates = set(EU_RATES.get(country, ()))
    if taxed and taxed <= buyer_rates and (oss_registered or not taxed <= GERMAN_RATES):
        return TaxTreatment.EU_DISTANCE_SALE
    return TaxTreatment.DOMESTIC
