"""/imports: an uploaded file becomes an import job; its result says what became of each row."""

from __future__ import annotations

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import override_settings
from django.utils import translation

from belegsync.connectors.reasons import Reason
from belegsync.documents.models import Connection
from belegsync.reasons import file_problem, render
from belegsync.sync.models import ImportJob
from tests.sources.afterbuy.corpus import SAMPLE_UTF8, broken_files


@pytest.fixture
def afterbuy(org):
    return Connection.objects.create(
        organisation=org,
        name="Afterbuy → Books",
        source_kind="afterbuy_csv",
        target_kind="memory",
        credentials={"target": {"account": "books"}},
        settings={"transfer_pdf": False},
    )


def _upload(client, connection, content=None, **fields):
    file = SimpleUploadedFile("Rechnungsliste.csv", content or SAMPLE_UTF8.read_bytes())
    return client.post("/imports", data={"connection": connection.pk, "file": file, **fields})


def test_an_upload_becomes_a_job_that_reports_each_outcome(
    as_alice, afterbuy, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        answer = _upload(as_alice, afterbuy)
    assert answer.status_code == 202
    job = answer.json()
    assert job["filename"] == "Rechnungsliste.csv" and job["connection"]["id"] == afterbuy.pk
    done = as_alice.get(f"/imports/{job['id']}").json()
    assert done["state"] == "done" and done["finished"] is True
    # every row of the sample is stored: as new, or as failed where its voucher does not add up
    counts = done["counts"]
    assert counts["created"] + counts["failed"] == 10 and counts["created"] >= 8
    assert len(done["numbers"]["created"]) == counts["created"]
    assert [j["id"] for j in as_alice.get("/imports").json()["items"]] == [job["id"]]


def test_a_connection_that_takes_no_files_refuses_the_upload(as_alice, connection):
    answer = _upload(as_alice, connection)
    assert answer.status_code == 422
    assert answer.json()["code"] == "upload_refused"
    assert answer.json()["errors"][0]["field"] == "file"
    assert not ImportJob.objects.exists()


@override_settings(BELEGSYNC_IMPORT_MAX_BYTES=100)
def test_a_file_over_the_limit_is_refused_and_nothing_kept(as_alice, afterbuy):
    answer = _upload(as_alice, afterbuy)
    assert answer.status_code == 413 and answer.json()["code"] == "upload_too_large"
    assert not ImportJob.objects.exists()


def test_another_organisations_connection_and_jobs_are_not_found(as_alice, as_bob, afterbuy):
    assert _upload(as_bob, afterbuy).status_code == 404
    job = _upload(as_alice, afterbuy).json()
    assert as_bob.get(f"/imports/{job['id']}").status_code == 404
    assert as_bob.get("/imports").json()["items"] == []


def test_a_missing_file_or_field_is_named(as_alice, afterbuy):
    answer = as_alice.post("/imports", data={"connection": afterbuy.pk})
    assert answer.status_code == 422
    assert {e["field"] for e in answer.json()["errors"]} == {"file"}
    answer = as_alice.post("/imports", data={"file": SimpleUploadedFile("a.csv", b"x")})
    assert {e["field"] for e in answer.json()["errors"]} == {"connection"}


def _upload_in(client, connection, content, language):
    file = SimpleUploadedFile("Rechnungsliste.csv", content)
    return client.client.post(
        "/api/v1/imports",
        {"connection": connection.pk, "file": file},
        headers={**client.headers, "Accept-Language": language},
    )


def test_a_rejected_row_comes_as_a_code_with_its_parameters_and_the_words_of_the_page(
    as_alice, afterbuy, django_capture_on_commit_callbacks
):
    """GIVEN a Rechnungsliste with a bad amount in one row WHEN its job is read in German
    and in English THEN the row's problem is its code and parameters, and its text in the
    request's language, as the upload page words it (line, column, value, what to do)."""
    with django_capture_on_commit_callbacks(execute=True):
        job = _upload_in(as_alice, afterbuy, broken_files()["bad_number"], "de").json()
    read = {
        language: as_alice.client.get(
            f"/api/v1/imports/{job['id']}",
            headers={**as_alice.headers, "Accept-Language": language},
        ).json()
        for language in ("de", "en")
    }
    stored = ImportJob.objects.get(pk=job["id"]).problems[0]
    for language, answer in read.items():
        [problem] = answer["problems"]
        assert problem["line"] == 4 and problem["column"] == "Bereits bezahlt"
        assert problem["reason"]["code"] == "csv.not_a_number"
        assert problem["reason"]["params"] == stored.get("params", {})
        with translation.override(language):
            assert problem["message"] == file_problem(stored)
            assert problem["reason"]["text"] == render(Reason.from_json(stored))
    german, english = (read[lang]["problems"][0] for lang in ("de", "en"))
    assert german["message"].startswith("Zeile 4, Spalte „Bereits bezahlt“")
    assert german["message"] != english["message"]
    assert read["de"]["file_error"] == "" and read["de"]["file_error_reason"] is None


def test_a_file_that_cannot_be_read_says_why_as_a_code_and_in_words(
    as_alice, afterbuy, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        job = _upload_in(as_alice, afterbuy, broken_files()["missing_column"], "de").json()
    answer = as_alice.client.get(
        f"/api/v1/imports/{job['id']}", headers={**as_alice.headers, "Accept-Language": "de"}
    ).json()
    stored = ImportJob.objects.get(pk=job["id"]).file_error
    assert answer["file_error_reason"]["code"] == "csv.missing_columns"
    with translation.override("de"):
        assert answer["file_error"] == file_problem(stored) != ""
        assert answer["file_error_reason"]["text"] == render(Reason.from_json(stored))


def test_a_failed_import_is_tried_again_and_a_finished_one_is_refused(
    as_alice, as_bob, afterbuy, django_capture_on_commit_callbacks
):
    """GIVEN an import whose worker was lost WHEN it is retried over the API THEN its file
    is read again to the end; a done import is refused with 409, another's is 404."""
    from belegsync.sync import imports

    with django_capture_on_commit_callbacks(execute=True):
        job = _upload(as_alice, afterbuy).json()
    assert as_alice.post(f"/imports/{job['id']}/retry").json()["code"] == "import_not_failed"
    ImportJob.objects.filter(pk=job["id"]).update(
        state=ImportJob.State.FAILED, file_error=imports.WorkerLost(3, "killed").as_dict()
    )
    assert as_bob.post(f"/imports/{job['id']}/retry").status_code == 404
    with django_capture_on_commit_callbacks(execute=True):
        answer = as_alice.post(f"/imports/{job['id']}/retry")
    assert answer.status_code == 202
    done = as_alice.get(f"/imports/{job['id']}").json()
    assert done["state"] == "done" and done["file_error"] == ""
    assert done["counts"]["created"] + done["counts"]["unchanged"] + done["counts"]["failed"] >= 10
