"""Connections: set up and edit with the adapters' forms; credentials are never shown again."""

from __future__ import annotations

import pytest

from belegsync.connectors import registry
from belegsync.documents.models import Connection
from tests.web.adapters import SECRET, CheckedTarget

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _adapters(monkeypatch):
    monkeypatch.setitem(registry.SOURCES, "plain", "tests.web.adapters.PlainSource")
    monkeypatch.setitem(registry.TARGETS, "checked", "tests.web.adapters.CheckedTarget")
    CheckedTarget.checked.clear()


@pytest.fixture
def logged_in(client, alice):
    client.force_login(alice)
    return client


def new_connection(**overrides: str) -> dict[str, str]:
    data = {
        "name": "Shop → Checked",
        "source_kind": "plain",
        "target_kind": "checked",
        "enabled": "on",
        "sync_interval": "300",
        "target-cred-api_key": SECRET,
        "target-cred-login": "alice-login",
        "target-set-ledger": "shop",
        "policy-mark_paid": "True",
    }
    data.update(overrides)
    return data


def test_it_offers_only_merchant_kinds_unless_debug(logged_in, settings):
    settings.DEBUG = False
    page = logged_in.get("/connections/new/?target_kind=checked").content.decode()
    assert "Checked books" in page and "Plain shop" in page
    assert "Demo and test target (in memory)" not in page
    settings.DEBUG = True
    page = logged_in.get("/connections/new/").content.decode()
    assert "Demo and test target (in memory)" in page


def test_it_renders_the_adapters_credentials_and_settings_fields(logged_in):
    page = logged_in.get("/connections/new/?target_kind=checked").content.decode()
    assert 'name="target-cred-api_key"' in page
    assert 'name="target-set-ledger"' in page
    assert 'name="policy-mark_paid"' in page


def test_it_creates_a_connection_with_encrypted_credentials_and_checks_them(logged_in, org):
    response = logged_in.post("/connections/new/", new_connection(), follow=True)
    assert response.status_code == 200
    connection = Connection.objects.get(organisation=org, name="Shop → Checked")
    assert connection.credentials == {"target": {"api_key": SECRET, "login": "alice-login"}}
    assert connection.settings_of("target").ledger == "shop"
    assert connection.policy.mark_paid is True and not connection.policy.customer_per_buyer
    assert set(connection.settings) == {"policy", "target"}
    assert connection.sync_interval == 300
    assert CheckedTarget.checked == [{"api_key": SECRET, "login": "alice-login"}]
    assert SECRET.encode() not in response.content


def test_it_never_renders_saved_credentials(logged_in, org):
    logged_in.post("/connections/new/", new_connection())
    connection = Connection.objects.get(organisation=org)
    pages = [
        logged_in.get("/"),
        logged_in.get("/connections/"),
        logged_in.get(f"/connections/{connection.pk}/"),
        logged_in.get("/documents/?state=waiting"),
        # a failed validation re-renders the posted form: still no secret
        logged_in.post(f"/connections/{connection.pk}/", new_connection(sync_interval="10")),
    ]
    for response in pages:
        assert response.status_code == 200
        assert SECRET.encode() not in response.content
        assert b"alice-login" not in response.content
    edit = pages[2].content.decode()
    assert "Saved. Leave empty to keep it." in edit


def test_it_keeps_saved_credentials_when_left_empty(logged_in, org):
    logged_in.post("/connections/new/", new_connection())
    connection = Connection.objects.get(organisation=org)
    logged_in.post(
        f"/connections/{connection.pk}/",
        new_connection(
            name="Renamed", **{"target-cred-api_key": "", "target-cred-login": "new-login"}
        ),
    )
    connection.refresh_from_db()
    assert connection.name == "Renamed"
    assert connection.credentials["target"] == {"api_key": SECRET, "login": "new-login"}


