"""The upload of a Rechnungsliste through the one upload page, and Afterbuy's column mapping."""

from __future__ import annotations

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from belegsync.documents.models import Connection, Document
from belegsync.documents.states import State

from .corpus import SAMPLE_UTF8, broken_files


@pytest.fixture
def afterbuy(org):
    return Connection.objects.create(
        organisation=org, name="Afterbuy CSV", source_kind="afterbuy_csv", target_kind="memory"
    )


@pytest.fixture
def upload(client, django_capture_on_commit_callbacks):
    """Post a file to the upload page; the import task runs when the request commits."""

    def post(connection, name: str, content: bytes, mode: str = "valid"):
        with django_capture_on_commit_callbacks(execute=True):
            return client.post(
                reverse("import_new"),
                {
                    "connection": connection.pk,
                    "mode": mode,
                    "file": SimpleUploadedFile(name, content),
                },
            )

    return post


def test_it_shows_the_guide_in_german_and_english(client, alice, afterbuy) -> None:
    client.force_login(alice)
    english = client.get(
        reverse("connection_import", args=[afterbuy.pk]), HTTP_ACCEPT_LANGUAGE="en"
    )
    assert english.status_code == 200
    assert (
        b"Verkaufshandling" in english.content
        and b"Upload the CSV file you received here" in english.content
    )
    client.cookies["django_language"] = "de"
    german = client.get(reverse("import_new"), HTTP_ACCEPT_LANGUAGE="de")
    assert "Die erhaltene CSV-Datei kannst du hier hochladen" in german.content.decode()
    assert "Sie " not in german.content.decode()


def test_it_imports_an_upload_and_shows_the_summary(client, alice, afterbuy, upload) -> None:
    client.force_login(alice)
    response = upload(afterbuy, "liste.csv", SAMPLE_UTF8.read_bytes())
    assert response.status_code == 302
    page = client.get(response["Location"], HTTP_ACCEPT_LANGUAGE="en")
    assert page.status_code == 200
    assert Document.objects.filter(connection=afterbuy, state=State.WAITING).count() == 9
    assert b"24187" in page.content and b"UTF-8" in page.content
    assert f"connection={afterbuy.pk}&amp;state=waiting".encode() in page.content
    # it says when the transfer starts, and offers to start it
    assert b"starts now" in page.content and b"Transfer now" in page.content


def test_it_asks_for_the_missing_column_and_saves_the_mapping(
    client, alice, afterbuy, upload, django_capture_on_commit_callbacks
) -> None:
    client.force_login(alice)
    response = upload(afterbuy, "x.csv", broken_files()["missing_column"])
    page = client.get(response["Location"])
    assert page.status_code == 302 and page["Location"].endswith("/mapping/")
    form = client.get(page["Location"], HTTP_ACCEPT_LANGUAGE="en")
    assert b"Summe" in form.content and b"Gesamtbetrag brutto" in form.content
    assert Document.objects.count() == 0
    with django_capture_on_commit_callbacks(execute=True):
        done = client.post(page["Location"], {"total_gross": "Summe"})
    assert done.status_code == 302
    afterbuy.refresh_from_db()
    assert afterbuy.settings_of("source").csv_mapping == {"total_gross": "Summe"}
    assert Document.objects.count() == 10


def test_it_shows_a_clear_error_for_a_broken_file(client, alice, afterbuy, upload) -> None:
    client.force_login(alice)
    response = upload(afterbuy, "junk.csv", bytes(range(256)) * 10)
    page = client.get(response["Location"], HTTP_ACCEPT_LANGUAGE="en")
    assert b"not a readable CSV" in page.content
    assert Document.objects.count() == 0


def test_it_refuses_a_file_over_the_limit(client, alice, afterbuy, settings, upload) -> None:
    settings.BELEGSYNC_IMPORT_MAX_BYTES = 100
    client.force_login(alice)
    response = upload(afterbuy, "big.csv", SAMPLE_UTF8.read_bytes())
    assert response.status_code == 200 and b"larger than" in response.content


def test_another_organisation_sees_neither_connection_nor_import(
    client, alice, bob, afterbuy, upload
) -> None:
    client.force_login(alice)
    location = upload(afterbuy, "liste.csv", SAMPLE_UTF8.read_bytes())["Location"]
    client.force_login(bob)
    assert client.get(location).status_code == 404
    assert upload(afterbuy, "liste.csv", SAMPLE_UTF8.read_bytes()).status_code == 200
    assert b"Afterbuy CSV" not in client.get(reverse("import_new")).content
    assert client.get(reverse("connection_import", args=[afterbuy.pk])).status_code == 404
