"""Login is required everywhere but the login page and /healthz; logout is POST only."""

from __future__ import annotations

import pytest
from django.db import DatabaseError

from tests.web.helpers import failed

pytestmark = pytest.mark.django_db


def private_urls(connection, document) -> list[str]:
    return [
        "/",
        "/documents/?state=failed",
        f"/documents/{document.pk}/",
        f"/documents/{document.pk}/pdf/",
        "/connections/",
        "/connections/new/",
        f"/connections/{connection.pk}/",
    ]


def test_it_sends_anonymous_visitors_to_the_login_page(client, connection):
    document = failed(connection)
    for url in private_urls(connection, document):
        response = client.get(url)
        assert response.status_code == 302, url
        assert response["Location"].startswith("/login/"), url


def test_it_refuses_anonymous_actions(client, connection):
    document = failed(connection)
    for url in [
        f"/documents/{document.pk}/reset/",
        "/documents/bulk/",
        "/organisation/sync/",
        f"/connections/{connection.pk}/enabled/",
        f"/connections/{connection.pk}/sync-now/",
    ]:
        response = client.post(url, {"ids": [document.pk], "action": "reset"})
        assert response.status_code == 302, url
        assert response["Location"].startswith("/login/"), url
    document.refresh_from_db()
    assert document.state == "failed"


def test_it_logs_in_and_out(client, alice):
    response = client.post("/login/", {"username": "alice", "password": "alice-password-1"})
    assert response.status_code == 302
    assert client.get("/").status_code == 200
    assert client.get("/logout/").status_code == 405
    assert client.post("/logout/").status_code == 302
    assert client.get("/").status_code == 302


def test_it_rejects_a_wrong_password(client, alice):
    response = client.post("/login/", {"username": "alice", "password": "wrong"})
    assert response.status_code == 200
    assert client.get("/").status_code == 302


def test_it_reports_a_healthy_database_without_login(client):
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.json() == {"database": "ok"}


def test_it_answers_503_when_the_database_fails(client, monkeypatch):
    from django.db.backends.utils import CursorWrapper

    def broken(self, sql, params=None):
        raise DatabaseError("disk I/O error")

    monkeypatch.setattr(CursorWrapper, "execute", broken)
    response = client.get("/healthz")
    assert response.status_code == 503
    assert response.json() == {"database": "error"}


def test_it_switches_the_language_to_german(client, alice):
    client.force_login(alice)
    response = client.post("/i18n/setlang/", {"language": "de", "next": "/"})
    assert response.status_code == 302
    page = client.get("/").content.decode()
    assert "Verbindungen" in page
    assert 'lang="de"' in page