def test_it_refuses_credentials_the_remote_rejects(logged_in, org):
    response = logged_in.post(
        "/connections/new/", new_connection(**{"target-cred-api_key": "wrong"})
    )
    assert response.status_code == 200
    # an error without a code speaks with its family's words, never its English message
    assert "Checked books refused the credentials: The bookkeeping system refused" in (
        response.content.decode()
    )
    assert not Connection.objects.filter(organisation=org).exists()


def test_it_saves_unchecked_with_a_warning_when_the_remote_is_down(logged_in, org):
    response = logged_in.post(
        "/connections/new/", new_connection(**{"target-cred-api_key": "offline"}), follow=True
    )
    assert "could not be asked right now (The remote system could not be reached." in (
        response.content.decode()
    )
    assert Connection.objects.filter(organisation=org).exists()


def test_it_clears_a_pause_when_new_credentials_are_accepted(logged_in, org):
    logged_in.post("/connections/new/", new_connection())
    connection = Connection.objects.get(organisation=org)
    Connection.objects.filter(pk=connection.pk).update(paused_reason="API key refused.")
    logged_in.post(
        f"/connections/{connection.pk}/", new_connection(**{"target-cred-api_key": "sk-new"})
    )
    connection.refresh_from_db()
    assert connection.paused_reason == ""
    assert connection.credentials["target"]["api_key"] == "sk-new"


def test_it_refuses_an_interval_below_a_minute_and_a_duplicate_name(logged_in, org, connection):
    response = logged_in.post("/connections/new/", new_connection(sync_interval="59"))
    assert response.status_code == 200
    assert response.context["form"].errors["sync_interval"]
    response = logged_in.post("/connections/new/", new_connection(name="Shop → Books"))
    assert "You already have a connection with this name." in response.content.decode()
    assert Connection.objects.filter(organisation=org).count() == 1


def test_it_reloads_the_form_for_another_kind_as_a_partial(logged_in):
    response = logged_in.get(
        "/connections/new/?target_kind=checked&name=Mine", HTTP_HX_REQUEST="true"
    )
    page = response.content.decode()
    assert "<html" not in page
    assert 'name="target-cred-api_key"' in page
    assert 'value="Mine"' in page


# -- the engine's policy for every connection (§ 19 UStG, plausible dates) ---------------


def test_every_connection_asks_for_small_business_and_future_days(logged_in):
    """Whatever the adapters follow, § 19 and the plausible-date window are asked: the
    engine applies them to every voucher (docs/bookkeeping.md)."""
    page = logged_in.get("/connections/new/?target_kind=checked").content.decode()
    assert 'name="policy-small_business"' in page
    assert 'name="policy-future_days"' in page and 'value="3"' in page  # the default


def test_it_saves_small_business_and_future_days_and_keeps_the_rest(logged_in, org):
    logged_in.post("/connections/new/", new_connection())
    connection = Connection.objects.get(organisation=org)
    logged_in.post(
        f"/connections/{connection.pk}/",
        new_connection(**{"policy-small_business": "on", "policy-future_days": "10"}),
    )
    connection.refresh_from_db()
    policy = connection.policy
    assert (policy.small_business, policy.future_days, policy.mark_paid) == (True, 10, True)
    # left empty: the days stay as they are; unticked: no longer a small business
    logged_in.post(f"/connections/{connection.pk}/", new_connection(**{"policy-future_days": ""}))
    connection.refresh_from_db()
    assert (connection.policy.small_business, connection.policy.future_days) == (False, 10)


def test_it_refuses_a_negative_number_of_days_and_saves_nothing(logged_in, org):
    logged_in.post("/connections/new/", new_connection())
    connection = Connection.objects.get(organisation=org)
    response = logged_in.post(
        f"/connections/{connection.pk}/",
        new_connection(name="Renamed", **{"policy-future_days": "-1"}),
    )
    assert response.status_code == 200 and 'name="policy-future_days"' in response.content.decode()
    connection.refresh_from_db()
    assert (connection.name, connection.policy.future_days) == ("Shop → Checked", 3)
