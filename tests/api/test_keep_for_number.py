"""/documents/{id}/keep: "keep this one" over HTTP, as the document page offers it."""

from __future__ import annotations

from belegsync.api import tokens
from belegsync.bookkeeping import Party
from belegsync.connectors.base import SourceDocument
from belegsync.documents.models import Document, NumberConflict
from belegsync.services import Actor
from belegsync.sync.ingest import store_all
from tests.conftest import make_voucher

from .conftest import ApiClient


def _held(connection) -> Document:
    """RE-1 came twice from the shop system, as orders 111 and 222."""
    for order_id, buyer in (("111", "Erika Mustermann"), ("222", "Max Muster")):
        voucher = make_voucher("RE-1", party=Party(name=buyer))
        store_all(connection, [SourceDocument(voucher, source_id=order_id)])
    return Document.objects.get(source_number="RE-1")


def test_the_detail_lists_the_documents_that_share_the_number(as_alice, connection):
    document = _held(connection)
    competing = as_alice.get(f"/documents/{document.pk}").json()["competing"]
    assert [(c["source_id"], c["state"], c["currency"]) for c in competing] == [
        ("111", "open", "EUR"),
        ("222", "open", "EUR"),
    ]
    assert competing[0]["total_gross"] == "44.95"


def test_keeping_one_sends_it_and_skips_the_other(as_alice, alice, connection):
    document = _held(connection)
    answer = as_alice.post(f"/documents/{document.pk}/keep", {"source_id": "222"})
    assert answer.status_code == 200, answer.json()
    assert answer.json()["ok"] and answer.json()["state"] == "waiting"
    rows = dict(NumberConflict.objects.values_list("source_id", "skipped_reason"))
    assert rows == {"111": "number_conflict_skipped", "222": ""}
    competing = as_alice.get(f"/documents/{document.pk}").json()["competing"]
    assert [(c["source_id"], c["state"]) for c in competing] == [
        ("111", "skipped"),
        ("222", "kept"),
    ]
    assert {c["decided_by"] for c in competing} == {f"{alice.get_username()} (API: cron)"}


def test_a_stranger_id_is_refused_and_changes_nothing(as_alice, connection):
    document = _held(connection)
    answer = as_alice.post(f"/documents/{document.pk}/keep", {"source_id": "999"})
    assert answer.status_code == 409
    assert "999" in answer.json()["detail"]
    assert not NumberConflict.objects.exclude(skipped_reason="").exists()


def test_another_organisation_cannot_see_or_keep(as_bob, connection):
    document = _held(connection)
    answer = as_bob.post(f"/documents/{document.pk}/keep", {"source_id": "222"})
    assert answer.status_code == 404
    assert not NumberConflict.objects.exclude(skipped_reason="").exists()


def test_a_document_without_a_shared_number_has_no_choice(as_alice, connection):
    voucher = make_voucher("RE-2")
    store_all(connection, [SourceDocument(voucher, source_id="333")])
    document = Document.objects.get(source_number="RE-2")
    assert as_alice.get(f"/documents/{document.pk}").json()["competing"] == []


def test_a_tax_advisor_sees_the_choice_but_cannot_make_it(tax_advisor, connection):
    document = _held(connection)
    as_theo = ApiClient(tokens.issue(Actor.of(tax_advisor), "theo's tool")[1])
    assert len(as_theo.get(f"/documents/{document.pk}").json()["competing"]) == 2
    answer = as_theo.post(f"/documents/{document.pk}/keep", {"source_id": "222"})
    assert answer.status_code == 403
    assert not NumberConflict.objects.exclude(skipped_reason="").exists()
