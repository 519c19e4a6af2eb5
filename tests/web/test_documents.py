"""The document lists, the detail page, and the merchant's actions one at a time and in bulk."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest

from belegsync.bookkeeping import voucher_to_dict
from belegsync.connectors.errors import ConnectorError
from belegsync.documents.models import Document, DocumentFile, Event
from belegsync.targets.memory import Account, MemoryTarget
from belegsync.web.views.documents import PAGE_SIZE
from tests.conftest import make_voucher
from tests.web.helpers import failed, make_document

pytestmark = pytest.mark.django_db


@pytest.fixture
def logged_in(client, alice):
    client.force_login(alice)
    return client


def link(response, rel: str) -> str:
    """The pager's link with ``rel`` as the browser would follow it."""
    before = response.content.decode().split(f'rel="{rel}"')[0]
    return "/documents/" + before.rsplit('href="', 1)[-1].split('"')[0].replace("&amp;", "&")


def numbers_on(response) -> list[str]:
    return [d.source_number for d in response.context["documents"]]


def test_it_lists_only_the_documents_of_the_asked_state(logged_in, connection):
    failed(connection, "RE-1")
    make_document(connection, "RE-2", "waiting")
    make_document(connection, "RE-3", "done")
    assert numbers_on(logged_in.get("/documents/?state=failed")) == ["RE-1"]
    assert numbers_on(logged_in.get("/documents/?state=waiting")) == ["RE-2"]
    assert numbers_on(logged_in.get("/documents/?state=done")) == ["RE-3"]
    # no state (or an unknown one): every state, so one number is found wherever it is
    assert numbers_on(logged_in.get("/documents/?state=nonsense")) == ["RE-3", "RE-2", "RE-1"]
    everywhere = logged_in.get("/documents/?number=RE-3")
    assert numbers_on(everywhere) == ["RE-3"]
    assert "Documents 1–1 of 1" in everywhere.content.decode()


def test_it_searches_by_number_and_filters_by_date_and_connection(logged_in, connection, org):
    from belegsync.documents.models import Connection

    second = Connection.objects.create(
        organisation=org, name="Second", source_kind="memory", target_kind="memory"
    )
    make_document(connection, "RE-100", invoice_date=dt.date(2026, 1, 5))
    make_document(connection, "RE-200", invoice_date=dt.date(2026, 2, 5))
    make_document(second, "GS-100", invoice_date=dt.date(2026, 3, 5))
    assert numbers_on(logged_in.get("/documents/?number=100")) == ["GS-100", "RE-100"]
    assert numbers_on(logged_in.get("/documents/?number=re-")) == ["RE-200", "RE-100"]
    assert numbers_on(logged_in.get("/documents/?from=2026-02-01")) == ["GS-100", "RE-200"]
    assert numbers_on(logged_in.get("/documents/?from=2026-02-01&to=2026-02-28")) == ["RE-200"]
    assert numbers_on(logged_in.get(f"/documents/?connection={second.pk}")) == ["GS-100"]
    # a malformed date is ignored rather than an error page
    assert len(numbers_on(logged_in.get("/documents/?from=05.02.2026"))) == 3


def test_it_pages_by_keyset_without_gaps_or_repeats(
    logged_in, connection, django_assert_max_num_queries
):
    total = PAGE_SIZE * 2 + 7
    Document.objects.bulk_create(
        Document(connection=connection, source_number=f"RE-{i:04d}", state="waiting")
        for i in range(total)
    )
    make_document(connection, "DONE-1", "done")
    expected = list(
        Document.objects.filter(state="waiting").order_by("-id").values_list("pk", flat=True)
    )
    seen: list[int] = []
    url = "/documents/?state=waiting"
    pages = []
    while url:
        # the page's ids, then its rows: one query more than reading the rows at once
        with django_assert_max_num_queries(10) as queries:
            response = logged_in.get(url)
        # the total from the kept counts: no COUNT over the documents, none of the rows before
        counts = [q for q in queries.captured_queries if "COUNT(" in q["sql"].upper()]
        assert counts == []
        assert not any(" OFFSET " in q["sql"].upper() for q in queries.captured_queries)
        seen += [d.pk for d in response.context["documents"]]
        where = response.context["pages"]
        pages.append((where.first, where.last, where.total))
        url = link(response, "next") if response.context["pages"].next_after else ""
    assert seen == expected
    assert pages == [(1, 50, 107), (51, 100, 107), (101, 107, 107)]
    # "previous" on the last page leads back to the second one
    last = logged_in.get(f"/documents/?state=waiting&after={expected[99]}&p=3")
    second = logged_in.get(link(last, "prev"))
    assert [d.pk for d in second.context["documents"]] == expected[50:100]
    assert (second.context["pages"].first, second.context["pages"].last) == (51, 100)


