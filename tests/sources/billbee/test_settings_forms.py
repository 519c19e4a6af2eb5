"""Billbee → sevDesk: every form writes only its own part of the settings."""

from __future__ import annotations

import datetime as dt

import pytest
from django.urls import reverse

from belegsync.documents.models import Connection
from belegsync.fakes.sevdesk import SevdeskFake
from belegsync.services import Actor
from belegsync.services import connections as services
from tests.doubles import BILLBEE_CREDENTIALS, unthrottled_billbee

pytestmark = pytest.mark.django_db

TOKEN = "0123456789abcdef0123456789abcdef"
MAPPING = {"PayPal": "PayPal BB", "Kreditkarte": "Stripe"}


@pytest.fixture
def connection(org, run_fake):
    """A Billbee → sevDesk connection set up in Billbee's three steps."""
    run_fake(unthrottled_billbee(bulk=0, now=dt.datetime(2026, 1, 1, tzinfo=dt.UTC)))
    run_fake(SevdeskFake(api_token=TOKEN))
    return Connection.objects.create(
        organisation=org,
        name="Billbee → sevDesk",
        source_kind="billbee",
        target_kind="sevdesk",
        credentials={
            "source": BILLBEE_CREDENTIALS,
            "target": {"api_token": TOKEN},
        },
        settings={
            "policy": {
                "start_date": "2025-01-01",
                "mark_paid": True,
                "customer_per_buyer": True,
                "document_date": "payment",
                "payment_accounts": {"by_method": MAPPING},
            },
            "source": {
                "shop_ids": ["100000000123457"],
                "payment_accounts_required": True,
            },
        },
        steps_done=["billbee:general", "billbee:payment"],
    )


@pytest.fixture
def logged_in(client, alice):
    client.force_login(alice)
    return client


def generic_form(connection, **changes):
    return {
        "name": connection.name,
        "source_kind": "billbee",
        "target_kind": "sevdesk",
        "enabled": "on",
        "sync_interval": "3600",
        "source-set-state_ids": ["3", "4", "7"],
        "source-set-state_rule": "current",
        "source-set-export_tag": "belegsync",
        "policy-start_date": "2025-01-01",
        "policy-mark_paid": "True",
        "policy-customer_per_buyer": "on",
        "policy-document_date": "order",
        **changes,
    }


def step(connection, name):
    return reverse("billbee:settings", kwargs={"pk": connection.pk, "step": name})


def test_the_step_three_mapping_survives_saving_any_form(logged_in, connection):
    """GIVEN a Billbee → sevDesk connection whose payment methods are mapped (step 3)
    WHEN the merchant saves the generic connection form, step 1 and step 2
    THEN the mapping, the shops and 'every method needs an account' are still there."""
    response = logged_in.post(f"/connections/{connection.pk}/", generic_form(connection))
    assert response.status_code == 302, response.content.decode()[:3000]
    connection.refresh_from_db()
    assert connection.policy.document_date == "order"
    assert connection.policy.payment_accounts.by_method == MAPPING
    assert connection.settings_of("source").shop_ids == ["100000000123457"]

    general = {
        "name": connection.name,
        "start_date": "2025-02-01",
        "shop_ids": ["100000000123457"],
        "state_ids": ["3"],
        "state_rule": "ever",
        "export_tag": "belegsync",
    }
    assert logged_in.post(step(connection, "general"), general).status_code == 302
    payment = {"mark_paid": "True", "unassigned_to_default": "on", "document_date": "invoice"}
    assert logged_in.post(step(connection, "payment"), payment).status_code == 302

    connection.refresh_from_db()
    policy, source = connection.policy, connection.settings_of("source")
    assert policy.payment_accounts.by_method == MAPPING
    assert policy.payment_accounts.unassigned_to_default
    assert policy.start_date == dt.date(2025, 2, 1) and not policy.customer_per_buyer
    assert source.payment_accounts_required and source.state_rule == "ever"


def test_the_generic_form_asks_each_shared_choice_once(logged_in, connection):
    page = logged_in.get(f"/connections/{connection.pk}/").content.decode()
    for label in (
        "Create a customer in the bookkeeping for every buyer",
        "Voucher date",
        "Payment reconciliation",
        "Book unassigned payments as standard payment",
        "Start date",
    ):
        assert page.count(f"{label}<") == 1, label
    assert page.count('name="policy-mark_paid"') == 2  # one radio per choice
    assert 'name="target-set-' not in page  # sevDesk has nothing of its own to ask here


def test_a_form_cannot_write_the_other_sides_keys(connection):
    """The target's settings are sevDesk's model: a Billbee key there is refused, not stored."""
    actor = Actor.system()
    with pytest.raises(services.InvalidSettings) as refused:
        services.update_settings(actor, connection, "target", {"shop_ids": ["1"]})
    assert refused.value.problems[0][0] == "target.shop_ids"
    with pytest.raises(services.InvalidSettings):
        services.update_settings(actor, connection, "policy", {"state_rule": "ever"})
    connection.refresh_from_db()
    assert "target" not in connection.settings
    connection.cursor = "2026-01-01T00:00:00+00:00"
    connection.save()
    accounts = {"sevdesk_accounts": {"revenue_19": 8400}}
    assert services.update_settings(actor, connection, "target", accounts) is True
    assert services.update_settings(actor, connection, "target", accounts) is False
    connection.refresh_from_db()
    # the target's accounts change nothing the source reads: the cursor stays
    assert connection.cursor and connection.settings_of("source").shop_ids
    assert services.update_settings(actor, connection, "source", {"state_rule": "ever"})
    connection.refresh_from_db()
    assert connection.cursor == ""  # the source reads again under its new settings
