from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from belegsync.documents.models import Connection
from belegsync.sync.scheduler import sync_now, tick

pytestmark = pytest.mark.django_db


def test_a_due_connection_is_enqueued_once_and_moved_forward(connection):
    now = timezone.now()
    first, second = [], []
    tick(first.append, now)
    tick(second.append, now)  # a second scheduler at the same moment
    assert (first, second) == ([connection.pk], [])
    connection.refresh_from_db()
    assert connection.next_sync_at == now + dt.timedelta(seconds=connection.sync_interval)


def test_disabled_paused_or_switched_off_connections_are_not_due(connection, org):
    for enabled, paused in ((False, ""), (True, "key revoked")):
        Connection.objects.update(enabled=enabled, paused_reason=paused)
        assert tick(lambda pk: None) == []
    Connection.objects.update(enabled=True, paused_reason="")
    org.sync_enabled = False
    org.save()
    assert tick(lambda pk: None) == []


def test_sync_now_makes_a_connection_due_at_the_next_tick(connection):
    tick(lambda pk: None)
    assert tick(lambda pk: None) == []
    sync_now(connection)
    assert tick(lambda pk: None, timezone.now() + dt.timedelta(seconds=1)) == [connection.pk]
