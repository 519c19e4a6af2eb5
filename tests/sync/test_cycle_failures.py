"""Failures the merchant sees (issue #14, item 5): a cycle that fails as a whole is
recorded, shown with its reason and since when, and repeated failures pause the
connection like refused credentials do."""

from __future__ import annotations

import pytest

from belegsync.documents.models import Connection
from belegsync.sync import cycle
from belegsync.sync.cycle import run_cycle
from belegsync.sync.models import CycleRecord
from tests.doubles import BILLBEE_CREDENTIALS, unthrottled_billbee
from tests.hostile.server import Hostile

pytestmark = pytest.mark.django_db

GARBAGE = b"HTTP/1.1 200 OK\r\nContent-Type: text/html\r\nContent-Length: 9\r\n\r\n<html>oh!"


@pytest.fixture
def broken_billbee(point_at):
    server = Hostile(answer=GARBAGE)
    point_at("billbee", server.url)
    yield server
    server.stop()


@pytest.fixture
def billbee(org):
    return Connection.objects.create(
        organisation=org,
        name="Billbee → Books",
        source_kind="billbee",
        target_kind="memory",
        credentials={"source": dict(BILLBEE_CREDENTIALS)},
    )


def fresh(connection: Connection) -> Connection:
    connection.refresh_from_db()
    return connection


def test_a_failing_source_is_recorded_and_shown_with_its_reason(
    billbee, broken_billbee, client, alice
):
    report = run_cycle(billbee.pk, "w1")
    assert report.failed_cycle and "cycle failed" in report.note
    record = CycleRecord.objects.get(connection=billbee)
    assert "cycle failed" in record.note
    billbee = fresh(billbee)
    assert billbee.failed_cycles == 1 and billbee.failing_since is not None
    assert billbee.failure_details[0]["code"] == "remote.bad_answer"
    assert billbee.last_sync_at is None  # no fresh "last sync" for a sync that failed
    assert billbee.paused_reason == ""

    client.force_login(alice)
    for url in ("/", f"/connections/{billbee.pk}/"):
        page = client.get(url, HTTP_ACCEPT_LANGUAGE="de").content.decode()
        assert "Abgleiche schlagen fehl seit" in page, url
        assert "Billbee hat eine Antwort geschickt, die belegsync nicht lesen kann" in page


def test_repeated_failures_pause_the_connection(billbee, broken_billbee, settings):
    settings.BELEGSYNC_PAUSE_AFTER_FAILED_CYCLES = 3
    for _ in range(3):
        Connection.objects.filter(pk=billbee.pk).update(next_sync_at=None)
        run_cycle(billbee.pk, "w1")
    billbee = fresh(billbee)
    assert billbee.failed_cycles == 3 and not billbee.is_active
    codes = [r["code"] for r in billbee.pause_details]
    assert codes == ["connection.failing", "remote.bad_answer"]
    assert billbee.pause_details[0]["params"]["count"] == 3
    assert CycleRecord.objects.filter(connection=billbee).count() == 3
    assert not run_cycle(billbee.pk, "w1").ran  # paused: the next cycle does not run


def test_a_cycle_that_works_again_clears_the_failure(billbee, run_fake, point_at):
    server = Hostile(answer=GARBAGE)
    point_at("billbee", server.url)
    run_cycle(billbee.pk, "w1")
    server.stop()
    import datetime as dt

    run_fake(unthrottled_billbee(bulk=2, now=dt.datetime(2026, 11, 26, tzinfo=dt.UTC)))
    report = run_cycle(billbee.pk, "w1")
    assert not report.failed_cycle, report.note
    billbee = fresh(billbee)
    assert billbee.failed_cycles == 0 and billbee.failing_since is None
    assert billbee.failure_details is None and billbee.last_sync_at is not None


def test_a_bug_in_a_cycle_is_recorded_and_the_worker_goes_on(connection, monkeypatch):
    """No fake can make belegsync itself fail, so this one replaces the fetch."""

    def broken(*args, **kwargs):
        raise KeyError("a bug")

    monkeypatch.setattr(cycle, "fetch", broken)
    report = run_cycle(connection.pk, "w1")
    assert report.failed_cycle
    connection = fresh(connection)
    assert connection.failure_details == [{"code": "category.internal"}]
    assert connection.sync_owner == ""  # released for the next cycle
