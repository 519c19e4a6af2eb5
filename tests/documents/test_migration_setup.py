"""Connections that existed before set-up was tracked keep syncing after migration 0004."""

from __future__ import annotations

import pytest

from tests.migrating import back_to_the_newest
from tests.migrating import migrate as _migrate

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.usefixtures(back_to_the_newest.__name__),
]

BEFORE = [("documents", "0003_drop_reason_texts")]
AFTER = [("documents", "0004_connection_setup")]


def test_existing_connections_count_as_set_up():
    """GIVEN a syncing Billbee → sevDesk connection and a memory one from before
    WHEN the migration runs
    THEN both are set up: saved credentials count as checked, Billbee's steps as saved."""
    old = _migrate(BEFORE)
    org = old.get_model("documents", "Organisation").objects.create(name="A", slug="a")
    Connection = old.get_model("documents", "Connection")
    billbee = Connection.objects.create(
        organisation=org,
        name="bb",
        source_kind="billbee",
        target_kind="sevdesk",
        credentials={"source": {"api_key": "k"}, "target": {"api_token": "t"}},
    )
    memory = Connection.objects.create(
        organisation=org, name="m", source_kind="memory", target_kind="memory"
    )
    new = _migrate(AFTER)
    Connection = new.get_model("documents", "Connection")
    billbee, memory = Connection.objects.get(pk=billbee.pk), Connection.objects.get(pk=memory.pk)
    assert billbee.setup_complete and memory.setup_complete
    assert set(billbee.credentials_checked) == {"source", "target"}
    assert billbee.steps_done == ["billbee:general", "billbee:payment"]
    assert memory.credentials_checked == {} and memory.steps_done == []
