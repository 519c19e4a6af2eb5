"""The interface itself: the committed schema, the docs page, problems, the request limit."""

from __future__ import annotations

import json
from pathlib import Path

from cryptography.fernet import Fernet
from django.test import Client, override_settings

from belegsync.api.management.commands.openapi import COMMITTED, rendered
from belegsync.documents.models import Connection

from .conftest import ApiClient

REPO = Path(__file__).resolve().parents[2]


def test_the_committed_schema_is_the_served_schema(anonymous):
    """GIVEN the schema in docs/openapi.json WHEN the code's schema differs THEN this fails:
    the schema is a stable interface, changed on purpose (`belegsync openapi --write`)."""
    assert COMMITTED == REPO / "docs" / "openapi.json"
    assert COMMITTED.read_text(encoding="utf-8") == rendered()
    served = anonymous.client.get("/api/v1/openapi.json")
    assert served.status_code == 200
    assert served.json() == json.loads(rendered())


def test_every_operation_documents_its_problems_as_problem_json():
    schema = json.loads(rendered())
    for path, item in schema["paths"].items():
        for method, operation in item.items():
            answers = operation["responses"]
            for status, answer in answers.items():
                if int(status) >= 400 and status != "503":
                    assert answer["content"].keys() == {"application/problem+json"}
            if "security" in operation:
                assert {"401", "429"} <= set(answers), (method, path)


def test_the_docs_page_loads_nothing_from_elsewhere(db):
    page = Client().get("/api/v1/docs")
    assert page.status_code == 200
    html = page.content.decode()
    assert "swagger-ui-bundle.js" in html
    assert "cdn" not in html.lower() and "https://" not in html


def test_health_needs_no_token(anonymous):
    answer = anonymous.get("/health")
    assert answer.status_code == 200
    assert answer.json() == {"ok": True, "database": True, "secrets": True, "workers": None}


def test_health_fails_like_healthz_when_the_keys_do_not_read_the_credentials(anonymous, org):
    """GIVEN stored credentials WHEN belegsync runs with another key THEN the API's health
    and /healthz both answer 503 and say the secrets are unreadable (one check behind both)."""
    Connection.objects.create(
        organisation=org,
        name="Shop → lexoffice",
        source_kind="memory",
        target_kind="lexoffice",
        credentials={"target": {"api_key": "secret"}},
    )
    with override_settings(FERNET_KEYS=(Fernet.generate_key().decode(),)):
        answer = anonymous.get("/health")
        healthz = Client().get("/healthz")
    assert answer.status_code == 503 == healthz.status_code
    assert answer.json() == {"ok": False, "database": True, "secrets": False, "workers": None}
    assert healthz.json()["secrets"] == "unreadable with the configured keys"


def test_an_unknown_path_under_the_api_is_not_the_web_login(anonymous):
    answer = anonymous.get("/nothing-here")
    assert answer.status_code == 404
    assert "login" not in answer.get("Location", "")


@override_settings(BELEGSYNC_API_REQUESTS_PER_MINUTE=3)
def test_a_token_past_its_limit_gets_429_with_retry_after(as_alice, as_bob):
    statuses = [as_alice.get("/documents").status_code for _ in range(4)]
    assert statuses == [200, 200, 200, 429]
    refused = as_alice.get("/documents")
    assert refused["Content-Type"] == "application/problem+json"
    assert refused.json()["code"] == "rate_limited"
    assert 1 <= int(refused["Retry-After"]) <= 60
    # another token has its own count
    assert as_bob.get("/documents").status_code == 200


def test_a_fresh_minute_lets_the_token_in_again(alice, settings):
    from belegsync.api import tokens
    from belegsync.api.auth import TokenThrottle
    from belegsync.services import Actor

    settings.BELEGSYNC_API_REQUESTS_PER_MINUTE = 1
    now = [1_000_040.0]
    throttle = TokenThrottle(clock=lambda: now[0])
    token = tokens.issue(Actor.of(alice), "t")[0]

    class Request:
        auth = token

    assert throttle.allow_request(Request()) is True
    assert throttle.allow_request(Request()) is False
    assert throttle.wait() == 40.0
    now[0] += 40
    assert throttle.allow_request(Request()) is True


def test_problems_for_a_token_in_german(alice_secret):
    answer = ApiClient(alice_secret + "x").client.get(
        "/api/v1/documents", headers={"Authorization": "Bearer nope", "Accept-Language": "de"}
    )
    assert answer.status_code == 401
    assert answer["WWW-Authenticate"].startswith("Bearer")
    assert answer.json()["type"] == "urn:belegsync:problem:unauthenticated"


def test_docs_api_md_shows_every_operation():
    """Every operation of the schema has its heading in docs/api.md (``{id}`` for ids)."""
    docs = (REPO / "docs" / "api.md").read_text(encoding="utf-8")
    headings = "\n".join(line for line in docs.splitlines() if line.startswith("### "))
    missing = []
    for path, item in json.loads(rendered())["paths"].items():
        for method in item:
            shown = f"{method.upper()} {path.replace('{pk}', '{id}')}"
            if f"`{shown}" not in headings:
                missing.append(shown)
    assert not missing, f"operations docs/api.md does not show: {missing}"
