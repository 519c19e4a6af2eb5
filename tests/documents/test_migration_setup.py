"""Connections that existed before set-up was tracked keep syncing after migration 0004."""

from __future__ import annotations

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

pytestmark = pytest.mark.django_db(transaction=True)

BEFORE = [("documents", "0003_drop_reason_texts")]
AFTER = [("documents", "0004_connection_setup")]


@pytest.fixture(autouse=True)
def _back_to_the_latest_schema():
    """Whatever the test migrated to, the test database ends at the newest migrations
    (the tests after it need every table and column)."""
    yield
    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate(executor.loader.graph.leaf_nodes())


def _migrate(targets):
    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate(targets)
    return executor.loader.project_state(targets).apps


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
