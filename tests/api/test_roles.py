"""Roles over the API: a token carries its user's role, exactly as the web enforces it.

Theo, the tax advisor, reads documents, the month report and DATEV files; Berta, the
bookkeeper, does everything but credentials (and members); a refusal is 403 ``forbidden``.
"""

from __future__ import annotations

import pytest

from belegsync.api import tokens
from belegsync.services import Actor
from tests.web.helpers import failed, make_document

from .conftest import ApiClient


@pytest.fixture
def as_theo(tax_advisor) -> ApiClient:
    return ApiClient(tokens.issue(Actor.of(tax_advisor), "theo's tool")[1])


@pytest.fixture
def as_berta(bookkeeper) -> ApiClient:
    return ApiClient(tokens.issue(Actor.of(bookkeeper), "berta's script")[1])


def _forbidden(answer) -> None:
    assert answer.status_code == 403, (answer.status_code, answer.content[:200])
    assert answer["Content-Type"] == "application/problem+json"
    assert answer.json()["code"] == "forbidden"


def test_a_tax_advisor_reads_documents_and_the_month_report(as_theo, connection):
    document = failed(connection, "RE-1")
    assert as_theo.get("/documents").status_code == 200
    assert as_theo.get(f"/documents/{document.pk}").status_code == 200
    assert as_theo.get("/reports/month", month="2026-11").status_code == 200
    assert as_theo.get("/organisation").status_code == 200


def test_a_tax_advisor_changes_nothing(as_theo, connection):
    document = failed(connection, "RE-1")
    _forbidden(as_theo.post(f"/documents/{document.pk}/reset"))
    _forbidden(as_theo.post("/documents/actions", {"action": "reset", "ids": [document.pk]}))
    _forbidden(as_theo.get("/connections"))
    _forbidden(as_theo.get(f"/connections/{connection.pk}"))
    _forbidden(as_theo.post(f"/connections/{connection.pk}/sync-now"))
    _forbidden(as_theo.post("/organisation/sync", {"enabled": False}))
    _forbidden(as_theo.get("/imports"))
    _forbidden(as_theo.post("/exports", {"format": "csv"}))
    _forbidden(as_theo.post("/exports", {"format": "datev", "option": "tag"}))
    _forbidden(as_theo.get("/webhooks"))
    document.refresh_from_db()
    assert document.state == "failed"


def test_a_tax_advisor_fetches_datev_files(as_theo, connection, org):
    make_document(connection, "RE-1", state="done")
    answer = as_theo.post("/exports", {"format": "datev"})
    assert answer.status_code == 201  # it may fail for missing DATEV settings, but it ran
    assert as_theo.get(f"/exports/{answer.json()['id']}").status_code == 200


def test_a_bookkeeper_acts_but_never_touches_credentials(as_berta, connection):
    document = failed(connection, "RE-1")
    assert as_berta.post(f"/documents/{document.pk}/reset").status_code == 200
    assert as_berta.get("/connections").status_code == 200
    changed = as_berta.client.patch(
        f"/api/v1/connections/{connection.pk}",
        {"credentials": {"target": {"account": "mine"}}},
        content_type="application/json",
        headers=as_berta.headers,
    )
    _forbidden(changed)
    connection.refresh_from_db()
    assert connection.credentials["target"] == {"account": "alice-books"}
