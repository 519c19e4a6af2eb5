"""Migration exports/0003: an organisation's DATEV settings (``DatevConfig``) become the DATEV
exporter's typed settings, and the export writes the same file settings as before."""

from __future__ import annotations

import pytest

from belegsync.connectors.settings import TaxAdvisor
from belegsync.targets.datev.settings import DatevExportSettings, extf_settings
from tests.migrating import back_to_the_newest, before, migrate  # noqa: F401 (fixture)

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.usefixtures("back_to_the_newest"),
]

MIGRATION = ("exports", "0003_exporter_settings")

FULL = {
    "consultant_number": 4711,
    "client_number": 1001,
    "fiscal_year_start_month": 7,
    "account_length": 5,
    "chart": "04",
    "debtor_mode": "per_customer",
    "collective_debtor": None,
    "debtor_base": 100000,
    "oss_tax_key": "240",
    "book_payments": True,
    "bank_account": 18000,
    "revenue_accounts": {"domestic:0": 4100},
    "payment_accounts": {"paypal": "13600"},
    "lock_bookings": True,
}


def test_each_organisations_datev_settings_move_and_come_back():
    """GIVEN one organisation with every DATEV setting filled and one with the defaults
    WHEN the migration runs (and is reversed)
    THEN each has the DATEV exporter's settings with the same values, read as the writer
    reads them, and reversing gives the old rows back."""
    old = migrate([before(MIGRATION)])
    Organisation = old.get_model("documents", "Organisation")
    full_org = Organisation.objects.create(name="A", slug="a")
    plain_org = Organisation.objects.create(name="B", slug="b")
    Organisation.objects.create(name="C", slug="c")  # never saved DATEV settings
    DatevConfig = old.get_model("exports", "DatevConfig")
    DatevConfig.objects.create(organisation=full_org, **FULL)
    DatevConfig.objects.create(organisation=plain_org, consultant_number=1234, client_number=5)

    new = migrate([MIGRATION])
    rows = {
        row.organisation_id: row
        for row in new.get_model("exports", "ExporterSettings").objects.all()
    }
    assert set(rows) == {full_org.pk, plain_org.pk}
    assert {row.exporter for row in rows.values()} == {"datev"}
    full = rows[full_org.pk].settings
    assert full == {**FULL, "payment_accounts": {"paypal": 13600}}
    # what the DATEV writer reads of them today (the numbers moved on to the organisation
    # in documents/0016)
    numbers = {k: full.pop(k) for k in ("consultant_number", "client_number")}
    own = DatevExportSettings.model_validate(full)
    written = extf_settings(
        own,
        TaxAdvisor(**numbers),
        book_payments=own.book_payments,
        payment_accounts=own.payment_accounts,
    )
    assert (written.consultant_number, written.client_number) == (4711, 1001)
    assert (written.chart, written.account_length, written.debtor_base) == ("04", 5, 100000)
    assert written.revenue_account("domestic:0") == 4100 and written.lock_bookings
    assert written.oss_tax_key == "240" and written.bank_account == 18000
    plain = rows[plain_org.pk].settings
    assert (plain["consultant_number"], plain["client_number"]) == (1234, 5)
    assert plain["chart"] == "03" and plain["revenue_accounts"] == {}

    back = migrate([before(MIGRATION)])
    restored = back.get_model("exports", "DatevConfig").objects.get(organisation_id=full_org.pk)
    assert {name: getattr(restored, name) for name in FULL} == {
        **FULL,
        "payment_accounts": {"paypal": 13600},
    }
    assert back.get_model("exports", "DatevConfig").objects.count() == 2
