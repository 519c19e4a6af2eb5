"""A newcomer follows the guide, uploads the Rechnungsliste and finds the invoices waiting."""

from __future__ import annotations

import re

import pytest

from belegsync.documents.models import Connection, Document
from tests.browser_support import SCREENSHOTS
from tests.reference import REFERENCE

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

SAMPLE = REFERENCE / "afterbuy" / "examples" / "rechnungsliste_synthesised_cp1252.csv"


def test_it_uploads_the_csv_and_shows_the_summary(live_server, page, alice, org):
    connection = Connection.objects.create(
        organisation=org, name="Afterbuy", source_kind="afterbuy_csv", target_kind="memory"
    )
    page.goto(f"{live_server.url}/login/")
    page.fill("input[name=username]", "alice")
    page.fill("input[name=password]", "alice-password-1")
    page.get_by_role("button", name="Log in").click()
    page.wait_for_url(f"{live_server.url}/")
    page.goto(f"{live_server.url}/connections/{connection.pk}/")
    page.get_by_role("link", name="Upload a file").click()

    assert "Verkaufshandling" in page.content(), "the guide names the path in Afterbuy's menu"
    page.set_input_files("input[type=file]", str(SAMPLE))
    page.get_by_role("button", name="Upload and import").click()
    page.wait_for_url("**/imports/*/")
    summary = page.locator("table.summary")
    summary.wait_for(timeout=20_000)
    page.screenshot(path=str(SCREENSHOTS / "belegsync-afterbuy-import.png"), full_page=True)
    assert "Read as" in summary.locator("xpath=..").inner_text() or "Read as" in page.inner_text(
        "main"
    )

    stored = Document.objects.filter(connection=connection)
    waiting = stored.filter(state="waiting")
    new_row = summary.locator("tr", has_text="new").first
    assert new_row.locator("td").first.inner_text() == str(
        stored.count() - stored.filter(state="failed").count()
    )
    new_row.get_by_role("link").click()
    page.wait_for_url(re.compile(r"/documents/\?"))
    assert waiting.exists()
    for document in waiting:
        assert document.source_number in page.content()
