"""In a browser: select documents in the overview, export with each tag option, check tags."""

from __future__ import annotations

import datetime as dt

import pytest

from belegsync.exports.models import DocumentTag, ExportJob
from tests.browser_support import SCREENSHOTS
from tests.conftest import make_voucher

from .helpers import datev, store

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def tagged() -> set[str]:
    return set(DocumentTag.objects.values_list("document__source_number", flat=True))


def test_it_exports_a_selection_with_tags_then_only_the_untagged(
    live_server, page, alice, org, connection
) -> None:
    datev(org)
    docs = [
        store(connection, make_voucher(f"RE-{i}", invoice_date=dt.date(2026, 6, i), payments=()))
        for i in range(1, 5)
    ]
    page.goto(f"{live_server.url}/exports/")
    page.fill("input[name=username]", "alice")
    page.fill("input[name=password]", "alice-password-1")
    page.click("main form button[type=submit]")
    page.wait_for_url(f"{live_server.url}/exports/")

    # select two documents, export to DATEV and mark them with the tag
    page.check(f"#document-{docs[0].pk} input[name=ids]")
    page.check(f"#document-{docs[2].pk} input[name=ids]")
    page.click("#export-button")
    assert "2 documents selected" in page.inner_text("#selection-count")
    page.select_option("select[name=format]", "datev")
    page.check("input[name=option][value=tag]")
    # "Export and download" downloads: the job page it lands on starts the file
    with page.expect_download() as download:
        page.click("#run-export")
    assert download.value.suggested_filename.startswith("EXTF_Buchungsstapel_")
    page.wait_for_selector("#exported-count")
    assert page.inner_text("#exported-count") == "2"
    assert tagged() == {"RE-1", "RE-3"}
    with page.expect_download() as again:
        page.click("#download")
    assert again.value.suggested_filename == download.value.suggested_filename

    # the overview shows the tags
    page.goto(f"{live_server.url}/exports/")
    assert "DATEV" in page.inner_text(f"#document-{docs[0].pk} .tags")
    assert page.inner_text(f"#document-{docs[1].pk} .tags").strip() == ""
    page.screenshot(path=str(SCREENSHOTS / "belegsync-export-overview.png"), full_page=True)

    # select all matching, only the untagged ones: two more, no new tags
    page.check("#select-all-matching")
    page.click("#export-button")
    assert "4 documents match the filter" in page.inner_text("#selection-count")
    page.select_option("select[name=format]", "datev")
    page.check("input[name=option][value=only_untagged]")
    page.click("#run-export")
    page.wait_for_selector("#exported-count")
    assert page.inner_text("#exported-count") == "2"
    job = ExportJob.objects.order_by("-id").first()
    assert job is not None and job.path is not None
    body = job.path.read_bytes()
    assert b'"RE-2"' in body and b'"RE-4"' in body and b'"RE-1"' not in body
    assert tagged() == {"RE-1", "RE-3"}
