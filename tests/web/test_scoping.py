"""Another organisation's documents and connections answer 404 to every URL, GET or POST."""

from __future__ import annotations

import pytest

from belegsync.documents.models import Connection, DocumentFile
from tests.web.helpers import failed

pytestmark = pytest.mark.django_db


@pytest.fixture
def alices_document(connection):
    document = failed(connection)
    DocumentFile.store(document, b"%PDF-1.4 alice", "RE-1001.pdf")
    return document


def test_it_answers_404_to_every_document_url_of_another_organisation(client, bob, alices_document):
    client.force_login(bob)
    pk = alices_document.pk
    for url in [f"/documents/{pk}/", f"/documents/{pk}/pdf/"]:
        assert client.get(url).status_code == 404, url
    for action in ["reset", "mark_manually_imported", "reupload"]:
        assert client.post(f"/documents/{pk}/{action}/").status_code == 404, action
    alices_document.refresh_from_db()
    assert alices_document.state == "failed"


def test_it_answers_404_to_every_connection_url_of_another_organisation(client, bob, connection):
    client.force_login(bob)
    pk = connection.pk
    assert client.get(f"/connections/{pk}/").status_code == 404
    assert client.post(f"/connections/{pk}/", {"name": "taken over"}).status_code == 404
    assert client.post(f"/connections/{pk}/enabled/", {"enabled": "off"}).status_code == 404
    assert client.post(f"/connections/{pk}/sync-now/").status_code == 404
    assert client.get(f"/documents/?state=failed&connection={pk}").status_code == 404
    connection.refresh_from_db()
    assert connection.enabled and connection.name == "Shop → Books"
    assert connection.next_sync_at is None


def test_it_treats_foreign_ids_in_a_bulk_action_as_not_found(client, bob, alices_document):
    client.force_login(bob)
    response = client.post(
        "/documents/bulk/", {"action": "reset", "ids": [alices_document.pk]}, follow=True
    )
    assert f"Document {alices_document.pk} not found." in response.content.decode()
    alices_document.refresh_from_db()
    assert alices_document.state == "failed"


def test_it_lists_only_the_own_organisation(client, bob, alices_document, other_org):
    theirs = Connection.objects.create(
        organisation=other_org, name="Bob's", source_kind="memory", target_kind="memory"
    )
    failed(theirs, "BOB-1")
    client.force_login(bob)
    page = client.get("/documents/?state=failed").content.decode()
    assert "BOB-1" in page
    assert "RE-1001" not in page
    dashboard = client.get("/").content.decode()
    assert "Shop → Books" not in dashboard
