"""The connection page for an Afterbuy API source: its fields, checked on save, never echoed."""

from __future__ import annotations

import datetime as dt

import pytest

from belegsync.documents.models import Connection
from belegsync.fakes.afterbuy import build

pytestmark = pytest.mark.django_db
PARTNER, ACCOUNT, RIGHT = "partner-token-1", "account-token-1", "richtig"


@pytest.fixture
def logged_in(client, alice):
    client.force_login(alice)
    return client


@pytest.fixture
def fake(run_fake):
    args = ["--partner-token", PARTNER, "--account-token", ACCOUNT, "--orders", "3"]
    return run_fake(build([*args, "--user", "teeladen", "--password", RIGHT]))


def form(fake, password: str = RIGHT) -> dict[str, str | list[str]]:
    return {
        "name": "Afterbuy → Books",
        "source_kind": "afterbuy_api",
        "target_kind": "memory",
        "enabled": "on",
        "sync_interval": "300",
        "source-cred-partner_token": PARTNER,
        "source-cred-account_token": ACCOUNT,
        "source-cred-web_user": "teeladen",
        "source-cred-web_password": password,
        "policy-start_date": "2024-01-01",
        "source-set-afterbuy_documents": ["invoice", "credit_note"],
    }


def test_it_renders_the_api_and_login_fields(logged_in, settings):
    settings.DEBUG = True  # the memory target is offered in DEBUG only
    page = logged_in.get("/connections/new/?source_kind=afterbuy_api").content.decode()
    for name in ("partner_token", "account_token", "user_id", "web_user", "web_password"):
        assert f'name="source-cred-{name}"' in page
    assert 'name="source-set-afterbuy_documents"' in page
    assert 'name="policy-start_date"' in page


def test_it_saves_checked_credentials_encrypted_and_settings(logged_in, settings, fake):
    settings.DEBUG = True
    logged_in.post("/connections/new/", form(fake))
    connection = Connection.objects.get(name="Afterbuy → Books")
    assert connection.credentials["source"]["account_token"] == ACCOUNT
    assert connection.settings["source"]["afterbuy_documents"] == ["invoice", "credit_note"]
    assert connection.policy.start_date == dt.date(2024, 1, 1)
    assert fake.app.logins == 1
    response = logged_in.get(f"/connections/{connection.pk}/")
    page = response.content.decode()
    assert response.status_code == 200 and 'name="source-cred-account_token"' in page
    assert ACCOUNT not in page and RIGHT not in page


def test_it_refuses_a_wrong_login_on_save(logged_in, settings, fake):
    settings.DEBUG = True
    response = logged_in.post("/connections/new/", form(fake, password="falsch"))
    assert not Connection.objects.filter(name="Afterbuy → Books").exists()
    assert "user name and password" in response.content.decode()
