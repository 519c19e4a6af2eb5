from __future__ import annotations

import pytest

pytestmark = pytest.mark.django_db


def test_it_renders_the_login_page_without_login(client):
    response = client.get("/login/")
    assert response.status_code == 200
    assert b"csrfmiddlewaretoken" in response.content


def test_it_renders_the_base_with_navigation_when_logged_in(client, alice):
    client.force_login(alice)
    response = client.get("/")
    assert response.status_code == 200
    assert b"htmx.min.js" in response.content
    assert b"X-CSRFToken" in response.content
    assert b"/documents/?state=failed" in response.content
