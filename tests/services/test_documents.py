"""The merchant's actions as services: the same outcome whichever interface asks."""

from __future__ import annotations

import pytest

from belegsync.documents.models import Connection, Event
from belegsync.documents.states import State
from belegsync.services import Actor
from belegsync.services import documents as services
from belegsync.services.actor import NotAllowed
from tests.web.helpers import failed, make_document


@pytest.mark.django_db
def test_it_resets_and_records_who_acted(alice, connection):
    document = failed(connection)
    (outcome,) = services.act(Actor.of(alice), "reset", [document])
    assert outcome.ok
    document.refresh_from_db()
    assert document.state == State.WAITING
    event = Event.objects.filter(document=document).last()
    assert event is not None and event.actor == "alice" and event.user == alice


@pytest.mark.django_db
def test_a_mixed_selection_reports_each_document_on_its_own(alice, connection):
    bad = failed(connection, "RE-1")
    waiting = make_document(connection, "RE-2")
    outcomes = services.act(Actor.of(alice), "mark_manually_imported", [bad, waiting])
    assert [o.ok for o in outcomes] == [True, False]
    assert "RE-2" in outcomes[1].message and "waiting" in outcomes[1].message
    bad.refresh_from_db()
    waiting.refresh_from_db()
    assert (bad.state, waiting.state) == (State.MANUAL, State.WAITING)


@pytest.mark.django_db
def test_another_organisations_documents_are_not_found(alice, bob, connection):
    """GIVEN Alice's failed document WHEN Bob asks for it by id THEN it is 'not found'
    and unchanged; handed over directly, the service refuses."""
    document = failed(connection)
    outcomes, missing = services.act_on_ids(Actor.of(bob), "reset", [document.pk])
    assert outcomes == [] and missing == [document.pk]
    with pytest.raises(NotAllowed):
        services.act(Actor.of(bob), "reset", [document])
    document.refresh_from_db()
    assert document.state == State.FAILED


@pytest.mark.django_db
def test_the_system_acts_on_every_organisation(other_org, connection):
    elsewhere = Connection.objects.create(
        organisation=other_org, name="Bob", source_kind="memory", target_kind="memory"
    )
    docs = [failed(connection, "RE-1"), failed(elsewhere, "RE-2")]
    outcomes, missing = services.act_on_ids(Actor.system("cli"), "reset", [d.pk for d in docs])
    assert [o.ok for o in outcomes] == [True, True] and missing == []


@pytest.mark.django_db
def test_an_unknown_action_is_refused(alice, connection):
    with pytest.raises(ValueError):
        services.act(Actor.of(alice), "delete", [failed(connection)])
