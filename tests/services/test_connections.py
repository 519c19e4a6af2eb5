"""Sync now and the switches as services."""

from __future__ import annotations

import pytest
from django.utils import timezone

from belegsync.documents.models import Connection, Organisation
from belegsync.services import Actor
from belegsync.services import connections as services
from belegsync.services.actor import NotAllowed


@pytest.mark.django_db
def test_sync_now_makes_the_connection_due_at_once(alice, connection):
    Connection.objects.filter(pk=connection.pk).update(
        next_sync_at=timezone.now() + timezone.timedelta(hours=1)
    )
    assert services.sync_now(Actor.of(alice), connection) is True
    connection.refresh_from_db()
    assert connection.next_sync_at <= timezone.now()


@pytest.mark.django_db
def test_sync_now_of_a_paused_connection_says_it_will_not_run(alice, connection):
    Connection.objects.filter(pk=connection.pk).update(paused_reason="key revoked")
    connection.refresh_from_db()
    assert services.sync_now(Actor.of(alice), connection) is False


@pytest.mark.django_db
def test_switches_refuse_another_organisation(alice, bob, org, connection):
    with pytest.raises(NotAllowed):
        services.set_enabled(Actor.of(bob), connection, False)
    with pytest.raises(NotAllowed):
        services.set_organisation_sync(Actor.of(bob), org, False)
    services.set_enabled(Actor.of(alice), connection, False)
    services.set_organisation_sync(Actor.of(alice), org, False)
    assert not Connection.objects.get(pk=connection.pk).enabled
    assert not Organisation.objects.get(pk=org.pk).sync_enabled
