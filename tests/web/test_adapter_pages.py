"""A connection page links to its source's and target's own pages."""

from __future__ import annotations

import pytest

from belegsync.documents.models import Connection

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    ("source_kind", "label", "path"),
    [
        ("billbee", "Set up in three steps", "/billbee/connections/{pk}/settings/"),
        ("afterbuy_csv", "Upload a file", "/connections/{pk}/import/"),
        ("afterbuy_api", "Upload a file", "/connections/{pk}/import/"),
    ],
)
def test_it_links_the_adapters_pages(client, alice, org, source_kind, label, path):
    connection = Connection.objects.create(
        organisation=org, name="c", source_kind=source_kind, target_kind="memory"
    )
    client.force_login(alice)
    page = client.get(f"/connections/{connection.pk}/").content.decode()
    assert label in page
    assert path.format(pk=connection.pk) in page
    assert client.get(path.format(pk=connection.pk)).status_code == 200


def test_the_upload_page_of_another_organisations_connection_is_not_found(client, bob, org):
    connection = Connection.objects.create(
        organisation=org, name="c", source_kind="afterbuy_csv", target_kind="memory"
    )
    client.force_login(bob)
    assert client.get(f"/connections/{connection.pk}/import/").status_code == 404


def test_the_dashboard_names_the_systems_as_merchants_know_them(client, alice, org):
    Connection.objects.create(
        organisation=org, name="c", source_kind="billbee", target_kind="sevdesk"
    )
    client.force_login(alice)
    page = client.get("/").content.decode()
    assert "Billbee → sevDesk" in page
    assert "billbee → sevdesk" not in page
