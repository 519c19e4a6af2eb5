"""The overview, the export dialog with both tag options, history and download, scoping."""

from __future__ import annotations

import datetime as dt

import pytest
from django.urls import reverse
from django.utils import timezone, translation

from belegsync.documents.models import Connection
from belegsync.exports.models import DocumentTag, ExportJob
from belegsync.exports.service import format_settings
from belegsync.targets.datev.exporter import DatevExporter
from tests.conftest import make_voucher

from .helpers import datev, store

pytestmark = pytest.mark.django_db


@pytest.fixture
def client_alice(client, alice, django_capture_on_commit_callbacks):
    """alice's browser. A request commits at its end, so the export task it queues
    (``transaction.on_commit``) runs when it returns, before a redirect is followed:
    inside the test's transaction the callbacks are run by hand."""
    client.force_login(alice)
    post = client.post

    def post_then_commit(path, data=None, follow=False, **extra):
        with django_capture_on_commit_callbacks(execute=True):
            response = post(path, data, **extra)
        if follow and response.status_code in (301, 302):
            return client.get(response.url)
        return response

    client.post = post_then_commit
    return client


@pytest.fixture
def docs(connection):
    return [
        store(connection, make_voucher(f"RE-{i}", invoice_date=dt.date(2026, 6, i), payments=()))
        for i in range(1, 6)
    ]


def tagged(tag: str = "DATEV") -> set[str]:
    return set(
        DocumentTag.objects.filter(tag=tag).values_list("document__source_number", flat=True)
    )


def test_it_lists_documents_across_connections_with_their_tags(
    client_alice, org, connection, docs
) -> None:
    other = Connection.objects.create(
        organisation=org, name="Second shop", source_kind="memory", target_kind="memory"
    )
    store(other, make_voucher("B-1", invoice_date=dt.date(2026, 6, 9)))
    DocumentTag.objects.create(document=docs[0], tag="DATEV")
    page = client_alice.get(reverse("exports:overview")).content.decode()
    for number in ("RE-1", "RE-5", "B-1"):
        assert number in page
    assert '<span class="badge tag">DATEV</span>' in page
    only_untagged = client_alice.get(reverse("exports:overview"), {"tagged": "untagged"})
    assert ">RE-1<" not in only_untagged.content.decode()
    assert ">RE-2<" in only_untagged.content.decode()
    by_connection = client_alice.get(reverse("exports:overview"), {"connection": other.pk})
    assert ">RE-2<" not in by_connection.content.decode()


def test_it_pages_by_keyset_with_the_total_and_first_previous_next(
    client_alice, connection, monkeypatch
) -> None:
    """GIVEN five documents, two a page WHEN alice pages forward and back THEN each page
    shows its place in the total, and the links lead through all of them and back."""
    from belegsync.exports import views

    monkeypatch.setattr(views, "PAGE_SIZE", 2)
    made = [store(connection, make_voucher(f"RE-{i}")) for i in range(5)]
    seen, url = [], reverse("exports:overview") + "?state=waiting"
    totals = []
    while url:
        response = client_alice.get(url)
        seen.append([d.pk for d in response.context["documents"]])
        totals.append(_text(response, "list-total"))
        url = _link(response, "next")
    assert seen == [[made[4].pk, made[3].pk], [made[2].pk, made[1].pk], [made[0].pk]]
    assert totals == ["Documents 1–2 of 5", "Documents 3–4 of 5", "Documents 5–5 of 5"]
    previous = client_alice.get(_link(response, "prev"))
    assert [d.pk for d in previous.context["documents"]] == [made[2].pk, made[1].pk]
    assert "state=waiting" in _link(response, "first")
    assert [d.pk for d in client_alice.get(_link(response, "first")).context["documents"]] == [
        made[4].pk,
        made[3].pk,
    ]


def test_the_export_history_pages_with_its_total(client_alice, org, monkeypatch) -> None:
    from belegsync.exports import views

    monkeypatch.setattr(views, "PAGE_SIZE", 2)
    jobs = [
        ExportJob.objects.create(organisation=org, format="csv", tag="CSV", state="done")
        for _ in range(3)
    ]
    first = client_alice.get(reverse("exports:jobs"))
    assert [j.pk for j in first.context["jobs"]] == [jobs[2].pk, jobs[1].pk]
    assert _text(first, "list-total") == "Exports 1–2 of 3"
    second = client_alice.get(_link(first, "next"))
    assert [j.pk for j in second.context["jobs"]] == [jobs[0].pk]
    assert _text(second, "list-total") == "Exports 3–3 of 3" and _link(second, "first")


