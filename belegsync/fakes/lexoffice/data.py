"""Fixed data the fake serves: posting categories and countries.

Ids and names from the reference (README §5.1 "Well-known posting category
ids", [DOCS] Vouchers "List of CategoryIds"). ``contactRequired`` and
``splitAllowed`` for these ids are not documented (unverified, checklist 56);
the values below are this fake's reading: tax-free supplies to a business need
the buyer as a contact (its VAT id goes on the ZM report), all others may be
booked on the collective contact and mix rates.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

GOODS = "8f8664a8-fd86-11e1-a21f-0800200c9a66"
SERVICES = "8f8664a0-fd86-11e1-a21f-0800200c9a66"
INCOME = "8f8664a1-fd86-11e1-a21f-0800200c9a66"
INTRA_EU_SUPPLY = "9075a4e3-66de-4795-a016-3889feca0d20"
EXTERNAL_13B = "380a20cb-d04c-426e-b49c-84c22adfa362"
EXPORT = "93d24c20-ea84-424e-a731-5e1b78d1e6a9"
SERVICES_THIRD_COUNTRY = "ef5b1a6e-f690-4004-9a19-91276348894f"
SMALL_BUSINESS = "7a1efa0e-6283-4cbf-9583-8e88d3ba5960"
DISTANCE_SALE_ORIGIN = "7c112b66-0565-479c-bc18-5845e080880a"
E_SERVICES_ORIGIN = "d73b880f-c24a-41ea-a862-18d90e1c3d82"
DISTANCE_SALE_DESTINATION = "4ebd965a-7126-416c-9d8c-a5c9366ee473"
E_SERVICES_DESTINATION = "7ecea006-844c-4c98-a02d-aa3142640dd5"

#: Categories whose items may carry another EU member state's rate (checklist 26).
DESTINATION_CATEGORIES = frozenset({DISTANCE_SALE_DESTINATION, E_SERVICES_DESTINATION})

#: Rates a bookkeeping voucher may carry on normal categories ([BK-COOKBOOK] "Hinweis").
GERMAN_RATES = frozenset(Decimal(r) for r in ("0", "5", "7", "16", "19"))

#: EU member states' VAT rates (standard and reduced), this fake's own table.
EU_RATES: dict[str, frozenset[Decimal]] = {
    code: frozenset(Decimal(r) for r in rates.split())
    for code, rates in {
        "AT": "20 13 10",
        "BE": "21 12 6",
        "BG": "20 9",
        "CY": "19 9 5 3",
        "CZ": "21 12",
        "DK": "25",
        "EE": "24 22 13 9",
        "ES": "21 10 4",
        "FI": "25.5 24 14 10",
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
        "RO": "21 19 11 9 5",
        "SE": "25 12 6",
        "SI": "22 9.5 5",
        "SK": "23 19 5",
    }.items()
}
EU_MEMBER_RATES = frozenset().union(*EU_RATES.values()) | {Decimal(0)}


def _category(
    id: str, name: str, *, contact_required: bool = False, split_allowed: bool = True
) -> dict[str, Any]:
    return {
        "id": id,
        "name": name,
        "type": "income",
        "contactRequired": contact_required,
        "splitAllowed": split_allowed,
        "groupName": "Einnahmen",
    }


POSTING_CATEGORIES: list[dict[str, Any]] = [
    _category(GOODS, "Warenverkäufe"),
    _category(SERVICES, "Dienstleistung"),
    _category(INCOME, "Einnahmen"),
    _category(INTRA_EU_SUPPLY, "Innergemeinschaftliche Lieferung", contact_required=True),
    _category(EXTERNAL_13B, "Fremdleistungen §13b", contact_required=True),
    _category(EXPORT, "Ausfuhrlieferungen an Drittländer"),
    _category(SERVICES_THIRD_COUNTRY, "Dienstleistungen an Drittländer"),
    _category(SMALL_BUSINESS, "Einnahmen als Kleinunternehmer"),
    _category(DISTANCE_SALE_ORIGIN, "Fernverkauf"),
    _category(E_SERVICES_ORIGIN, "Elektronische Dienstleistungen"),
    _category(DISTANCE_SALE_DESTINATION, "Fernverkauf in EU-Land steuerpflichtig"),
    _category(E_SERVICES_DESTINATION, "Elektronische Dienstleistung in EU-Land steuerpflichtig"),
    {
        "id": "16d04a28-0d6d-4d56-8a77-bb4b1b8a6c2c",
        "name": "Wareneinkauf",
        "type": "outgo",
        "contactRequired": False,
        "splitAllowed": True,
        "groupName": "Waren, Rohstoffe und Hilfsstoffe",
    },
    {
        "id": "8f8664a5-fd86-11e1-a21f-0800200c9a66",
        "name": "Bürobedarf",
        "type": "outgo",
        "contactRequired": False,
        "splitAllowed": True,
        "groupName": "Verwaltungskosten",
    },
]
CATEGORIES_BY_ID = {c["id"]: c for c in POSTING_CATEGORIES}


def countries() -> list[dict[str, str]]:
    """``GET /v1/countries``: a small but representative list."""
    names = {
        "DE": ("Deutschland", "Germany", "de"),
        "AT": ("Österreich", "Austria", "intraCommunity"),
        "FR": ("Frankreich", "France", "intraCommunity"),
        "NL": ("Niederlande", "Netherlands", "intraCommunity"),
        "IT": ("Italien", "Italy", "intraCommunity"),
        "CH": ("Schweiz", "Switzerland", "thirdPartyCountry"),
        "GB": ("Vereinigtes Königreich", "United Kingdom", "thirdPartyCountry"),
        "US": ("Vereinigte Staaten", "United States", "thirdPartyCountry"),
    }
    return [
        {"countryCode": code, "countryNameDE": de, "countryNameEN": en, "taxClassification": tc}
        for code, (de, en, tc) in names.items()
    ]
