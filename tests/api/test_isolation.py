"""Every route keeps organisations apart: Bob's token finds none of Alice's objects.

Walks the committed schema, so a new route is checked as soon as it exists (and
this test fails until it says which of Alice's objects the route's id names).
"""

from __future__ import annotations

import json

import pytest

from belegsync.api.management.commands.openapi import COMMITTED
from belegsync.exports.service import Criteria
from belegsync.services import Actor
from belegsync.services import exports as export_services
from belegsync.services import imports as import_services
from belegsync.services import webhooks as webhook_services
from belegsync.webhooks.models import Delivery
from tests.web.helpers import failed

OPERATIONS = [
    (method.upper(), path)
    for path, item in json.loads(COMMITTED.read_text(encoding="utf-8"))["paths"].items()
    for method in item
]
#: The body a route needs to get past validation (so the answer is about the object).
BODIES = {
    ("POST", "/api/v1/connections/{pk}/enabled"): {"enabled": False},
    ("PATCH", "/api/v1/connections/{pk}"): {"name": "Bob's now"},
    ("POST", "/api/v1/documents/{pk}/keep"): {"source_id": "111"},
}


@pytest.fixture
def alices(alice, connection, settings):
    settings.BELEGSYNC_WEBHOOK_ALLOW_PRIVATE = True
    who = Actor.of(alice)
    document = failed(connection, "RE-ALICE-1")
    job = import_services.ImportJob.objects.create(
        connection=connection, actor="alice", filename="alice.csv"
    )
    export = export_services.export(who, Criteria(), "csv")
    endpoint, _ = webhook_services.register(who, "https://hooks.example.org/a", ["document.done"])
    Delivery.objects.create(endpoint=endpoint, event="document.done", key="document.done:1")
    return {
        "documents": document.pk,
        "connections": connection.pk,
        "imports": job.pk,
        "exports": export.pk,
        "webhooks": endpoint.pk,
    }


def _object(path: str, ids: dict[str, int]) -> int:
    collection = path.removeprefix("/api/v1/").split("/")[0]
    assert collection in ids, f"say which of Alice's objects {path} names"
    return ids[collection]


@pytest.mark.parametrize(("method", "path"), OPERATIONS, ids=[f"{m} {p}" for m, p in OPERATIONS])
def test_bob_finds_nothing_of_alices(as_bob, alices, method, path):
    url = path.removeprefix("/api/v1")
    if "{pk}" in path:
        url = url.replace("{pk}", str(_object(path, alices))).replace("{action}", "reset")
    body = BODIES.get((method, path))
    call = getattr(as_bob.client, method.lower())
    if method == "GET":
        answer = call(f"/api/v1{url}", {"month": "2026-11"}, headers=as_bob.headers)
    else:
        answer = call(
            f"/api/v1{url}", body or {}, content_type="application/json", headers=as_bob.headers
        )
    if "{pk}" in path:
        assert answer.status_code == 404, (method, path, answer.status_code)
        assert answer.json()["code"] == "not_found"
        return
    text = answer.content.decode(errors="replace")
    for marker in ("RE-ALICE-1", "Shop → Books", "alice.csv", "hooks.example.org", "alice"):
        assert marker not in text, (method, path, marker)
