"""The dashboard's counts, the global "sync enabled" switch and the per-connection switches."""

from __future__ import annotations

import pytest
from django.utils import timezone

from belegsync.documents.models import Connection, Organisation
from tests.web.helpers import failed, make_document

pytestmark = pytest.mark.django_db

HTMX = {"HTTP_HX_REQUEST": "true"}


@pytest.fixture
def logged_in(client, alice):
    client.force_login(alice)
    return client


def test_it_reads_the_counts_per_state_from_the_kept_counts(
    logged_in, connection, django_assert_max_num_queries
):
    failed(connection, "RE-1")
    failed(connection, "RE-2")
    make_document(connection, "RE-3", "done")
    # six for the page, one for each of its two charts
    with django_assert_max_num_queries(8) as queries:
        response = logged_in.get("/")
    counts = {state: n for state, _label, n in response.context["counts"]}
    assert counts["failed"] == 2
    assert counts["done"] == 1
    assert counts["waiting"] == 0
    sql = [q["sql"] for q in queries.captured_queries]
    grouped = [q for q in sql if "GROUP BY" in q.upper()]
    charts = [q for q in grouped if "documents_documentdaycount" in q or "documents_event" in q]
    assert grouped == charts and len(charts) == 2  # the counts are not counted per view
    assert not any('FROM "documents_document"' in q for q in grouped)  # nor the days
    assert any("documents_documentcount" in q for q in sql)


def test_it_shows_a_paused_connection_prominently(logged_in, connection):
    Connection.objects.filter(pk=connection.pk).update(
        paused_reason="lexoffice refused the API key.",
        pause_details=[{"code": "remote.auth", "params": {"system": "lexoffice"}}],
    )
    page = logged_in.get("/").content.decode()
    assert "Paused:</strong> lexoffice did not accept the credentials." in page
    logged_in.post("/i18n/setlang/", {"language": "de", "next": "/"})
    page = logged_in.get("/").content.decode()
    assert "Pausiert:</strong> lexoffice hat die Zugangsdaten nicht angenommen." in page
    assert "refused the API key" not in page


def test_it_switches_the_organisations_sync_off_and_on(logged_in, org):
    response = logged_in.post("/organisation/sync/", {"enabled": "off"}, **HTMX)
    assert response.status_code == 200
    assert b"<html" not in response.content
    assert b'hx-swap-oob="true"' in response.content
    org.refresh_from_db()
    assert org.sync_enabled is False
    logged_in.post("/organisation/sync/", {"enabled": "on"})
    assert Organisation.objects.get(pk=org.pk).sync_enabled is True


def test_it_needs_the_csrf_token_for_a_switch(alice, org):
    from django.test import Client

    client = Client(enforce_csrf_checks=True)
    client.force_login(alice)
    assert client.post("/organisation/sync/", {"enabled": "off"}).status_code == 403
    page = client.get("/").content.decode()
    token = page.split('"X-CSRFToken": "')[1].split('"')[0]
    response = client.post(
        "/organisation/sync/", {"enabled": "off"}, HTTP_X_CSRFTOKEN=token, **HTMX
    )
    assert response.status_code == 200
    assert Organisation.objects.get(pk=org.pk).sync_enabled is False


def test_it_switches_one_connection(logged_in, connection):
    response = logged_in.post(f"/connections/{connection.pk}/enabled/", {"enabled": "off"}, **HTMX)
    assert response.status_code == 200
    assert f'id="connection-{connection.pk}"'.encode() in response.content
    connection.refresh_from_db()
    assert connection.enabled is False
    logged_in.post(f"/connections/{connection.pk}/enabled/", {"enabled": "on"})
    connection.refresh_from_db()
    assert connection.enabled is True


def test_it_makes_a_connection_due_with_sync_now(logged_in, connection):
    later = timezone.now() + timezone.timedelta(hours=1)
    Connection.objects.filter(pk=connection.pk).update(next_sync_at=later)
    before = timezone.now()
    response = logged_in.post(f"/connections/{connection.pk}/sync-now/")
    assert response.status_code == 302
    connection.refresh_from_db()
    assert before <= connection.next_sync_at <= timezone.now()
