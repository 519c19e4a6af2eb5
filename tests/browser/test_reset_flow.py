"""The first browser test: a merchant logs in, resets a failed document, finds it waiting."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from tests.browser_support import SCREENSHOTS
from tests.web.helpers import failed

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_it_resets_a_failed_document_into_the_waiting_list(live_server, page, alice, connection):
    document = failed(connection, "RE-2026-0042", failure_reason="rejected")
    page.goto(f"{live_server.url}/documents/?state=failed")

    # not logged in: the login page, which brings us back afterwards
    page.fill("input[name=username]", "alice")
    page.fill("input[name=password]", "alice-password-1")
    page.get_by_role("button", name="Log in").click()
    page.wait_for_url(f"{live_server.url}/documents/?state=failed")
    row = page.locator(f"#document-{document.pk}")
    assert "RE-2026-0042" in row.inner_text()
    assert "The bookkeeping system refused the voucher" in row.inner_text()
    page.screenshot(path=str(SCREENSHOTS / "belegsync-failed-list.png"), full_page=True)

    row.get_by_role("button", name="Reset").click()
    dialog = page.locator("#confirm-dialog")
    assert "nothing is booked twice" in dialog.inner_text()
    dialog.get_by_role("button", name="Reset").click()
    # the answer replaces the page: wait for it rather than for a load that may be over
    expect(page.locator("#messages")).to_contain_text("done for 1 document: RE-2026-0042")
    expect(page.locator(f"#document-{document.pk}")).to_have_count(0)

    page.get_by_role("link", name="waiting", exact=True).click()
    page.wait_for_url(f"{live_server.url}/documents/?state=waiting")
    assert "RE-2026-0042" in page.locator(f"#document-{document.pk}").inner_text()
    page.screenshot(path=str(SCREENSHOTS / "belegsync-waiting-list.png"), full_page=True)
    document.refresh_from_db()
    assert document.state == "waiting"


def test_it_switches_the_global_sync_off_with_htmx(live_server, page, alice, org):
    page.goto(f"{live_server.url}/login/")
    page.fill("input[name=username]", "alice")
    page.fill("input[name=password]", "alice-password-1")
    page.get_by_role("button", name="Log in").click()
    page.wait_for_url(f"{live_server.url}/")
    page.get_by_role("button", name="Disable synchronisation").click()
    dialog = page.locator("#confirm-dialog")
    assert "No document is lost" in dialog.inner_text()
    dialog.get_by_role("button", name="Cancel").click()
    org.refresh_from_db()
    assert org.sync_enabled is True  # cancelled: nothing happened
    page.get_by_role("button", name="Disable synchronisation").click()
    dialog.get_by_role("button", name="Disable synchronisation").click()
    page.get_by_role("button", name="Enable synchronisation").wait_for()
    assert "Synchronisation disabled" in page.locator("#messages").inner_text()
    page.screenshot(path=str(SCREENSHOTS / "belegsync-dashboard.png"), full_page=True)
    org.refresh_from_db()
    assert org.sync_enabled is False