def _link(response, rel: str) -> str:
    import re

    found = re.search(rf'<a href="([^"]*)" rel="{rel}"', response.content.decode())
    if not found:
        return ""
    href = found.group(1).replace("&amp;", "&")
    return response.request["PATH_INFO"] + href if href.startswith("?") else href


def _text(response, element_id: str) -> str:
    import re

    found = re.search(rf'id="{element_id}">([^<]*)<', response.content.decode())
    return found.group(1).strip() if found else ""


def test_it_exports_a_selection_and_tags_it_then_only_untagged(client_alice, org, docs) -> None:
    """GIVEN five documents WHEN two are selected and exported with "tag" THEN exactly
    those two carry the DATEV tag; "only untagged" over all five then exports three."""
    datev(org)
    dialog = client_alice.get(reverse("exports:dialog"), {"ids": [docs[0].pk, docs[1].pk]})
    assert "2 documents selected" in dialog.content.decode()
    response = client_alice.post(
        reverse("exports:dialog"),
        {"ids": [docs[0].pk, docs[1].pk], "format": "datev", "option": "tag"},
    )
    job = ExportJob.objects.get()
    assert response.status_code == 302
    assert response.url == reverse("exports:job", args=[job.pk]) + "?download=1"
    assert tagged() == {"RE-1", "RE-2"}
    assert job.user.username == "alice"

    client_alice.post(
        reverse("exports:dialog"), {"all": "1", "format": "datev", "option": "only_untagged"}
    )
    second = ExportJob.objects.order_by("-id").first()
    assert second.exported_count == 3
    assert tagged() == {"RE-1", "RE-2"}  # "only untagged" exports, it does not tag
    download = client_alice.get(reverse("exports:download", args=[second.pk]))
    body = b"".join(download.streaming_content)
    assert b'"RE-3"' in body and b'"RE-1"' not in body
    assert download["Content-Disposition"].startswith("attachment")


def test_it_exports_all_documents_matching_the_filter(client_alice, org, docs) -> None:
    datev(org)
    client_alice.post(
        reverse("exports:dialog"),
        {"all": "1", "from": "2026-06-02", "to": "2026-06-04", "format": "datev", "option": "tag"},
    )
    assert tagged() == {"RE-2", "RE-3", "RE-4"}
    job = ExportJob.objects.get()
    assert job.criteria["date_from"] == "2026-06-02"
    header = job.path.read_bytes().split(b"\r\n")[0].split(b";")
    assert (header[14], header[15]) == (b"20260602", b"20260604")


def test_the_history_shows_the_job_and_offers_the_file_again(client_alice, org, docs) -> None:
    datev(org)
    client_alice.post(reverse("exports:dialog"), {"all": "1", "format": "csv-excel", "option": ""})
    job = ExportJob.objects.get()
    history = client_alice.get(reverse("exports:jobs")).content.decode()
    assert reverse("exports:download", args=[job.pk]) in history
    assert "alice" in history
    detail = client_alice.get(reverse("exports:job", args=[job.pk])).content.decode()
    assert 'id="exported-count">5<' in detail
    assert not DocumentTag.objects.exists()


def test_the_job_page_lists_left_out_documents_and_mapped_numbers(
    client_alice, org, connection
) -> None:
    datev(org)
    store(connection, make_voucher("RE 1.5", payments=()))
    store(connection, make_voucher("RE-USD", currency="USD"))
    client_alice.post(reverse("exports:dialog"), {"all": "1", "format": "datev", "option": "tag"})
    job = ExportJob.objects.get()
    page = client_alice.get(reverse("exports:job", args=[job.pk])).content.decode()
    assert "RE-USD" in page and "The document is in USD; the DATEV export needs" in page
    client_alice.post("/i18n/setlang/", {"language": "de", "next": "/"})
    german = client_alice.get(reverse("exports:job", args=[job.pk])).content.decode()
    assert "Der Beleg ist in USD; der DATEV-Export braucht den Betrag in Euro" in german
    assert "RE 1.5" in page and job.summary["number_map"][0]["belegfeld1"] in page
    assert tagged() == {"RE 1.5"}


