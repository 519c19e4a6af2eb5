"""A DATEV setting DATEV would refuse reads as a reason code: the field as the tax advisor
names it (Beraternummer, Mandantennummer, Sachkontenlänge, WJ-Beginn …) and what to
enter, in German (du) and English, on both DATEV settings forms and from the services."""

from __future__ import annotations

import pytest
from django.urls import reverse
from django.utils import translation

from belegsync.documents.models import Connection
from belegsync.exports.models import ExporterSettings
from belegsync.reasons import render
from belegsync.services import Actor
from belegsync.services import connections as services
from belegsync.targets.datev import rules
from belegsync.targets.datev.extf import DatevSettings
from belegsync.targets.datev.forms import DatevSettingsForm
from tests.web.shop import visible_text

pytestmark = pytest.mark.django_db

GOOD = {
    "consultant_number": "4711",
    "client_number": "1001",
    "fiscal_year_start_month": "1",
    "account_length": "4",
    "chart": "03",
    "debtor_mode": "collective",
    "revenue_accounts": "{}",
    "payment_accounts": "{}",
}


def codes(reasons) -> dict[str, str]:
    return {reason.field: reason.code for reason in reasons}


def test_the_export_settings_say_which_number_datev_would_refuse() -> None:
    with pytest.raises(rules.BadSetting) as refused:
        DatevSettings(
            consultant_number=99, client_number=100_000, fiscal_year_start_month=13,
            account_length=9,
        )  # fmt: skip
    assert codes(refused.value.reasons) == {
        "consultant_number": "datev.consultant_number",
        "client_number": "datev.client_number",
        "fiscal_year_start_month": "datev.fiscal_year_start_month",
        "account_length": "datev.account_length",
    }
    with pytest.raises(rules.BadSetting) as refused:
        DatevSettings(
            consultant_number=4711, client_number=1, account_length=5, collective_debtor=8400
        )
    [reason] = refused.value.reasons
    assert reason.code == "datev.collective_debtor"
    assert reason.params == {"low": "100000", "high": "699999"}  # one digit more than 5


def test_the_reasons_read_in_german_with_du_and_in_english() -> None:
    reason = rules.reason("consultant_number")
    with translation.override("de"):
        german = render(reason)
    with translation.override("en"):
        english = render(reason)
    assert german == (
        "Gib die Beraternummer als ganze Zahl von 1001 bis 9999999 ein. Du bekommst sie von "
        "deiner Steuerberatung."
    )
    assert english.startswith("Enter the consultant number (Beraternummer) as a whole number")


def test_the_datev_settings_page_shows_the_reason_at_the_field(client, alice) -> None:
    """GIVEN the DATEV settings page in German
    WHEN alice enters a Beraternummer of 99, WJ-Beginn 13 and a revenue account list
    that is not JSON of account numbers
    THEN each field says what to enter, in du; Django's generic refusal is not shown and
    nothing is saved."""
    client.force_login(alice)
    client.post("/i18n/setlang/", {"language": "de", "next": "/"})
    response = client.post(
        reverse("exports:format_settings", args=["datev"]),
        {
            **GOOD,
            "consultant_number": "99",
            "fiscal_year_start_month": "13",
            "revenue_accounts": '{"domestic:19": "Erlöse"}',
        },
    )
    text = visible_text(response.content.decode())
    assert "Gib die Beraternummer als ganze Zahl von 1001 bis 9999999 ein." in text
    assert "Gib den Monat, in dem dein Wirtschaftsjahr beginnt (WJ-Beginn)" in text
    assert "Gib die Erlöskonten als JSON ein" in text
    assert "Dieser Wert muss" not in text and "Sie " not in text
    assert not ExporterSettings.objects.exists()


def test_a_collective_debtor_outside_the_range_is_refused_at_its_field(client, alice) -> None:
    client.force_login(alice)
    response = client.post(
        reverse("exports:format_settings", args=["datev"]), {**GOOD, "collective_debtor": "8400"}
    )
    form = response.context["form"]
    assert form.errors["collective_debtor"] == [
        "The collective debtor must be a debtor account from 10000 to 69999 (one digit more "
        "than the account length). Enter the account your tax advisor gives you, or leave it "
        "empty for 10000."
    ]


def test_the_connection_form_refuses_in_the_same_words() -> None:
    """The DATEV target's own settings (the connection form) refuse in the same words."""
    with translation.override("de"):
        form = DatevSettingsForm({**GOOD, "account_length": "3", "oss_tax_key": "24x"})
        assert not form.is_valid()
        assert form.errors["account_length"] == [
            "Gib die Sachkontenlänge als Zahl von 4 bis 8 ein: so viele Stellen hat ein "
            "Sachkonto bei deiner Steuerberatung, meist 4. Weicht sie von deren Einstellung "
            "ab, lehnt DATEV die Datei ab."
        ]
        assert form.errors["oss_tax_key"][0].startswith("Der OSS-Steuerschlüssel ist")


def test_the_services_refuse_a_bad_setting_with_its_reason(org) -> None:
    """Every interface saves through services.connections: a value its form did not check
    (the REST API) is refused with the same reason, and nothing is saved."""
    connection = Connection.objects.create(
        organisation=org, name="Steuerbüro", source_kind="memory", target_kind="datev"
    )
    with pytest.raises(services.InvalidSettings) as invalid:
        services.update_settings(Actor.system(), connection, "target", {"account_length": 3})
    assert [(ns, r.code, r.field) for ns, r in invalid.value.reasons] == [
        ("target", "datev.account_length", "account_length")
    ]
    assert invalid.value.problems[0][0] == "target.account_length"  # the API's field
    connection.refresh_from_db()
    assert "account_length" not in connection.settings.get("target", {})
