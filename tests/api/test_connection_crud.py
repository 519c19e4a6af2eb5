"""Creating and changing connections over the API: credentials write-only and checked first."""

from __future__ import annotations

import pytest

from belegsync.connectors import registry
from belegsync.documents.models import Connection
from tests.web.adapters import SECRET, CheckedTarget


@pytest.fixture(autouse=True)
def _adapters(monkeypatch):
    monkeypatch.setitem(registry.TARGETS, "checked", "tests.web.adapters.CheckedTarget")
    CheckedTarget.checked.clear()


NEW = {
    "name": "Shop → Checked",
    "source_kind": "memory",
    "target_kind": "checked",
    "credentials": {"target": {"api_key": SECRET, "login": "alice"}},
    "policy": {"mark_paid": True},
    "target": {"ledger": "2"},
}


def test_it_creates_a_connection_whose_credentials_are_checked_and_never_shown(as_alice, org):
    answer = as_alice.post("/connections", NEW)
    assert answer.status_code == 201, answer.json()
    body = answer.json()
    assert SECRET not in answer.content.decode()
    assert body["credentials_saved"] == {"source": False, "target": True}
    assert body["settings"]["policy"]["mark_paid"] is True
    assert body["settings"]["target"]["ledger"] == "2"
    assert body["setup_complete"] is True and body["warnings"] == []
    connection = Connection.objects.get(pk=body["id"])
    assert connection.organisation == org and connection.credentials["target"]["api_key"] == SECRET
    assert CheckedTarget.checked == [{"api_key": SECRET, "login": "alice"}]


def test_refused_credentials_create_nothing_and_name_the_side(as_alice):
    answer = as_alice.post("/connections", {**NEW, "credentials": {"target": {"api_key": "wrong"}}})
    assert answer.status_code == 422
    problem = answer.json()
    assert problem["code"] == "credentials_refused"
    assert problem["errors"][0]["field"] == "credentials.target"
    assert not Connection.objects.exists()


def test_bad_settings_kinds_and_names_are_named(as_alice, connection):
    answer = as_alice.post("/connections", {**NEW, "policy": {"document_date": "someday"}})
    assert answer.json()["errors"][0]["field"] == "policy.document_date"
    answer = as_alice.post("/connections", {**NEW, "source_kind": "shopify"})
    assert [e["field"] for e in answer.json()["errors"]] == ["source_kind"]
    answer = as_alice.post("/connections", {**NEW, "name": connection.name})
    assert [e["field"] for e in answer.json()["errors"]] == ["name"]
    answer = as_alice.post("/connections", {**NEW, "sync_interval": 5})
    assert [e["field"] for e in answer.json()["errors"]] == ["sync_interval"]
    assert Connection.objects.count() == 1


def test_it_changes_only_what_is_given(as_alice):
    created = as_alice.post("/connections", NEW).json()
    changed = as_alice.client.patch(
        f"/api/v1/connections/{created['id']}",
        {"name": "Renamed", "target": {"ledger": "3"}},
        content_type="application/json",
        headers=as_alice.headers,
    )
    assert changed.status_code == 200
    body = changed.json()
    assert body["name"] == "Renamed" and body["settings"]["target"]["ledger"] == "3"
    assert body["settings"]["policy"]["mark_paid"] is True
    connection = Connection.objects.get(pk=created["id"])
    assert connection.credentials["target"] == {"api_key": SECRET, "login": "alice"}
    assert CheckedTarget.checked == [{"api_key": SECRET, "login": "alice"}]  # not asked again


def test_another_organisations_connection_cannot_be_changed(as_alice, as_bob):
    created = as_alice.post("/connections", NEW).json()
    answer = as_bob.client.patch(
        f"/api/v1/connections/{created['id']}",
        {"name": "mine now"},
        content_type="application/json",
        headers=as_bob.headers,
    )
    assert answer.status_code == 404
    assert Connection.objects.get(pk=created["id"]).name == NEW["name"]