def test_it_shows_money_in_german_style_and_the_reason_in_words(logged_in, connection):
    failed(
        connection,
        "RE-1",
        total_gross=Decimal("1234.56"),
        failure_reason="validation",
        failure_details=[
            {
                "code": "total_mismatch",
                "field": "total_gross",
                "params": {"total": "65.80", "lines_total": "65.79"},
            }
        ],
    )
    logged_in.post("/i18n/setlang/", {"language": "de", "next": "/"})
    page = logged_in.get("/documents/?state=failed").content.decode()
    assert "1.234,56\xa0€" in page
    assert "Die Belegdaten gehen nicht auf" in page
    assert "Der Bruttobetrag 65,80\xa0€ ist nicht die Summe der Positionen (65,79\xa0€)" in page
    assert "total_gross" not in page and "65.80" not in page
    logged_in.post("/i18n/setlang/", {"language": "en", "next": "/"})
    page = logged_in.get("/documents/?state=failed").content.decode()
    assert "€1,234.56" in page
    assert "The gross total €65.80 is not the sum of the line items (€65.79)" in page


def test_it_resets_a_failed_document_and_records_who(logged_in, connection):
    document = failed(connection)
    response = logged_in.post(f"/documents/{document.pk}/reset/", follow=True)
    document.refresh_from_db()
    assert document.state == "waiting"
    assert document.failure_reason == ""
    event = Event.objects.get(document=document, action="reset")
    assert event.actor == "alice"
    assert "done for 1 document: RE-1001" in response.content.decode()


def test_it_marks_a_failed_document_as_manually_imported(logged_in, connection):
    document = failed(connection)
    logged_in.post(f"/documents/{document.pk}/mark_manually_imported/")
    document.refresh_from_db()
    assert document.state == "manual"


def test_it_refuses_an_illegal_action_with_a_clear_message(logged_in, connection):
    document = make_document(connection, "RE-7", "done")
    response = logged_in.post(f"/documents/{document.pk}/mark_manually_imported/", follow=True)
    document.refresh_from_db()
    assert document.state == "done"
    expected = (
        "RE-7: “Mark as manually imported” is not possible for a document that is done; "
        "only for failed."
    )
    assert expected in response.content.decode()


def test_it_rejects_an_unknown_action_and_get_requests(logged_in, connection):
    document = failed(connection)
    assert logged_in.post(f"/documents/{document.pk}/delete/").status_code == 404
    assert logged_in.get(f"/documents/{document.pk}/reset/").status_code == 405


def test_it_reuploads_with_the_newer_data_when_the_target_no_longer_has_it(logged_in, connection):
    newer = voucher_to_dict(make_voucher("RE-1001", invoice_date=dt.date(2026, 11, 9)))
    document = make_document(connection, state="done", remote_id="mem-9", pending_voucher=newer)
    logged_in.post(f"/documents/{document.pk}/reupload/")
    document.refresh_from_db()
    assert document.state == "waiting"
    assert document.remote_id == ""
    assert document.invoice_date == dt.date(2026, 11, 9)
    assert document.pending_voucher is None


def test_it_refuses_a_reupload_while_the_target_still_has_the_voucher(logged_in, connection):
    document = make_document(connection, state="done", remote_id="mem-1")
    MemoryTarget.accounts["alice-books"] = Account(
        vouchers={"mem-1": voucher_to_dict(make_voucher("RE-1001"))}
    )
    response = logged_in.post(f"/documents/{document.pk}/reupload/", follow=True)
    document.refresh_from_db()
    assert document.state == "done"
    assert "RE-1001 still exists in the bookkeeping system. Delete it there first" in (
        response.content.decode()
    )


def test_it_says_when_the_target_could_not_be_asked(logged_in, connection):
    document = failed(connection)
    MemoryTarget.accounts["alice-books"] = Account(
        fail_next={
            "find": [
                ConnectorError(
                    "lexoffice answered 503",
                    code="remote.server_error",
                    params={"system": "lexoffice", "status": 503},
                )
            ]
        }
    )
    response = logged_in.post(f"/documents/{document.pk}/reupload/", follow=True)
    document.refresh_from_db()
    assert document.state == "failed"
    assert (
        "RE-1001: could not ask the target: lexoffice answered with an error on its side (503)"
        in (response.content.decode())
    )


