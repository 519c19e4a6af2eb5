"""One number, one document (issue #13, item 9): two source documents with one invoice
number and different content are both held, and nothing of that number is sent."""

from __future__ import annotations

import pytest

from belegsync.bookkeeping import Party
from belegsync.connectors.base import SourceDocument
from belegsync.connectors.errors import FailureReason
from belegsync.documents import actions
from belegsync.documents.models import Document, NumberConflict
from belegsync.documents.states import State
from belegsync.sync.cycle import run_cycle
from belegsync.sync.ingest import store_all
from belegsync.targets.memory import Account, MemoryTarget
from tests.conftest import make_voucher


def account() -> Account:
    return MemoryTarget.accounts.setdefault("alice-books", Account())


def order(order_id: str, number: str = "RE-1", buyer: str = "Erika Mustermann") -> SourceDocument:
    return SourceDocument(make_voucher(number, party=Party(name=buyer)), source_id=order_id)


def document(number: str = "RE-1") -> Document:
    return Document.objects.get(source_number=number)


@pytest.mark.django_db
def test_two_orders_with_one_number_are_both_held_with_a_reason_naming_both(connection):
    """GIVEN order 111 stored as RE-1 WHEN order 222 arrives with RE-1 and another buyer
    THEN RE-1 is held as a conflict naming both orders, both orders' data are kept, and
    the cycle sends nothing of RE-1 — not even after a reset."""
    store_all(connection, [order("111")])
    report = store_all(connection, [order("222", buyer="Max Muster")])
    assert report.failed == 1
    held = document()
    assert held.state == State.FAILED and held.failure_reason == FailureReason.CONFLICT
    (reason,) = held.failures
    assert reason.code == "number_conflict"
    assert reason.params == {"number": "RE-1", "source_ids": ["111", "222"]}
    assert held.voucher["party"]["name"] == "Erika Mustermann"  # the first is not overwritten
    kept = dict(NumberConflict.objects.values_list("source_id", "voucher__party__name"))
    assert kept == {"111": "Erika Mustermann", "222": "Max Muster"}

    actions.reset(held)
    run_cycle(connection.pk, "worker-1", fetch_first=False)
    assert document().state == State.FAILED
    assert [r.code for r in document().failures] == ["number_conflict", "checked_before_sending"]
    assert account().creates == []


@pytest.mark.django_db
def test_the_same_order_sent_again_is_no_conflict(connection):
    store_all(connection, [order("111")])
    store_all(connection, [order("111")])
    newer = SourceDocument(make_voucher("RE-1", shop="ebay"), source_id="111")
    store_all(connection, [newer])
    assert document().state == State.WAITING and not NumberConflict.objects.exists()
    assert document().voucher["shop"] == "ebay"  # newer data of the same order replaces it


@pytest.mark.django_db
def test_an_order_given_another_number_resolves_it_and_both_are_transferred(connection):
    """WHEN the merchant gives order 222 the number RE-2 in the shop system THEN RE-1 goes
    on with order 111, RE-2 is a document of its own, and both are sent once."""
    store_all(connection, [order("111")])
    store_all(connection, [order("222", buyer="Max Muster")])
    store_all(connection, [order("222", number="RE-2", buyer="Max Muster")])
    assert not NumberConflict.objects.exists()
    assert document("RE-1").state == State.WAITING
    assert document("RE-1").voucher["party"]["name"] == "Erika Mustermann"
    run_cycle(connection.pk, "worker-1", fetch_first=False)
    assert sorted(account().creates) == ["RE-1", "RE-2"]


@pytest.mark.django_db
def test_when_the_first_order_moves_the_number_carries_on_with_the_second(connection):
    store_all(connection, [order("111")])
    store_all(connection, [order("222", buyer="Max Muster")])
    store_all(connection, [order("111", number="RE-0")])
    carried = document("RE-1")
    assert carried.state == State.WAITING and carried.source_id == "222"
    assert carried.voucher["party"]["name"] == "Max Muster"


@pytest.mark.django_db
def test_a_number_already_transferred_keeps_its_booking_and_says_so(connection):
    store_all(connection, [order("111")])
    run_cycle(connection.pk, "worker-1", fetch_first=False)
    store_all(connection, [order("222", buyer="Max Muster")])
    done = document()
    assert done.state == State.DONE and account().creates == ["RE-1"]
    assert done.events.filter(action="number_conflict").exists()
    assert NumberConflict.objects.count() == 2
