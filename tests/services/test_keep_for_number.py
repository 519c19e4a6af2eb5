""" "Keep this one": the merchant chooses which of two shop documents with one invoice
number is sent; the other is skipped with a reason code (docs/bookkeeping.md, "One
number, one document")."""

from __future__ import annotations

import pytest
from django.utils import translation

from belegsync.bookkeeping import Party
from belegsync.connectors.base import SourceDocument
from belegsync.documents.models import Document, Event, NumberConflict
from belegsync.documents.states import State
from belegsync.reasons.history import entry
from belegsync.reasons.render import render_all
from belegsync.services import Actor
from belegsync.services import documents as services
from belegsync.services.actor import NotAllowed
from belegsync.sync.cycle import run_cycle
from belegsync.sync.ingest import store_all
from belegsync.targets.memory import Account, MemoryTarget
from tests.conftest import make_voucher

pytestmark = pytest.mark.django_db


def account() -> Account:
    return MemoryTarget.accounts.setdefault("alice-books", Account())


def order(order_id: str, buyer: str, number: str = "RE-1") -> SourceDocument:
    return SourceDocument(make_voucher(number, party=Party(name=buyer)), source_id=order_id)


def held(connection) -> Document:
    store_all(connection, [order("111", "Erika Mustermann")])
    store_all(connection, [order("222", "Max Muster")])
    document = Document.objects.get(source_number="RE-1")
    assert document.state == State.FAILED
    return document


def test_keeping_the_second_sends_it_and_skips_the_first(connection, alice):
    """GIVEN RE-1 held for orders 111 and 222 WHEN the merchant keeps 222 THEN RE-1 carries
    222's data, waits and is sent once; 111 is skipped with its reason code, and the
    history names the choice and who made it."""
    document = held(connection)
    outcome = services.keep_for_number(Actor.of(alice), document, "222")
    assert outcome.ok
    document.refresh_from_db()
    assert (document.state, document.source_id) == (State.WAITING, "222")
    assert document.voucher["party"]["name"] == "Max Muster"
    rows = dict(NumberConflict.objects.values_list("source_id", "skipped_reason"))
    assert rows == {"111": "number_conflict_skipped", "222": ""}
    event = Event.objects.get(document=document, action="number_conflict_kept")
    assert event.actor == alice.get_username() and event.detail["kept"] == "222"
    with translation.override("de"):
        line = entry(event.action, event.detail, event.message)
        [why] = render_all(line.reasons)
    assert why.startswith("Auf deine Wahl übersprungen: Die Belege 111 deines Shopsystems")
    run_cycle(connection.pk, "worker-1", fetch_first=False)
    assert account().creates == ["RE-1"]


def test_a_skipped_order_sent_again_changes_nothing(connection, alice):
    document = held(connection)
    services.keep_for_number(Actor.of(alice), document, "111")
    newer = SourceDocument(
        make_voucher("RE-1", party=Party(name="Max Muster"), shop="ebay"), source_id="222"
    )
    report = store_all(connection, [newer])
    assert report.failed == 0
    document.refresh_from_db()
    assert (document.state, document.source_id) == (State.WAITING, "111")
    skipped = NumberConflict.objects.get(source_id="222")
    assert skipped.voucher["shop"] == "ebay"  # its newest data is kept on its row
    # a third order with the number is a new conflict: held again, naming 111 and 333
    store_all(connection, [order("333", "Third Buyer")])
    document.refresh_from_db()
    assert document.state == State.FAILED
    assert document.failures[0].params["source_ids"] == ["111", "333"]


def test_keeping_the_documents_own_keeps_its_newest_data(connection, alice):
    document = held(connection)
    services.keep_for_number(Actor.of(alice), document, "111")
    document.refresh_from_db()
    assert document.voucher["party"]["name"] == "Erika Mustermann"
    assert document.state == State.WAITING


def test_it_refuses_what_it_cannot_do_and_changes_nothing(connection, alice, tax_advisor, bob):
    document = held(connection)
    with pytest.raises(NotAllowed):
        services.keep_for_number(Actor.of(tax_advisor), document, "222")  # reads only
    with pytest.raises(NotAllowed):
        services.keep_for_number(Actor.of(bob), document, "222")  # another organisation
    outcome = services.keep_for_number(Actor.of(alice), document, "999")
    assert not outcome.ok and "999" in outcome.message
    assert not NumberConflict.objects.exclude(skipped_reason="").exists()
    Document.objects.filter(pk=document.pk).update(state=State.DONE)
    document.refresh_from_db()
    refused = services.keep_for_number(Actor.of(alice), document, "222")
    assert not refused.ok and "reset" in refused.message
    assert not NumberConflict.objects.exclude(skipped_reason="").exists()


def test_the_document_page_offers_keep_this_one_with_a_confirmation(client, connection, alice):
    document = held(connection)
    client.force_login(alice)
    page = client.get(f"/documents/{document.pk}/").content.decode()
    assert page.count('name="source_id"') == 2 and "data-confirm=" in page
    response = client.post(f"/documents/{document.pk}/keep/", {"source_id": "222"}, follow=True)
    assert "Kept 222 for RE-1; skipped: 111" in response.content.decode()
    document.refresh_from_db()
    assert document.source_id == "222"
    page = client.get(f"/documents/{document.pk}/").content.decode()
    assert 'name="source_id"' not in page  # decided: nothing left to choose


def test_the_tax_advisor_sees_the_choice_but_cannot_make_it(client, connection, tax_advisor):
    document = held(connection)
    client.force_login(tax_advisor)
    page = client.get(f"/documents/{document.pk}/").content.decode()
    assert "222" in page and 'name="source_id"' not in page
    assert client.post(f"/documents/{document.pk}/keep/", {"source_id": "222"}).status_code == 403
    assert not NumberConflict.objects.exclude(skipped_reason="").exists()


def test_the_choice_reads_in_german(client, connection, alice):
    document = held(connection)
    client.force_login(alice)
    client.post("/i18n/setlang/", {"language": "de", "next": "/"})
    page = client.get(f"/documents/{document.pk}/").content.decode()
    assert "Gleiche Rechnungsnummer" in page and "Diesen behalten" in page
    assert "Keep this one" not in page and "Same invoice number" not in page
    response = client.post(f"/documents/{document.pk}/keep/", {"source_id": "222"}, follow=True)
    text = response.content.decode()
    assert "222 für RE-1 behalten; übersprungen: 111" in text
    assert "übersprungen (" in text  # the row's status names who decided
