"""What operators see: cycle records, heartbeats, /healthz, the dashboard, step log lines."""

from __future__ import annotations

import datetime as dt
import logging

import pytest
from django.utils import timezone
from django.utils.formats import date_format

from belegsync.connectors.base import SourceDocument
from belegsync.documents.models import Document
from belegsync.sources.memory import STORE
from belegsync.sync.cycle import run_cycle
from belegsync.sync.heartbeat import beat
from belegsync.sync.models import CycleRecord, WorkerHeartbeat
from tests.conftest import make_voucher

pytestmark = pytest.mark.django_db


def feed(connection, count):
    STORE.add(
        connection.pk,
        *[SourceDocument(make_voucher(f"OB-{i}"), source_id=f"OB-{i}") for i in range(count)],
    )


def test_it_records_a_cycle_with_counts_and_duration_but_not_an_idle_one(connection):
    feed(connection, 3)
    run_cycle(connection.pk, "w-1")
    run_cycle(connection.pk, "w-1")  # nothing new
    [record] = CycleRecord.objects.all()
    assert (record.fetched, record.transferred, record.failed, record.worker) == (3, 3, 0, "w-1")
    assert record.seconds > 0


def test_it_logs_one_line_per_step_with_ids_and_no_secret(connection, caplog):
    connection.credentials = {"target": {"account": "alice-books", "api_key": "s3cret-key"}}
    connection.save()
    feed(connection, 1)
    with caplog.at_level(logging.INFO, logger="belegsync.sync"):
        run_cycle(connection.pk, "w-1")
    document = Document.objects.get()
    steps = [r.getMessage() for r in caplog.records if r.getMessage().startswith("step=")]
    assert [s.split()[0] for s in steps] == [
        "step=claim",
        "step=remote",
        "step=attach",
        "step=mark_paid",
        "step=mark_transferred",
        "step=complete",
    ]
    assert all(f"document={document.pk} connection={connection.pk}" in s for s in steps)
    assert "s3cret-key" not in caplog.text


def test_healthz_reports_live_workers_only_when_asked(client):
    assert client.get("/healthz").json() == {"database": "ok"}
    response = client.get("/healthz?workers=1")
    assert response.status_code == 503 and response.json()["workers"] == "none alive"
    beat("host:1")
    response = client.get("/healthz?workers=1")
    assert response.status_code == 200 and response.json()["alive"] == 1
    WorkerHeartbeat.objects.update(seen_at=timezone.now() - dt.timedelta(minutes=5))
    assert client.get("/healthz?workers=1").status_code == 503  # a killed worker drops out


def test_the_dashboard_shows_backlog_last_cycle_failures_and_workers(client, alice, connection):
    feed(connection, 2)
    run_cycle(connection.pk, "w-1")
    STORE.add(connection.pk, SourceDocument(make_voucher("OB-9"), source_id="OB-9"))
    from belegsync.sync.cycle import fetch

    fetch(connection, timezone.now(), "w")
    Document.objects.filter(source_number="OB-0").update(
        state="failed", failure_reason="unavailable"
    )
    beat("host:1")
    client.force_login(alice)
    page = client.get("/").content.decode()
    assert '<td class="backlog" data-label="Backlog">1</td>' in page
    assert "2 transferred, 0 failed in" in page
    assert "The remote system was not reachable" in page
    assert "Workers running" in page and ">1<" in page


def test_an_idle_cycle_writes_no_record_but_the_pages_show_when_it_checked(
    client, alice, connection
):
    """GIVEN a cycle that transferred two documents yesterday, and an idle cycle now
    THEN no record is written for the idle one, "last sync" on the dashboard and the
    connection list is now, and the last activity says when it was (yesterday)."""
    feed(connection, 2)
    run_cycle(connection.pk, "w-1")
    yesterday = timezone.now() - dt.timedelta(days=1)
    CycleRecord.objects.update(started_at=yesterday)
    connection.__class__.objects.filter(pk=connection.pk).update(last_sync_at=yesterday)

    report = run_cycle(connection.pk, "w-1")  # nothing new
    assert report.ran and not report.note
    assert CycleRecord.objects.count() == 1
    connection.refresh_from_db()
    assert timezone.now() - connection.last_sync_at < dt.timedelta(minutes=1)

    client.force_login(alice)
    checked = date_format(timezone.localtime(connection.last_sync_at), "SHORT_DATETIME_FORMAT")
    active = date_format(timezone.localtime(yesterday), "SHORT_DATETIME_FORMAT")
    dashboard = client.get("/").content.decode()
    assert f'data-label="Last sync">{checked}</td>' in dashboard
    assert "2 transferred, 0 failed in" in dashboard and f" s, {active}</td>" in dashboard
    listed = client.get("/connections/").content.decode()
    assert f"<dd>{checked}</dd>" in listed
