"""/exports, /reports/month and a document's preview over HTTP."""

from __future__ import annotations

import datetime as dt

from django.utils import translation

from belegsync.connectors.reasons import Reason
from belegsync.exports.models import DocumentTag, ExportJob
from belegsync.reasons import render
from tests.web.helpers import failed, make_document


def test_it_exports_csv_tags_and_serves_the_file(as_alice, connection):
    done = make_document(connection, "RE-1", state="done")
    make_document(connection, "RE-2", state="waiting")
    answer = as_alice.post("/exports", {"format": "csv", "option": "tag", "state": "done"})
    assert answer.status_code == 201
    job = answer.json()
    assert (job["state"], job["exported"], job["left_out"]) == ("done", 1, 0)
    assert DocumentTag.objects.filter(document=done, tag="CSV").exists()
    file = as_alice.get(f"/exports/{job['id']}/file")
    assert file.status_code == 200 and b"RE-1" in b"".join(file.streaming_content)
    assert [j["id"] for j in as_alice.get("/exports").json()["items"]] == [job["id"]]


def test_exports_stay_in_their_organisation(as_alice, as_bob, connection):
    make_document(connection, "RE-1", state="done")
    mine = as_alice.post("/exports", {"format": "csv"}).json()
    assert as_bob.get(f"/exports/{mine['id']}").status_code == 404
    assert as_bob.get(f"/exports/{mine['id']}/file").status_code == 404
    theirs = as_bob.post("/exports", {"format": "csv"}).json()
    assert theirs["exported"] == 0
    refused = as_bob.post("/exports", {"format": "csv", "connections": [connection.pk]})
    assert refused.status_code == 404


def test_an_unknown_format_is_named(as_alice):
    answer = as_alice.post("/exports", {"format": "xlsx"})
    assert answer.status_code == 422
    assert [e["field"] for e in answer.json()["errors"]] == ["format"]


def test_the_month_report_says_whether_the_month_is_complete(as_alice, connection):
    november = dt.date(2026, 11, 3)
    make_document(connection, "RE-1", state="done", invoice_date=november)
    failed(connection, "RE-3", invoice_date=november)
    body = as_alice.get("/reports/month", month="2026-11").json()
    assert body["complete"] is False and body["total"] == 2 and body["booked"] == 1
    assert {s["state"]: s["documents"] for s in body["states"]} == {"done": 1, "failed": 1}
    assert [o["number"] for o in body["outstanding"]] == ["RE-3"]
    assert body["gaps"] == [{"first": "RE-2", "last": "RE-2", "count": 1}]
    assert as_alice.get("/reports/month", month="2026-13").status_code == 422


def test_the_month_reports_sums_are_per_currency(as_alice, connection):
    """GIVEN a month with EUR and CHF documents WHEN its report is read over the API
    THEN a state's gross is its EUR sum only, and currencies/totals list every currency."""
    from tests.documents.test_report import eur_and_chf_month

    eur_and_chf_month(connection)
    body = as_alice.get("/reports/month", month="2026-11").json()
    failed = next(s for s in body["states"] if s["state"] == "failed")
    assert (failed["documents"], failed["gross"]) == (3, "44.95")
    assert failed["currencies"] == [
        {"currency": "EUR", "documents": 1, "gross": "44.95"},
        {"currency": "CHF", "documents": 2, "gross": "89.90"},
    ]
    done = next(s for s in body["states"] if s["state"] == "done")
    assert done["currencies"][1] == {"currency": "CHF", "documents": 1, "gross": "-44.95"}
    assert body["totals"] == [
        {"currency": "EUR", "documents": 2, "gross": "89.90"},
        {"currency": "CHF", "documents": 3, "gross": "44.95"},
    ]


def test_the_month_report_of_another_organisations_connection_is_not_found(as_bob, connection):
    answer = as_bob.get("/reports/month", month="2026-11", connection=connection.pk)
    assert answer.status_code == 404


def test_the_preview_shows_the_targets_request_and_sends_nothing(as_alice, connection):
    document = make_document(connection, "RE-9")
    body = as_alice.get(f"/documents/{document.pk}/preview").json()
    assert body["document"] == "RE-9"
    assert body["request"] is not None and body.get("errors") is None
    document.refresh_from_db()
    assert document.state == "waiting" and not document.remote_id


def test_why_a_document_was_left_out_comes_as_codes_and_in_the_requests_language(
    as_alice, connection
):
    """GIVEN a done document without its PDF WHEN it is exported as a PDF ZIP THEN the job
    says why it was left out as a reason code with its text, in German when asked so."""
    make_document(connection, "RE-1", state="done")
    answer = as_alice.client.post(
        "/api/v1/exports",
        {"format": "pdf-zip"},
        content_type="application/json",
        headers={**as_alice.headers, "Accept-Language": "de"},
    ).json()
    [entry] = answer["left_out_documents"]
    [reason] = entry["reasons"]
    stored = ExportJob.objects.get(pk=answer["id"]).summary["left_out"][0]
    assert reason["code"] == stored["reasons"][0]["code"]
    assert entry["number"] == "RE-1" and entry["reason"] == reason["text"]
    assert entry["reason"] != stored["reason"]  # the German words, not the English note
    with translation.override("de"):
        assert reason["text"] == render(Reason.from_json(stored["reasons"][0]))
    assert answer["error_reasons"] == []


def test_a_failed_export_says_why_as_codes_and_in_words(as_alice, connection):
    make_document(connection, "RE-1", state="done")
    answer = as_alice.post("/exports", {"format": "datev"}).json()
    assert answer["state"] == "failed"
    [reason] = answer["error_reasons"]
    assert reason["code"] and reason["text"] and answer["error"] == reason["text"]


def test_a_queued_export_is_written_by_a_worker_and_polled(
    as_alice, connection, django_capture_on_commit_callbacks
):
    make_document(connection, "RE-1", state="done")
    with django_capture_on_commit_callbacks() as queued_tasks:
        answer = as_alice.client.post(
            "/api/v1/exports?queued=true",
            {"format": "csv"},
            content_type="application/json",
            headers=as_alice.headers,
        )
    assert answer.status_code == 202 and answer.json()["state"] == "queued"
    job = answer.json()["id"]
    assert as_alice.get(f"/exports/{job}/file").status_code == 404  # nothing written yet
    for run in queued_tasks:  # the worker (here: the immediate task backend)
        run()
    done = as_alice.get(f"/exports/{job}").json()
    assert (done["state"], done["exported"]) == ("done", 1)
    assert as_alice.get(f"/exports/{job}/file").status_code == 200
