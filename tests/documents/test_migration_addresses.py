"""Migration 0009 drops the remote addresses connections stored (issue #14, item 1)."""

from __future__ import annotations

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

pytestmark = pytest.mark.django_db(transaction=True)


def _migrate(targets=None):
    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    targets = targets or executor.loader.graph.leaf_nodes()
    executor.migrate(targets)
    return executor.loader.project_state(targets).apps


MIGRATION = ("documents", "0009_remote_addresses_fixed")


def before(migration):
    """The migration this one follows (so the test survives renumbering of others)."""
    graph = MigrationExecutor(connection).loader.graph
    (parent,) = [p.key for p in graph.node_map[migration].parents if p.key[0] == "documents"]
    return parent


def test_stored_addresses_are_dropped_and_lexoffice_keeps_its_choice():
    """GIVEN connections that point Billbee, sevDesk and Afterbuy at addresses of their own
    WHEN the migration runs
    THEN the addresses are gone, everything else stays, lexoffice's URL became its choice."""
    old = _migrate([before(MIGRATION)])
    org = old.get_model("documents", "Organisation").objects.create(name="A", slug="a")
    Connection = old.get_model("documents", "Connection")
    billbee = Connection.objects.create(
        organisation=org,
        name="bb",
        source_kind="billbee",
        target_kind="sevdesk",
        credentials={
            "source": {"api_key": "k"},
            "target": {"api_token": "t", "base_url": "http://10.0.0.5/api/v1"},
        },
        settings={
            "policy": {"mark_paid": True},
            "source": {"billbee_base_url": "http://169.254.169.254/", "state_ids": ["3"]},
        },
    )
    afterbuy = Connection.objects.create(
        organisation=org,
        name="ab",
        source_kind="afterbuy_api",
        target_kind="lexoffice",
        settings={
            "policy": {"mark_paid": True},
            "source": {
                "afterbuy_api_url": "http://127.0.0.1:6379/",
                "afterbuy_web_url": "http://127.0.0.1:5432",
            },
            "target": {"lexoffice_base_url": "https://api.lexoffice.io/"},
        },
    )
    current = Connection.objects.create(
        organisation=org,
        name="lx",
        source_kind="memory",
        target_kind="lexoffice",
        settings={"target": {"lexoffice_base_url": "http://127.0.0.1:9999", "rate_per_second": 2}},
    )
    new = _migrate()
    Connection = new.get_model("documents", "Connection")
    billbee, afterbuy, current = (
        Connection.objects.get(pk=c.pk) for c in (billbee, afterbuy, current)
    )
    assert billbee.settings == {"policy": {"mark_paid": True}, "source": {"state_ids": ["3"]}}
    assert billbee.credentials == {"source": {"api_key": "k"}, "target": {"api_token": "t"}}
    assert afterbuy.settings == {
        "policy": {"mark_paid": True},
        "source": {},
        "target": {"lexoffice_base_url": "old"},
    }
    assert current.settings == {"target": {"lexoffice_base_url": "current", "rate_per_second": 2}}
