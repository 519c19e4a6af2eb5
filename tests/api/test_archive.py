"""POST /connections/{id}/archive and /restore: the web's archive, for scripts."""

from __future__ import annotations

import pytest

from belegsync.api import tokens
from belegsync.documents.models import Connection
from belegsync.services import Actor
from tests.web.helpers import failed

from .conftest import ApiClient


@pytest.fixture
def as_theo(tax_advisor) -> ApiClient:
    return ApiClient(tokens.issue(Actor.of(tax_advisor), "theo's tool")[1])


def test_it_archives_and_restores_and_says_so_on_the_connection(as_alice, connection):
    assert as_alice.get(f"/connections/{connection.pk}").json()["archived_at"] is None
    body = as_alice.post(f"/connections/{connection.pk}/archive").json()
    assert body["archived_at"] is not None and body["active"] is False
    again = as_alice.post(f"/connections/{connection.pk}/archive").json()
    assert again["archived_at"] == body["archived_at"]  # a second archive changes nothing
    history = as_alice.get(f"/connections/{connection.pk}").json()["history"]
    assert [h["action"] for h in history] == ["archived"]

    body = as_alice.post(f"/connections/{connection.pk}/restore").json()
    assert body["archived_at"] is None and body["active"] is True
    assert Connection.objects.get(pk=connection.pk).archived_at is None


def test_an_archived_connection_refuses_sync_now_and_resets_with_409(as_alice, connection):
    document = failed(connection, "RE-1")
    as_alice.post(f"/connections/{connection.pk}/archive")
    answer = as_alice.post(f"/connections/{connection.pk}/sync-now")
    assert answer.status_code == 409
    assert answer["Content-Type"] == "application/problem+json"
    assert answer.json()["code"] == "connection_archived"
    assert "archived" in answer.json()["detail"]
    reset = as_alice.post(f"/documents/{document.pk}/reset")
    assert reset.status_code == 409 and "archived" in reset.json()["detail"]
    detail = as_alice.get(f"/documents/{document.pk}").json()
    assert detail["state"] == "failed"
    assert detail["actions"] == ["mark_manually_imported"]
    listed = as_alice.get("/documents", state="failed").json()["items"]
    assert [d["number"] for d in listed] == ["RE-1"]  # its documents stay readable


def test_another_organisation_and_the_tax_advisor_may_not(as_bob, as_theo, connection):
    assert as_bob.post(f"/connections/{connection.pk}/archive").status_code == 404
    answer = as_theo.post(f"/connections/{connection.pk}/archive")
    assert answer.status_code == 403 and answer.json()["code"] == "forbidden"
    assert Connection.objects.get(pk=connection.pk).archived_at is None
    Connection.objects.filter(pk=connection.pk).update(archived_at="2026-12-01T10:00:00Z")
    assert as_bob.post(f"/connections/{connection.pk}/restore").status_code == 404
    assert as_theo.post(f"/connections/{connection.pk}/restore").status_code == 403
    assert Connection.objects.get(pk=connection.pk).archived_at is not None
