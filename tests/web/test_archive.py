"""Archiving a connection in the web UI: asked first, listed apart with "Restore", and its
documents stay readable without the buttons that would send them."""

from __future__ import annotations

import re

import pytest
from django.utils import timezone

from belegsync.documents.models import Connection, Document
from tests.web.helpers import make_document

pytestmark = pytest.mark.django_db


@pytest.fixture
def german(client, alice):
    client.force_login(alice)
    client.post("/i18n/setlang/", {"language": "de", "next": "/"})
    return client


def archived(connection: Connection) -> Connection:
    Connection.objects.filter(pk=connection.pk).update(archived_at=timezone.now())
    connection.refresh_from_db()
    return connection


def test_the_archive_button_asks_first_without_inline_script(german, connection):
    page = german.get(f"/connections/{connection.pk}/").content.decode()
    form = re.search(r'<form[^>]*action="/connections/\d+/archive/".*?</form>', page, re.S)
    assert form, "the connection page offers “Archivieren”"
    button = re.search(r"<button[^>]*>Archivieren</button>", form.group(0))
    assert button and 'data-confirm="„Shop → Books“ archivieren?' in button.group(0)
    assert "onclick" not in form.group(0)
    assert re.search(r"<script(?![^>]*\ssrc=)[^>]*>", page) is None  # CSP: no inline script


def test_archiving_moves_it_to_the_archived_section_and_restore_brings_it_back(german, connection):
    answer = german.post(f"/connections/{connection.pk}/archive/", follow=True)
    page = answer.content.decode()
    assert "„Shop → Books“ ist archiviert" in page
    in_use, _, archive = page.partition("Archivierte Verbindungen")
    assert f'id="connection-{connection.pk}"' not in in_use
    assert f'action="/connections/{connection.pk}/restore/"' in archive
    assert f'id="connection-{connection.pk}"' in archive
    assert Connection.objects.get(pk=connection.pk).archived_at is not None

    page = german.post(f"/connections/{connection.pk}/restore/", follow=True).content.decode()
    assert "ist wiederhergestellt" in page
    assert "Archivierte Verbindungen" not in page
    assert Connection.objects.get(pk=connection.pk).archived_at is None


def test_an_archived_connection_is_not_on_the_dashboard_and_sync_now_is_refused(german, connection):
    archived(connection)
    assert f'id="sync-{connection.pk}"' not in german.get("/").content.decode()
    answer = german.post(f"/connections/{connection.pk}/sync-now/", follow=True)
    assert "ist archiviert" in answer.content.decode()
    assert Connection.objects.get(pk=connection.pk).next_sync_at is None


def test_its_page_says_it_is_archived_and_offers_restore_not_upload(german, org):
    upload = archived(
        Connection.objects.create(
            organisation=org, name="Altes Lager", source_kind="afterbuy_csv", target_kind="memory"
        )
    )
    page = german.get(f"/connections/{upload.pk}/").content.decode()
    assert "Archiviert am" in page and f"/connections/{upload.pk}/restore/" in page
    assert f"/connections/{upload.pk}/import/" not in page
    assert f"/connections/{upload.pk}/archive/" not in page
    assert "Altes Lager" not in german.get("/imports/new/").content.decode()


def test_its_documents_stay_readable_without_the_buttons_that_send(german, connection):
    document = make_document(connection, "RE-77", "failed", failure_reason="rejected")
    archived(connection)
    listed = german.get("/documents/?state=failed").content.decode()
    row = re.search(rf'<tr id="document-{document.pk}">.*?</tr>', listed, re.S).group(0)
    assert "RE-77" in row
    assert f"/documents/{document.pk}/reset/" not in row
    assert f"/documents/{document.pk}/reupload/" not in row
    assert f"/documents/{document.pk}/mark_manually_imported/" in row
    assert "Shop → Books (archiviert)" in listed  # the connection filter
    detail = german.get(f"/documents/{document.pk}/").content.decode()
    assert "RE-77" in detail and "archiviert" in detail
    assert f"/documents/{document.pk}/reset/" not in detail
    german.post(f"/documents/{document.pk}/reset/")
    assert Document.objects.get(pk=document.pk).state == "failed"


def test_the_tax_advisor_may_not_archive(client, tax_advisor, connection):
    client.force_login(tax_advisor)
    assert client.post(f"/connections/{connection.pk}/archive/").status_code == 403
    assert Connection.objects.get(pk=connection.pk).archived_at is None


def test_the_connections_history_is_in_the_readers_language(german, alice, connection):
    """GIVEN a connection archived and restored by Alice and a set-up completed by
    belegsync WHEN its page is read in German THEN each entry is German, with who acted
    by name (never a worker id) and the time in the German format."""
    from belegsync.documents.models import ConnectionEvent
    from belegsync.services import Actor
    from belegsync.services import connections as services

    ConnectionEvent.objects.create(
        connection=connection,
        actor="vm:24945",
        action="setup_complete",
        message="Set-up complete: the connection syncs.",
    )
    services.archive(Actor.of(alice), connection)
    services.restore(Actor.of(alice), connection)
    page = german.get(f"/connections/{connection.pk}/").content.decode()
    history = page.split('<ul class="history">')[1].split("</ul>")[0]
    assert "Archiviert: Die Verbindung synchronisiert nicht mehr." in history
    assert "Aus dem Archiv wiederhergestellt" in history
    assert "Einrichtung vollständig" in history
    assert "alice" in history and "belegsync (automatisch)" in history
    assert "vm:24945" not in history and "syncs" not in history
    assert re.search(r"\d\d\.\d\d\.\d{4} \d\d:\d\d", history)
