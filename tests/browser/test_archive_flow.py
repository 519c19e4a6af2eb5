"""A merchant archives a connection they no longer use: asked first, then listed apart,
and restored with one click."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from belegsync.documents.models import Connection

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_it_asks_before_archiving_and_restores(live_server, page, alice, connection):
    page.goto(f"{live_server.url}/login/?next=/connections/{connection.pk}/")
    page.fill("input[name=username]", "alice")
    page.fill("input[name=password]", "alice-password-1")
    page.get_by_role("button", name="Log in").click()
    page.wait_for_url(f"{live_server.url}/connections/{connection.pk}/")

    page.get_by_role("button", name="Archive", exact=True).click()
    dialog = page.locator("#confirm-dialog")
    expect(dialog).to_contain_text("Archive “Shop → Books”?")
    dialog.get_by_role("button", name="Cancel").click()
    expect(dialog).to_be_hidden()
    assert Connection.objects.get(pk=connection.pk).archived_at is None  # cancelled

    page.get_by_role("button", name="Archive", exact=True).click()
    dialog.get_by_role("button", name="Archive", exact=True).click()
    page.wait_for_url(f"{live_server.url}/connections/")
    archived = page.locator("section.archived-connections")
    expect(archived).to_contain_text("Archived connections")
    expect(archived.locator(f"#connection-{connection.pk}")).to_contain_text("Shop → Books")
    assert Connection.objects.get(pk=connection.pk).archived_at is not None

    archived.get_by_role("button", name="Restore").click()
    expect(page.locator("#messages")).to_contain_text("is restored")
    expect(page.locator("section.archived-connections")).to_have_count(0)
    assert Connection.objects.get(pk=connection.pk).archived_at is None