def test_a_failed_export_says_why(client_alice, docs) -> None:
    client_alice.post(reverse("exports:dialog"), {"all": "1", "format": "datev", "option": "tag"})
    job = ExportJob.objects.get()
    assert job.state == ExportJob.State.FAILED
    page = client_alice.get(reverse("exports:job", args=[job.pk])).content.decode()
    assert "Set up the DATEV settings first" in page
    assert not DocumentTag.objects.exists()
    client_alice.post("/i18n/setlang/", {"language": "de", "next": "/"})
    german = client_alice.get(reverse("exports:job", args=[job.pk])).content.decode()
    assert "Richte zuerst die DATEV-Einstellungen ein" in german


def test_another_organisation_sees_nothing(client, bob, org, docs) -> None:
    datev(org)
    job_client = client
    job_client.force_login(bob)
    page = job_client.get(reverse("exports:overview")).content.decode()
    assert "RE-1" not in page
    job_client.post(
        reverse("exports:dialog"),
        {"ids": [d.pk for d in docs], "format": "csv", "option": "tag"},
    )
    job = ExportJob.objects.get()
    assert job.exported_count == 0 and not DocumentTag.objects.exists()
    assert (
        job_client.get(
            reverse("exports:overview"), {"connection": docs[0].connection_id}
        ).status_code
        == 404
    )


def test_bob_cannot_download_alices_export(client, alice, bob, org, docs) -> None:
    datev(org)
    client.force_login(alice)
    client.post(reverse("exports:dialog"), {"all": "1", "format": "csv", "option": ""})
    job = ExportJob.objects.get()
    client.force_login(bob)
    assert client.get(reverse("exports:download", args=[job.pk])).status_code == 404
    assert client.get(reverse("exports:job", args=[job.pk])).status_code == 404


def test_the_datev_settings_form_checks_the_numbers(client_alice, org, tmp_path) -> None:
    url = reverse("exports:format_settings", args=["datev"])
    bad = client_alice.post(
        url,
        {
            "consultant_number": "99",
            "client_number": "1",
            "fiscal_year_start_month": "1",
            "account_length": "4",
            "chart": "03",
            "debtor_mode": "collective",
            "revenue_accounts": "{}",
            "payment_accounts": "{}",
        },
    )
    assert bad.status_code == 200 and "1001" in bad.content.decode()
    good = client_alice.post(
        url,
        {
            "consultant_number": "4711",
            "client_number": "1001",
            "fiscal_year_start_month": "7",
            "account_length": "4",
            "chart": "04",
            "debtor_mode": "collective",
            "revenue_accounts": '{"domestic:0": 4100}',
            "payment_accounts": "{}",
        },
    )
    assert good.status_code == 302
    org.refresh_from_db()
    assert (org.datev_consultant_number, org.datev_client_number) == (4711, 1001)
    stored = DatevExporter(format_settings(org, "datev"), org.advisor).writer(
        tmp_path, created_at=timezone.localtime(), period=None
    )
    settings = stored.writer.settings
    assert settings.chart == "04" and settings.fiscal_year_start_month == 7
    assert settings.revenue_account("domestic:0") == 4100
    assert settings.revenue_account("domestic:19") == 4400


def test_export_and_download_starts_the_download_on_the_job_page(client_alice, org, docs) -> None:
    """GIVEN a selection WHEN "Export and download" is pressed THEN the browser lands on the
    job page with the counts, which starts the download of the file at once."""
    response = client_alice.post(
        reverse("exports:dialog"), {"all": "1", "format": "csv", "option": ""}, follow=True
    )
    job = ExportJob.objects.get()
    page = response.content.decode()
    download = reverse("exports:download", args=[job.pk])
    assert f'<meta http-equiv="refresh" content="0; url={download}">' in page
    assert 'id="download-starts"' in page and "5 documents exported, 0 left out." in page
    body = b"".join(client_alice.get(download).streaming_content)
    assert b"RE-5" in body
    later = client_alice.get(reverse("exports:job", args=[job.pk])).content.decode()
    assert "http-equiv" not in later  # only right after the export, not on every visit


