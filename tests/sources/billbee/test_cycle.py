"""Billbee documents through belegsync's store: idempotent, and skipped ones become eligible."""

from __future__ import annotations

import datetime as dt

import pytest

from belegsync.documents.models import Connection, Document
from belegsync.sources.billbee.preview import read_for_preview
from belegsync.sync.cycle import fetch
from tests.doubles import BILLBEE_KEY, BILLBEE_PASSWORD, BILLBEE_USER, unthrottled_billbee

KEY, USER, PASSWORD = BILLBEE_KEY, BILLBEE_USER, BILLBEE_PASSWORD
NOW = dt.datetime(2026, 11, 26, 12, 0, tzinfo=dt.UTC)


@pytest.fixture
def fake(run_fake):
    return run_fake(unthrottled_billbee(bulk=20, now=NOW - dt.timedelta(hours=1)))


@pytest.fixture
def billbee(org, fake):
    return Connection.objects.create(
        organisation=org,
        name="Billbee → Books",
        source_kind="billbee",
        target_kind="memory",
        credentials={"source": {"api_key": KEY, "user": USER, "password": PASSWORD}},
        settings={"source": {"state_ids": ["4", "7"]}},
    )


def refetch(connection: Connection):
    connection.refresh_from_db()
    return fetch(connection, NOW, "test")


def test_it_stores_every_order_once_and_a_second_fetch_changes_nothing(billbee, fake):
    first = refetch(billbee)
    assert first.created + first.skipped + first.failed == len(fake.app.orders)
    Connection.objects.filter(pk=billbee.pk).update(cursor="")
    second = refetch(billbee)
    assert second.unchanged == len(fake.app.orders)
    assert Document.objects.filter(connection=billbee).count() == len(fake.app.orders)


def test_it_fails_inconsistent_totals_with_the_reason(billbee):
    refetch(billbee)
    document = Document.objects.get(connection=billbee, source_number="RE-2024-1307")
    assert document.state == "failed"
    assert "65.80" in document.failure_message


def test_a_skipped_order_becomes_eligible_when_a_later_cycle_sees_it_qualify(billbee, fake):
    refetch(billbee)
    document = Document.objects.get(connection=billbee, source_id="100000223400006")
    assert document.state == "skipped"
    fake.app.set_order_state(100000223400006, 4)
    report = refetch(billbee)
    document.refresh_from_db()
    assert document.state == "waiting"
    assert report.updated >= 1
    assert document.meta["states_seen"] == [4]


def test_the_ever_rule_remembers_states_seen_in_the_store(billbee, fake):
    source = {**billbee.settings["source"], "state_ids": ["3"], "state_rule": "ever"}
    billbee.settings = {**billbee.settings, "source": source}
    billbee.save()
    refetch(billbee)
    document = Document.objects.get(connection=billbee, source_id="100000223400006")
    assert document.state == "waiting"  # in state 3 now
    fake.app.order(100000223400006)["PayedAt"] = None  # no date evidence left
    fake.app.order(100000223400006)["Payments"] = []
    fake.app.set_order_state(100000223400006, 5)
    refetch(billbee)
    document.refresh_from_db()
    assert document.state == "waiting"
    assert document.meta["states_seen"] == [3, 5]


def test_it_previews_a_billbee_json_file(tmp_path, fake):
    path = tmp_path / "orders.json"
    import json

    orders = [fake.app.order(100000223344551), fake.app.order(100000223399001)]
    orders.append(fake.app.order(100000223400001))
    orders.append(fake.app.order(100000223400009))
    path.write_text(json.dumps({"Paging": {}, "Data": orders}), encoding="utf-8")
    result = list(read_for_preview(path))
    assert [n for n, _ in result] == ["RE-2024-1187", "RE-2024-1201", "#1101", "RE-2024-1307"]
    assert result[1][1].refers_to == "RE-2024-1187"
    assert "not issued an invoice" in result[2][1][0]
    assert "total_gross" in result[3][1][0]
    path.write_text(json.dumps(orders[:1]), encoding="utf-8")
    assert [n for n, _ in read_for_preview(path)] == ["RE-2024-1187"]
