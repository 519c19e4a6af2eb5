"""Every move of the state machine, legal and illegal, and the history it writes."""

from __future__ import annotations

import pytest

from belegsync.bookkeeping import voucher_to_dict
from belegsync.documents.models import Document, Event
from belegsync.documents.states import MOVES, IllegalTransition, State, transition
from tests.conftest import make_voucher

pytestmark = pytest.mark.django_db

CASES = [(action, state) for action in MOVES for state in State]


def make_document(connection, state: State, number: str = "RE-1") -> Document:
    voucher = make_voucher(number)
    return Document.objects.create(
        connection=connection,
        source_number=number,
        voucher=voucher_to_dict(voucher),
        total_gross=voucher.total_gross,
        state=state,
    )


@pytest.mark.parametrize(("action", "state"), CASES, ids=[f"{a}-from-{s}" for a, s in CASES])
def test_every_move_is_legal_exactly_from_its_sources(connection, action, state):
    document = make_document(connection, state)
    move = MOVES[action]
    if state in move.sources:
        transition(document, action, actor="tester")
        assert document.state == move.target
        event = Event.objects.get(document=document)
        assert (event.action, event.from_state, event.to_state) == (action, state, move.target)
        assert event.actor == "tester"
    else:
        with pytest.raises(IllegalTransition) as info:
            transition(document, action, actor="tester")
        assert "RE-1" in str(info.value)
        document.refresh_from_db()
        assert document.state == state
        assert not Event.objects.filter(document=document).exists()


def test_a_stale_copy_cannot_move_a_document_twice(connection):
    document = make_document(connection, State.WAITING)
    stale = Document.objects.get(pk=document.pk)
    transition(document, "claim", actor="worker-1")
    with pytest.raises(IllegalTransition):
        transition(stale, "claim", actor="worker-2")
    assert Event.objects.filter(document=document, action="claim").count() == 1


def test_an_extra_condition_fences_the_move(connection):
    document = make_document(connection, State.PROCESSING)
    Document.objects.filter(pk=document.pk).update(lease_owner="worker-1")
    with pytest.raises(IllegalTransition):
        transition(document, "complete", actor="worker-2", extra_filter={"lease_owner": "w-2"})
    transition(document, "complete", actor="worker-1", extra_filter={"lease_owner": "worker-1"})
    assert document.state == State.DONE


def test_events_are_append_only(connection):
    document = make_document(connection, State.FAILED)
    transition(document, "reset", actor="alice")
    event = Event.objects.get(document=document)
    event.message = "rewritten"
    with pytest.raises(Exception, match="never changed"):
        event.save()
    with pytest.raises(Exception, match="never deleted"):
        event.delete()


def test_an_illegal_move_says_what_was_tried_in_words(connection):
    document = make_document(connection, State.DONE, "RE-9")
    with pytest.raises(IllegalTransition) as info:
        transition(document, "mark_manually_imported", actor="alice")
    assert str(info.value) == (
        "RE-9: “mark as manually imported” is not possible for a document that is done; "
        "only from failed."
    )