def test_only_untagged_counts_the_documents_it_leaves_out_for_their_tag(
    client_alice, org, connection, docs
) -> None:
    """GIVEN six documents, five of them exported as CSV before WHEN "only without the tag"
    exports all six THEN one is exported and five are counted as left out, saying why."""
    sixth = store(connection, make_voucher("RE-6", invoice_date=dt.date(2026, 6, 6), payments=()))
    for document in docs:
        DocumentTag.objects.create(document=document, tag="CSV")
    client_alice.post("/i18n/setlang/", {"language": "de", "next": "/"})
    response = client_alice.post(
        reverse("exports:dialog"),
        {"all": "1", "format": "csv", "option": "only_untagged"},
        follow=True,
    )
    job = ExportJob.objects.get()
    assert (job.exported_count, job.left_out_count) == (1, 5)
    assert list(job.documents.values_list("pk", flat=True)) == [sixth.pk]
    page = response.content.decode()
    assert "1 Beleg exportiert, 5 ausgelassen (5 davon tragen schon das Kennzeichen CSV)." in page
    assert 'id="left-out-count">5<' in page


def test_a_pdf_zip_without_a_single_pdf_is_not_offered(client_alice, org, docs) -> None:
    """GIVEN documents without PDFs WHEN they are exported as a PDF ZIP THEN no (empty)
    ZIP is offered for download, and the page says why."""
    response = client_alice.post(
        reverse("exports:dialog"), {"all": "1", "format": "pdf-zip", "option": "tag"}, follow=True
    )
    job = ExportJob.objects.get()
    assert job.state == ExportJob.State.DONE and not job.file_path
    assert (job.exported_count, job.left_out_count) == (0, 5)
    page = response.content.decode()
    assert "none of the selected documents has a PDF" in page
    assert "http-equiv" not in page and 'id="download"' not in page
    assert client_alice.get(reverse("exports:download", args=[job.pk])).status_code == 404
    assert not DocumentTag.objects.exists()


def test_the_job_page_follows_a_running_export_and_reloads_when_it_is_ready(
    client, alice, org, docs
) -> None:
    """GIVEN an export queued from the dialog, its task not run yet
    WHEN alice lands on its job page
    THEN the page says it waits and asks for its progress; once a worker has written the
    file, the progress answer reloads the page, which starts the download."""
    from belegsync.exports.service import run_queued

    client.force_login(alice)
    response = client.post(reverse("exports:dialog"), {"all": "1", "format": "csv"})
    job = ExportJob.objects.get()
    assert job.state == ExportJob.State.QUEUED  # the task runs after the commit
    assert response.url == reverse("exports:job", args=[job.pk]) + "?download=1"
    page = client.get(response.url).content.decode()
    progress = reverse("exports:job_progress", args=[job.pk])
    assert f'hx-get="{progress}?download=1"' in page and "http-equiv" not in page
    waiting = client.get(progress, HTTP_HX_REQUEST="true")
    assert "HX-Refresh" not in waiting and "Waiting to start" in waiting.content.decode()
    run_queued(job.pk)
    assert run_queued(job.pk) is None  # a task delivered twice writes the job once
    ready = client.get(progress, HTTP_HX_REQUEST="true")
    assert ready["HX-Refresh"] == "true"
    page = client.get(response.url).content.decode()
    assert "5 documents exported, 0 left out." in page
    download = reverse("exports:download", args=[job.pk])
    assert f'<meta http-equiv="refresh" content="0; url={download}">' in page
    assert "hx-get" not in page


def test_a_queued_excel_export_speaks_the_language_it_was_started_in(client, alice, docs):
    """GIVEN alice starts a CSV for Excel in the German UI
    WHEN a worker, whose language is the default, runs the queued job
    THEN the file's headers and words are German, as she reads them."""
    from belegsync.exports.service import run_queued

    client.force_login(alice)
    client.post("/i18n/setlang/", {"language": "de", "next": "/"})
    client.post(reverse("exports:dialog"), {"all": "1", "format": "csv-excel"})
    job = ExportJob.objects.get()
    translation.deactivate()  # the worker's thread
    run_queued(job.pk)
    job.refresh_from_db()
    header, first = job.path.read_bytes().decode("utf-8-sig").split("\r\n")[:2]
    assert header.startswith("Rechnungsnummer;Belegart;Rechnungsdatum;")
    assert ";Rechnung;" in first