def test_it_reports_a_mixed_bulk_selection_per_document(logged_in, connection):
    first = failed(connection, "RE-1")
    second = failed(connection, "RE-2")
    done = make_document(connection, "RE-3", "done")
    response = logged_in.post(
        "/documents/bulk/",
        {
            "action": "mark_manually_imported",
            "ids": [first.pk, done.pk, second.pk],
            "next": "/documents/?state=failed",
        },
        follow=True,
    )
    page = response.content.decode()
    assert response.redirect_chain[-1][0] == "/documents/?state=failed"
    assert "done for 2 documents: RE-1, RE-2" in page
    assert "RE-3: “Mark as manually imported” is not possible for a document that is done" in page
    states = dict(Document.objects.values_list("source_number", "state"))
    assert states == {"RE-1": "manual", "RE-2": "manual", "RE-3": "done"}


def test_it_bulk_reuploads_asking_the_target_for_each(logged_in, connection):
    gone = make_document(connection, "RE-1", "done", remote_id="mem-1")
    still_there = make_document(connection, "RE-2", "done", remote_id="mem-2")
    MemoryTarget.accounts["alice-books"] = Account(
        vouchers={"mem-2": voucher_to_dict(make_voucher("RE-2"))}
    )
    page = logged_in.post(
        "/documents/bulk/", {"action": "reupload", "ids": [gone.pk, still_there.pk]}, follow=True
    ).content.decode()
    assert "done for 1 document: RE-1" in page
    assert "RE-2 still exists in the bookkeeping system" in page
    gone.refresh_from_db()
    still_there.refresh_from_db()
    assert (gone.state, still_there.state) == ("waiting", "done")


def test_it_asks_to_select_something(logged_in):
    page = logged_in.post("/documents/bulk/", {"action": "reset"}, follow=True).content.decode()
    assert "No document selected." in page


def test_it_shows_the_detail_with_lines_taxes_raw_error_and_history(logged_in, connection):
    document = failed(connection, remote_url="https://app.lexoffice.de/vouchers#!/VoucherView/1")
    logged_in.post(f"/documents/{document.pk}/mark_manually_imported/")
    page = logged_in.get(f"/documents/{document.pk}/").content.decode()
    assert "T-Shirt" in page and "Versand" in page
    assert "19\xa0%" in page
    assert "€44.95" in page
    assert "Erika Mustermann" in page
    assert "<details>" in page and "missing_entity" in page
    assert "Marked as manually imported" in page and "alice" in page
    assert "Download PDF" not in page


def test_it_downloads_the_pdf(logged_in, connection):
    document = failed(connection)
    DocumentFile.store(document, b"%PDF-1.4 test", "RE-1001.pdf")
    page = logged_in.get(f"/documents/{document.pk}/").content.decode()
    assert "Download PDF" in page
    response = logged_in.get(f"/documents/{document.pk}/pdf/")
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert response.content == b"%PDF-1.4 test"


def test_it_shows_the_detail_even_when_the_stored_voucher_is_unreadable(logged_in, connection):
    document = failed(connection, voucher={})
    page = logged_in.get(f"/documents/{document.pk}/").content.decode()
    assert "The stored voucher data cannot be read." in page


def test_a_reupload_without_newer_data_says_so(logged_in, connection):
    """GIVEN a transferred document the target no longer has, and no newer data
    WHEN the merchant re-uploads it
    THEN it is transferred again, and the page says it goes with the data belegsync has,
    not "with the newest data"."""
    document = make_document(connection, "RE-5", "done", remote_id="mem-5")
    page = logged_in.post(f"/documents/{document.pk}/reupload/", follow=True).content.decode()
    document.refresh_from_db()
    assert document.state == "waiting"
    assert "RE-5: there was no newer data; it is transferred again with the data" in page


def test_a_reupload_of_a_waiting_document_without_newer_data_is_refused(logged_in, connection):
    document = make_document(connection, "RE-6", "waiting")
    page = logged_in.post(f"/documents/{document.pk}/reupload/", follow=True).content.decode()
    assert "RE-6: nothing to re-upload: there is no newer data" in page
    assert "done for" not in page
    assert not document.events.filter(action="reupload").exists()


def test_the_total_is_the_number_of_documents_the_filters_give(logged_in, connection):
    """GIVEN documents in several states and two connections WHEN a list opens with
    any of its filters THEN "of N" is the number of documents it lists: from the kept
    counts for a state, a connection or dates, from a bounded COUNT where a number
    narrows it."""
    from belegsync.documents.models import Connection

    second = Connection.objects.create(
        organisation=connection.organisation,
        name="zweite",
        source_kind="memory",
        target_kind="memory",
    )
    for i, (state, where) in enumerate(
        [("waiting", connection)] * 3 + [("done", connection)] * 2 + [("done", second)]
    ):
        make_document(where, f"RE-{i}", state)
    Document.objects.filter(source_number="RE-4").update(state="failed", failure_reason="rejected")
    for query in (
        "",
        "state=waiting",
        "state=done",
        "state=failed",
        "state=manual",
        f"connection={second.pk}",
        f"state=done&connection={connection.pk}",
        "number=RE-1",
        "state=waiting&number=E-",
        "from=2000-01-01",
    ):
        response = logged_in.get(f"/documents/?{query}")
        listed = len(response.context["documents"])
        assert response.context["pages"].total == listed, query


