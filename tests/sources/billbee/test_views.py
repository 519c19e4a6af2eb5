"""The three setting steps of a Billbee connection through Django's test client."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
from django.urls import reverse

from belegsync.documents.models import Connection
from tests.doubles import BILLBEE_KEY, BILLBEE_PASSWORD, BILLBEE_USER, unthrottled_billbee

KEY, USER, PASSWORD = BILLBEE_KEY, BILLBEE_USER, BILLBEE_PASSWORD
TEMPLATES = Path(__file__).parents[3] / "belegsync/sources/billbee/templates"


@pytest.fixture(autouse=True)
def _templates(settings):
    """Until the app is in INSTALLED_APPS, find its templates by directory."""
    if "belegsync.sources.billbee" not in settings.INSTALLED_APPS:
        engines = [dict(t) for t in settings.TEMPLATES]
        engines[0]["DIRS"] = [*engines[0].get("DIRS", []), str(TEMPLATES)]
        settings.TEMPLATES = engines


@pytest.fixture
def fake(run_fake):
    return run_fake(unthrottled_billbee(bulk=0, now=dt.datetime(2026, 1, 1, tzinfo=dt.UTC)))


@pytest.fixture
def billbee(org, fake):
    return Connection.objects.create(
        organisation=org,
        name="Billbee → Books",
        source_kind="billbee",
        target_kind="memory",
        credentials={"source": {"api_key": KEY, "user": USER, "password": PASSWORD}},
        settings={},
        cursor="2026-01-01T00:00:00+00:00",
    )


def url(connection, step):
    return reverse("billbee:settings", kwargs={"pk": connection.pk, "step": step})


def general_data(fake, **extra):
    return {
        "name": "Billbee → sevDesk",
        "start_date": "2024-12-01",
        "shop_ids": ["100000000123457"],
        "state_ids": ["3", "4", "7"],
        "state_rule": "ever",
        "export_tag": "belegsync",
        **extra,
    }


def test_it_needs_a_login(client, billbee):
    response = client.get(url(billbee, "general"))
    assert response.status_code == 302
    assert "login" in response["Location"]


def test_it_hides_other_organisations_connections(client, bob, billbee):
    client.force_login(bob)
    for step in ("general", "payment", "accounts"):
        assert client.get(url(billbee, step)).status_code == 404


def test_it_shows_the_shops_from_billbee_and_explains_the_state_rule(client, alice, billbee):
    client.force_login(alice)
    page = client.get(url(billbee, "general")).content.decode()
    assert "teeladen-amazon" in page
    assert "at the time of the transfer" in page
    assert PASSWORD not in page and KEY not in page


def test_it_saves_step_one_and_resets_the_cursor(client, alice, billbee, fake):
    client.force_login(alice)
    response = client.post(url(billbee, "general"), general_data(fake))
    assert response.status_code == 302
    assert response["Location"] == url(billbee, "payment")
    billbee.refresh_from_db()
    assert billbee.name == "Billbee → sevDesk"
    assert billbee.settings["source"]["shop_ids"] == ["100000000123457"]
    assert billbee.settings["source"]["state_rule"] == "ever"
    assert billbee.settings["policy"]["start_date"] == "2024-12-01"
    assert billbee.cursor == ""
    assert billbee.credentials["source"]["password"] == PASSWORD  # kept when left empty


def test_it_refuses_a_wrong_api_key_on_save_with_a_clear_message(client, alice, billbee, fake):
    client.force_login(alice)
    response = client.post(url(billbee, "general"), general_data(fake, **{"cred-api_key": "bad"}))
    assert response.status_code == 200
    assert "Billbee refused the credentials" in response.content.decode()
    billbee.refresh_from_db()
    assert billbee.credentials["source"]["api_key"] == KEY


def test_it_refuses_a_shop_billbee_does_not_have(client, alice, billbee, fake):
    client.force_login(alice)
    response = client.post(url(billbee, "general"), general_data(fake, shop_ids=["42"]))
    assert response.status_code == 200
    billbee.refresh_from_db()
    assert billbee.settings_of("source").shop_ids == []


def test_it_saves_payment_reconciliation_as_the_engines_mark_paid(client, alice, billbee):
    client.force_login(alice)
    data = {"mark_paid": "False", "customer_per_buyer": "on", "document_date": "payment"}
    response = client.post(url(billbee, "payment"), data)
    assert response["Location"] == url(billbee, "accounts")
    billbee.refresh_from_db()
    policy = billbee.policy
    assert policy.mark_paid is False and policy.customer_per_buyer is True
    assert policy.payment_accounts.unassigned_to_default is False
    assert policy.document_date == "payment"


def test_it_maps_payment_methods_in_free_text_and_shows_unmapped_ones(client, alice, billbee):
    client.force_login(alice)
    page = client.get(url(billbee, "accounts")).content.decode()
    assert "PayPal" in page and "not mapped" in page
    response = client.post(url(billbee, "accounts"), {"method_0": "PayPal BB"})
    assert response.status_code == 302
    billbee.refresh_from_db()
    assert billbee.policy.payment_accounts.by_method == {"PayPal": "PayPal BB"}
    assert billbee.settings_of("source").payment_accounts_required is False


def test_the_pause_note_is_in_the_readers_language(client, alice, billbee):
    """GIVEN a connection paused with its reasons WHEN its Billbee page is read in German
    THEN the note is the German text of its reasons, not the English log note."""
    Connection.objects.filter(pk=billbee.pk).update(
        paused_reason="paused after 5 failed cycles: Billbee is rate limiting requests.",
        pause_details=[{"code": "remote.rate_limited", "params": {"system": "Billbee"}}],
    )
    client.force_login(alice)
    client.post("/i18n/setlang/", {"language": "de", "next": "/"})
    page = client.get(url(billbee, "general")).content.decode()
    assert "Billbee hat belegsync gebeten, seltener zu senden" in page
    assert "rate limiting" not in page
