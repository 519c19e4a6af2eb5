"""Error pages keep the navigation and the reader's language; the password changes in the UI."""

from __future__ import annotations

import pytest
from django.test import RequestFactory
from django.utils import translation

from belegsync.documents.models import Organisation
from belegsync.web.views.errors import server_error

pytestmark = pytest.mark.django_db


def test_a_missing_page_is_german_with_the_navigation(client, alice):
    client.force_login(alice)
    client.post("/i18n/setlang/", {"language": "de", "next": "/"})
    response = client.get("/nonesuch/")
    page = response.content.decode()
    assert response.status_code == 404
    assert "Seite nicht gefunden" in page
    assert 'class="mainnav"' in page and "Monatsbericht" in page
    assert "Not Found" not in page


def test_an_error_page_has_the_navigation_and_never_fails_itself(alice, monkeypatch):
    request = RequestFactory().get("/", HTTP_ACCEPT_LANGUAGE="en")
    request.user = alice
    with translation.override("en"):
        response = server_error(request)
    assert response.status_code == 500
    assert b"Something went wrong" in response.content and b"mainnav" in response.content

    def broken(*args, **kwargs):
        raise RuntimeError("the page itself is broken")

    monkeypatch.setattr("belegsync.web.views.errors.render", broken)
    with translation.override("en"):
        plain = server_error(request)
    assert plain.status_code == 500 and b"Something went wrong" in plain.content


def test_the_first_user_changes_the_password_in_the_ui(client, alice):
    client.force_login(alice)
    assert b'href="/account/password/"' in client.get("/").content
    response = client.post(
        "/account/password/",
        {
            "old_password": "alice-password-1",
            "new_password1": "a-new-long-password-7",
            "new_password2": "a-new-long-password-7",
        },
    )
    assert response.status_code == 302
    alice.refresh_from_db()
    assert alice.check_password("a-new-long-password-7")


def test_sync_now_names_the_switch_that_is_off(client, alice, connection):
    client.force_login(alice)
    Organisation.objects.update(sync_enabled=False)
    page = client.post(f"/connections/{connection.pk}/sync-now/", follow=True).content.decode()
    assert "disabled for all connections" in page
    assert "as soon as you enable its sync" not in page
    Organisation.objects.update(sync_enabled=True)
    connection.enabled = False
    connection.save()
    page = client.post(f"/connections/{connection.pk}/sync-now/", follow=True).content.decode()
    assert "as soon as you enable its sync" in page