def test_it_escapes_what_a_list_row_shows(logged_in, connection):
    """GIVEN a number and a connection name with markup in them
    WHEN the failed list shows the document (drawn in Python, not by the template)
    THEN both appear as text, and the row links to the document and its actions."""
    connection.name = 'Shop <b>"1"</b>'
    connection.save()
    document = failed(connection, "RE-<i>1</i>")
    html = logged_in.get("/documents/?state=failed").content.decode()
    assert "RE-&lt;i&gt;1&lt;/i&gt;" in html
    assert "<i>1</i>" not in html
    assert '<b>"1"</b>' not in html
    assert "Shop &lt;b&gt;&quot;1&quot;&lt;/b&gt;" in html
    assert f'<a href="/documents/{document.pk}/">' in html
    assert f'formaction="/documents/{document.pk}/reset/"' in html
    assert 'aria-label="Select RE-&lt;i&gt;1&lt;/i&gt;"' in html


def test_a_search_with_more_matches_than_it_counts_says_more_than(
    logged_in, connection, monkeypatch
):
    """GIVEN more documents matching a number than a search counts WHEN the list opens
    THEN it says "of more than N" (in German "von mehr als"), and pages through them all."""
    from belegsync.documents import listing

    monkeypatch.setattr(listing, "TOTAL_BOUND", 3)
    for i in range(5):
        make_document(connection, f"RE-{i}", "done")
    make_document(connection, "GS-1", "done")
    response = logged_in.get("/documents/?number=re-")
    assert (response.context["pages"].total, response.context["pages"].bounded) == (3, True)
    assert "Documents 1–5 of more than 3" in response.content.decode()
    assert numbers_on(response) == [f"RE-{i}" for i in reversed(range(5))]
    german = logged_in.get("/documents/?number=re-", headers={"accept-language": "de"})
    assert "Belege 1–5 von mehr als 3" in german.content.decode()
    exact = logged_in.get("/documents/?number=RE-1")
    assert (exact.context["pages"].total, exact.context["pages"].bounded) == (1, False)


def test_a_list_page_asks_the_same_queries_for_one_row_as_for_many(logged_in, connection):
    """GIVEN a list page that reads only the columns its rows show, and each row's
    connection from the organisation's connections it read once
    WHEN a page shows one document, then many of two connections (an archived one)
    THEN it asks the database the same number of times: no row reads a column or a
    connection of its own afterwards, in any state's list."""
    from django.db import connection as db
    from django.test.utils import CaptureQueriesContext
    from django.utils import timezone

    from belegsync.documents.models import Connection

    second = Connection.objects.create(
        organisation=connection.organisation,
        name="zweite",
        source_kind="memory",
        target_kind="memory",
        archived_at=timezone.now(),
    )
    queries = [
        "",
        "state=failed",
        "state=skipped",
        "state=done",
        f"connection={second.pk}&state=failed",
        "number=RE-&state=failed",
    ]

    def asked() -> dict[str, int]:
        counts = {}
        for query in queries:
            with CaptureQueriesContext(db) as captured:
                assert logged_in.get(f"/documents/?{query}").status_code == 200
            counts[query] = len(captured)
        return counts

    failed(second, "RE-0")
    make_document(
        second,
        "RE-S0",
        "skipped",
        skip_details=[{"code": "skip.shop_not_selected", "params": {"shop": "x"}}],
    )
    make_document(connection, "RE-D0", "done")
    asked()  # the process's first search asks SQLite once whether it has its search table
    one = asked()
    for i in range(1, 6):
        failed(connection if i % 2 else second, f"RE-{i}")
        make_document(
            second,
            f"RE-S{i}",
            "skipped",
            skip_details=[{"code": "skip.shop_not_selected", "params": {"shop": "x"}}],
        )
        make_document(connection, f"RE-D{i}", "done")
    many = logged_in.get("/documents/?state=failed").content.decode()
    assert "zweite" in many and "Shop → Books" in many
    assert asked() == one


@pytest.mark.parametrize("query", ["?number=RE-", "?number=RE-&state=failed", "?number=R"])
def test_a_search_of_an_organisation_without_connections_is_an_empty_list(logged_in, query):
    # no connection: the documents' scope is connection_id IN (), which Django compiles
    # to no SQL at all; the search's own statements must still answer an empty page
    response = logged_in.get(f"/documents/{query}")
    assert response.status_code == 200
    assert numbers_on(response) == []
