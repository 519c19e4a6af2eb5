"""/documents: the web's lists and actions over HTTP, scoped to the token's organisation."""

from __future__ import annotations

import datetime as dt

from belegsync.documents.models import Connection, DocumentFile, Event
from tests.web.helpers import failed, make_document


def _bobs_connection(other_org):
    return Connection.objects.create(
        organisation=other_org, name="Bob's", source_kind="memory", target_kind="memory"
    )


def test_it_lists_the_organisations_documents_newest_first(as_alice, connection, other_org):
    first = make_document(connection, "RE-1")
    second = make_document(connection, "RE-2")
    make_document(_bobs_connection(other_org), "BOB-1")
    body = as_alice.get("/documents").json()
    assert [d["id"] for d in body["items"]] == [second.pk, first.pk]
    assert body["next_after"] is None
    item = body["items"][0]
    assert item["number"] == "RE-2" and item["total_gross"] == "44.95"
    assert item["connection"] == {"id": connection.pk, "name": connection.name}


def test_it_pages_by_cursor_without_gaps_or_repeats(as_alice, connection):
    made = [make_document(connection, f"RE-{i}").pk for i in range(7)]
    seen, after = [], None
    while True:
        params = {"limit": 3} | ({"after": after} if after else {})
        body = as_alice.get("/documents", **params).json()
        seen += [d["id"] for d in body["items"]]
        after = body["next_after"]
        if after is None:
            break
    assert seen == sorted(made, reverse=True)


def test_it_filters_like_the_web_lists(as_alice, connection):
    failed(connection, "RE-10", invoice_date=dt.date(2026, 10, 5))
    make_document(connection, "RE-11", invoice_date=dt.date(2026, 11, 5))
    make_document(connection, "GS-12", kind="credit_note", invoice_date=dt.date(2026, 11, 6))

    def numbers(**params):
        return [d["number"] for d in as_alice.get("/documents", **params).json()["items"]]

    assert numbers(state="failed") == ["RE-10"]
    assert numbers(number="re-1") == ["RE-11", "RE-10"]
    assert numbers(**{"from": "2026-11-01"}) == ["GS-12", "RE-11"]
    assert numbers(to="2026-10-31") == ["RE-10"]
    assert numbers(connection=connection.pk) == ["GS-12", "RE-11", "RE-10"]


def test_a_credit_note_is_negative_as_in_the_bookkeeping(as_alice, connection):
    note = make_document(connection, "GS-1", kind="credit_note")
    item = as_alice.get("/documents").json()["items"][0]
    assert (item["kind"], item["total_gross"], item["total_net"]) == (
        "credit_note",
        "-44.95",
        "-37.77",
    )
    groups = as_alice.get(f"/documents/{note.pk}").json()["tax_groups"]
    assert groups == [{"rate": "19", "net": "-37.77", "gross": "-44.95", "lines": 2}]


def test_another_organisations_documents_are_not_found(as_bob, connection):
    document = failed(connection)
    assert as_bob.get("/documents").json()["items"] == []
    for answer in (
        as_bob.get(f"/documents/{document.pk}"),
        as_bob.get(f"/documents/{document.pk}/pdf"),
        as_bob.post(f"/documents/{document.pk}/reset"),
        as_bob.get("/documents", connection=connection.pk),
    ):
        assert answer.status_code == 404
        assert answer.json()["code"] == "not_found"
    body = as_bob.post("/documents/actions", {"action": "reset", "ids": [document.pk]}).json()
    assert body == {"outcomes": [], "not_found": [document.pk]}
    document.refresh_from_db()
    assert document.state == "failed"


def test_the_detail_has_failure_history_and_allowed_actions(as_alice, connection):
    document = failed(connection, "RE-7")
    Event.objects.create(document=document, actor="system", action="import", to_state="waiting")
    body = as_alice.get(f"/documents/{document.pk}", headers={"Accept-Language": "en"}).json()
    assert body["failure"]["category"] == "rejected"
    assert body["failure"]["reasons"][0]["code"] == "remote.rejected"
    assert body["failure"]["message"]
    assert body["raw_error"].startswith('{"IssueList"')
    assert body["actions"] == ["reset", "mark_manually_imported", "reupload"]
    assert [h["action"] for h in body["history"]] == ["import"]
    assert body["history"][0]["who"] and body["history"][0]["text"]
    assert body["has_pdf"] is False


def test_texts_follow_the_requested_language(as_alice, connection):
    document = failed(connection, "RE-7")
    german = as_alice.client.get(
        f"/api/v1/documents/{document.pk}",
        headers={**as_alice.headers, "Accept-Language": "de"},
    ).json()
    english = as_alice.client.get(
        f"/api/v1/documents/{document.pk}",
        headers={**as_alice.headers, "Accept-Language": "en"},
    ).json()
    assert german["failure"]["title"] != english["failure"]["title"]
    assert german["failure"]["category"] == english["failure"]["category"] == "rejected"


def test_it_serves_the_pdf(as_alice, connection):
    document = make_document(connection, "RE-5", state="done")
    DocumentFile.store(document, b"%PDF-1.4 test", "RE-5.pdf")
    answer = as_alice.get(f"/documents/{document.pk}/pdf")
    assert answer.status_code == 200 and answer["Content-Type"] == "application/pdf"
    assert answer.content == b"%PDF-1.4 test"
    assert as_alice.get(f"/documents/{document.pk}").json()["has_pdf"] is True


def test_a_document_without_pdf_is_a_problem_not_found(as_alice, connection):
    document = make_document(connection)
    answer = as_alice.get(f"/documents/{document.pk}/pdf")
    assert answer.status_code == 404 and answer["Content-Type"] == "application/problem+json"


def test_it_resets_a_failed_document_and_records_who_acted(as_alice, connection, alice):
    document = failed(connection)
    answer = as_alice.post(f"/documents/{document.pk}/reset")
    assert answer.status_code == 200
    assert answer.json() == {
        "id": document.pk,
        "number": "RE-1001",
        "ok": True,
        "state": "waiting",
        "message": answer.json()["message"],
    }
    event = document.events.get(action="reset")
    assert event.user == alice


def test_a_refused_action_is_a_conflict_with_the_reason(as_alice, connection):
    document = make_document(connection, state="waiting")
    answer = as_alice.post(f"/documents/{document.pk}/mark_manually_imported")
    assert answer.status_code == 409
    problem = answer.json()
    assert problem["code"] == "action_refused" and "RE-1001" in problem["detail"]
    document.refresh_from_db()
    assert document.state == "waiting"


def test_bulk_actions_report_each_document(as_alice, connection):
    one = failed(connection, "RE-1")
    two = make_document(connection, "RE-2", state="waiting")
    body = as_alice.post(
        "/documents/actions", {"action": "mark_manually_imported", "ids": [one.pk, two.pk, 999]}
    ).json()
    assert [(o["number"], o["ok"], o["state"]) for o in body["outcomes"]] == [
        ("RE-1", True, "manual"),
        ("RE-2", False, "waiting"),
    ]
    assert body["not_found"] == [999]


def test_bad_input_names_the_field(as_alice, connection):
    answer = as_alice.get("/documents", state="lost", limit=0)
    assert answer.status_code == 422
    problem = answer.json()
    assert problem["code"] == "invalid"
    assert {(e["where"], e["field"]) for e in problem["errors"]} == {
        ("query", "state"),
        ("query", "limit"),
    }
    answer = as_alice.post("/documents/actions", {"action": "delete", "ids": []})
    assert {e["field"] for e in answer.json()["errors"]} == {"action", "ids"}
    assert as_alice.post("/documents/1/delete").status_code == 422
