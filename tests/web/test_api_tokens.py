"""The page "API tokens": a token's secret is shown once, a revoked token stops working."""

from __future__ import annotations

import re

from belegsync.api.models import ApiToken
from tests.api.conftest import ApiClient


def _secret(html: str) -> str:
    found = re.search(r'<code class="secret">(bsk_[\w-]+)</code>', html)
    assert found, "the new token is shown"
    return found.group(1)


def test_it_creates_a_token_and_shows_it_once(client, alice):
    client.force_login(alice)
    created = client.post("/account/tokens/", {"name": "cron"})
    assert created.status_code == 200
    secret = _secret(created.content.decode())
    assert ApiClient(secret).get("/documents").status_code == 200
    again = client.get("/account/tokens/").content.decode()
    assert secret not in again and secret[:12] in again and "cron" in again


def test_it_revokes_a_token(client, alice):
    client.force_login(alice)
    secret = _secret(client.post("/account/tokens/", {"name": "cron"}).content.decode())
    token = ApiToken.objects.get(user=alice)
    assert client.post(f"/account/tokens/{token.pk}/revoke/").status_code == 302
    assert ApiClient(secret).get("/documents").status_code == 401


def test_nobody_sees_or_revokes_another_users_tokens(client, alice, bob):
    client.force_login(alice)
    secret = _secret(client.post("/account/tokens/", {"name": "alice-cron"}).content.decode())
    token = ApiToken.objects.get(user=alice)
    client.force_login(bob)
    assert "alice-cron" not in client.get("/account/tokens/").content.decode()
    client.post(f"/account/tokens/{token.pk}/revoke/")
    assert ApiClient(secret).get("/documents").status_code == 200


def test_a_token_needs_a_name(client, alice):
    client.force_login(alice)
    client.post("/account/tokens/", {"name": "  "})
    assert not ApiToken.objects.exists()
