"""Tokens: shown once, kept hashed, bound to an organisation, revocable."""

from __future__ import annotations

import contextlib
import hashlib

from belegsync.api import tokens
from belegsync.api.models import ApiToken
from belegsync.documents.models import Membership
from belegsync.services import Actor

from .conftest import ApiClient


def test_it_keeps_only_the_hash_of_the_secret(alice):
    token, secret = tokens.issue(Actor.of(alice), "cron")
    row = ApiToken.objects.get(pk=token.pk)
    assert secret.startswith("bsk_") and len(secret) > 40
    assert row.digest == hashlib.sha256(secret.encode()).hexdigest()
    stored = [str(v) for v in ApiToken.objects.filter(pk=token.pk).values().get().values()]
    assert secret not in stored
    assert row.prefix == secret[:12] and row.organisation_id == alice.membership.organisation_id


def test_it_authenticates_the_secret_and_records_its_use(as_alice, alice):
    assert as_alice.get("/documents").status_code == 200
    assert ApiToken.objects.get(user=alice).last_used_at is not None


def test_a_revoked_token_is_refused(alice):
    token, secret = tokens.issue(Actor.of(alice), "old")
    assert ApiClient(secret).get("/documents").status_code == 200
    tokens.revoke(Actor.of(alice), token.pk)
    answer = ApiClient(secret).get("/documents")
    assert answer.status_code == 401
    assert answer["Content-Type"] == "application/problem+json"
    assert answer.json()["code"] == "unauthenticated"


def test_a_wrong_or_missing_token_is_refused(anonymous, alice_secret):
    assert anonymous.get("/documents").status_code == 401
    assert ApiClient(alice_secret + "x").get("/documents").status_code == 401
    assert ApiClient("not-a-belegsync-token").get("/documents").status_code == 401


def test_a_token_stops_working_when_its_user_moves_to_another_organisation(
    alice, alice_secret, other_org
):
    Membership.objects.filter(user=alice).update(organisation=other_org)
    assert ApiClient(alice_secret).get("/documents").status_code == 401


def test_nobody_revokes_another_users_token(alice, bob):
    token, secret = tokens.issue(Actor.of(alice), "cron")
    with contextlib.suppress(PermissionError):
        tokens.revoke(Actor.of(bob), token.pk)
    assert ApiToken.objects.get(pk=token.pk).revoked_at is None
    assert ApiClient(secret).get("/documents").status_code == 200


def test_a_token_of_an_inactive_user_is_refused(alice, alice_secret):
    alice.is_active = False
    alice.save()
    assert ApiClient(alice_secret).get("/documents").status_code == 401
