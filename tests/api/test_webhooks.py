"""/webhooks over the API: register (secret once), list, remove, deliveries; per organisation."""

from __future__ import annotations

import pytest

from belegsync.webhooks.models import Delivery, Endpoint


@pytest.fixture(autouse=True)
def _local_addresses(settings):
    settings.BELEGSYNC_WEBHOOK_ALLOW_PRIVATE = True


def test_it_registers_a_webhook_and_shows_its_secret_once(as_alice):
    answer = as_alice.post(
        "/webhooks", {"url": "https://hooks.example.org/b", "events": ["document.failed"]}
    )
    assert answer.status_code == 201
    created = answer.json()
    assert created["secret"].startswith("whsec_") and created["events"] == ["document.failed"]
    listed = as_alice.get("/webhooks").json()
    assert [w["id"] for w in listed] == [created["id"]]
    assert "secret" not in listed[0] and created["secret"] not in str(listed)


def test_its_payloads_speak_the_language_asked_for_else_the_requests(as_alice):
    hook = {"url": "https://hooks.example.org/b", "events": ["document.failed"]}
    asked = as_alice.post("/webhooks", {**hook, "language": "en"}).json()
    assert asked["language"] == "en"
    german = as_alice.client.post(
        "/api/v1/webhooks",
        hook,
        content_type="application/json",
        headers={**as_alice.headers, "Accept-Language": "de"},
    ).json()
    assert german["language"] == "de"
    assert Endpoint.objects.get(pk=german["id"]).language == "de"
    assert as_alice.post("/webhooks", {**hook, "language": "fr"}).status_code == 422


def test_a_refused_address_or_event_is_named(as_alice, settings):
    settings.BELEGSYNC_WEBHOOK_ALLOW_PRIVATE = False
    answer = as_alice.post("/webhooks", {"url": "http://127.0.0.1/x", "events": ["document.done"]})
    assert answer.status_code == 422 and answer.json()["code"] == "webhook_refused"
    assert answer.json()["errors"][0]["field"] == "url"
    answer = as_alice.post("/webhooks", {"url": "https://example.org", "events": ["nope"]})
    assert answer.json()["code"] == "invalid" and answer.json()["errors"][0]["field"] == "events.0"
    assert not Endpoint.objects.exists()


def test_webhooks_stay_in_their_organisation(as_alice, as_bob):
    mine = as_alice.post(
        "/webhooks", {"url": "https://example.org/a", "events": ["document.done"]}
    ).json()
    assert as_bob.get("/webhooks").json() == []
    assert (
        as_bob.client.delete(f"/api/v1/webhooks/{mine['id']}", headers=as_bob.headers).status_code
        == 404
    )
    Delivery.objects.create(endpoint_id=mine["id"], event="document.done", key="document.done:1")
    assert as_bob.get("/webhooks/deliveries").json()["items"] == []
    deliveries = as_alice.get("/webhooks/deliveries").json()["items"]
    assert [(d["key"], d["state"]) for d in deliveries] == [("document.done:1", "pending")]
    gone = as_alice.client.delete(f"/api/v1/webhooks/{mine['id']}", headers=as_alice.headers)
    assert gone.status_code == 204 and as_alice.get("/webhooks").json() == []
    # the log stays; what was not sent is not sent any more, and the secret is gone
    [delivery] = as_alice.get("/webhooks/deliveries").json()["items"]
    assert delivery["state"] == "failed"
    assert Endpoint.objects.get().signing_secret == ""
