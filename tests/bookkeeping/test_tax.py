from __future__ import annotations

from decimal import Decimal

import pytest

from belegsync.bookkeeping import TaxTreatment, derive_treatment

D = Decimal


@pytest.mark.parametrize(
    ("country", "vat_id", "rates", "oss", "expected"),
    [
        ("DE", "", {D(19)}, False, TaxTreatment.DOMESTIC),
        ("DE", "DE123456789", {D(19)}, False, TaxTreatment.DOMESTIC),
        ("AT", "", {D(20)}, False, TaxTreatment.EU_DISTANCE_SALE),
        ("AT", "", {D(19)}, False, TaxTreatment.DOMESTIC),  # below threshold: German VAT
        ("CY", "", {D(19)}, False, TaxTreatment.DOMESTIC),  # ambiguous without OSS
        ("CY", "", {D(19)}, True, TaxTreatment.EU_DISTANCE_SALE),
        ("FR", "FR40303265045", {D(0)}, False, TaxTreatment.INTRA_EU_SUPPLY),
        ("CH", "", {D(0)}, False, TaxTreatment.EXPORT),
        ("US", "", {D(0)}, False, TaxTreatment.EXPORT),
        ("gr", "", {D(24)}, False, TaxTreatment.EU_DISTANCE_SALE),
    ],
)
def test_it_derives_the_treatment(country, vat_id, rates, oss, expected):
    treatment = derive_treatment(
        buyer_country=country, buyer_vat_id=vat_id, rates=frozenset(rates), oss_registered=oss
    )
    assert treatment is expected


def test_a_small_business_charges_no_vat_whoever_buys():
    treatment = derive_treatment(
        buyer_country="AT", buyer_vat_id="", rates=frozenset({D(0)}), small_business=True
    )
    assert treatment is TaxTreatment.SMALL_BUSINESS
