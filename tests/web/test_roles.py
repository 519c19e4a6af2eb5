"""Every URL has a role rule, and every role gets exactly what its rule allows.

The URLs come from walking the resolver, so a new page is tested (and fails
without a rule) without anyone adding it here.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from django.core.files.base import ContentFile
from django.test import override_settings
from django.urls import URLPattern, URLResolver, get_resolver, include, path

from belegsync.connectors import registry
from belegsync.documents.models import Connection, Invitation, Membership
from belegsync.documents.roles import Permission, allows
from belegsync.exports.models import ExportJob
from belegsync.sync.models import ImportJob
from belegsync.web.forms import adapter_form
from belegsync.web.roles import SIGNED_IN, rule_of
from tests.web.helpers import failed

pytestmark = pytest.mark.django_db


def walk(patterns: list[Any], prefix: str = "", namespace: str = "") -> Iterator[tuple[str, Any]]:
    """(route, view) of every URL the project answers."""
    for entry in patterns:
        if isinstance(entry, URLResolver):
            inner = f"{namespace}{entry.namespace}:" if entry.namespace else namespace
            yield from walk(entry.url_patterns, prefix + str(entry.pattern), inner)
        elif isinstance(entry, URLPattern):
            yield prefix + str(entry.pattern), entry.callback


ROUTES = list(walk(get_resolver().url_patterns))


def test_every_url_declares_a_role_rule():
    missing = [route for route, view in ROUTES if rule_of(view) is None]
    assert missing == []
    assert len(ROUTES) > 30


def unmarked(request):
    from django.http import HttpResponse

    return HttpResponse("should never be seen")


urlpatterns = [path("unmarked/", unmarked), path("", include("belegsync.urls"))]


@override_settings(ROOT_URLCONF=__name__)
def test_a_page_without_a_rule_is_refused_even_to_the_owner(client, alice):
    client.force_login(alice)
    response = client.get("/unmarked/")
    assert response.status_code == 403
    assert b"should never be seen" not in response.content


@pytest.fixture
def objects(org, alice, connection, tmp_path) -> dict[str, Any]:
    document = failed(connection)
    job = ImportJob(connection=connection, actor="alice", filename="a.csv")
    job.file.save("a.csv", ContentFile(b"x"), save=True)
    export = ExportJob.objects.create(organisation=org, format="datev", tag="DATEV")
    invitation = Invitation.objects.create(
        organisation=org, role="bookkeeper", token_sha256="0" * 64, expires_at="2999-01-01T00:00Z"
    )
    return {
        "connection": connection,
        "document": document,
        "import": job,
        "export": export,
        "membership": Membership.objects.get(user=alice),
        "invitation": invitation,
    }


def url_for(route: str, objects: dict[str, Any]) -> str:
    """A real URL of the route, with ids of Alice's own objects."""
    kind = "connection"
    if route.startswith("documents/"):
        kind = "document"
    elif route.startswith(("imports/", "afterbuy/imports/")):
        kind = "import"
    elif route.startswith("exports/"):
        kind = "export"
    elif route.startswith("members/invitations/"):
        kind = "invitation"
    elif route.startswith("members/"):
        kind = "membership"
    url = "/" + route
    url = url.replace("<int:pk>", str(objects[kind].pk))
    url = url.replace("<str:action>", "reset").replace("<str:step>", "general")
    url = url.replace("<slug:identifier>", "datev")
    return url.replace("<str:token>", "not-a-token")


PERSONAS = ["alice", "bookkeeper", "tax_advisor"]
ROLES = {"alice": "owner", "bookkeeper": "bookkeeper", "tax_advisor": "tax_advisor"}


@pytest.mark.parametrize("persona", PERSONAS)
def test_each_role_opens_exactly_what_its_rule_allows(client, request, objects, persona):
    """GIVEN each of the owner, the bookkeeper and the tax advisor
    WHEN they GET and POST every URL of the project
    THEN a URL their role lacks answers 403 to both and changes nothing,
    and every other one answers something else than 403."""
    user = request.getfixturevalue(persona)
    client.force_login(user)
    role = ROLES[persona]
    refused, opened = [], []
    for route, view in ROUTES:
        rule = rule_of(view)
        url = url_for(route, objects)
        if rule in ("public", SIGNED_IN) or allows(role, rule):
            if "logout" not in url and client.get(url).status_code == 403:
                opened.append(url)
            continue
        for method in (client.get, client.post):
            if method(url, {"enabled": "off", "action": "reset"}).status_code != 403:
                refused.append(f"{method.__name__} {url}")
    assert opened == [], f"{role} was refused what the rule allows"
    assert refused == [], f"{role} was let through"
    objects["document"].refresh_from_db()
    assert objects["document"].state == "failed"
    assert Connection.objects.get(pk=objects["connection"].pk).enabled


def test_the_tax_advisor_is_refused_in_german_and_sees_no_buttons(client, tax_advisor, objects):
    client.cookies["django_language"] = "de"
    client.force_login(tax_advisor)
    response = client.get(f"/connections/{objects['connection'].pk}/")
    assert response.status_code == 403
    assert "Steuerberatung" in response.content.decode()
    detail = client.get(f"/documents/{objects['document'].pk}/").content.decode()
    assert "/reset/" not in detail
    dashboard = client.get("/").content.decode()
    assert "/sync-now/" not in dashboard
    assert 'href="/connections/"' not in dashboard
    assert 'href="/members/"' not in dashboard


def test_the_tax_advisor_exports_datev_without_marking_but_nothing_else(
    client, tax_advisor, objects
):
    client.force_login(tax_advisor)
    document = objects["document"]
    for refused in ({"format": "csv", "option": ""}, {"format": "datev", "option": "tag"}):
        response = client.post("/exports/new/", {"ids": [document.pk], **refused})
        assert response.status_code in (200, 403)  # the form offers neither: refused
        assert ExportJob.objects.count() == 1
    response = client.post("/exports/new/", {"ids": [document.pk], "format": "datev"})
    assert response.status_code == 302
    made = ExportJob.objects.exclude(pk=objects["export"].pk).get()
    assert (made.format, made.option) == ("datev", "")
    csv = ExportJob.objects.create(organisation=objects["connection"].organisation, format="csv")
    assert client.get(f"/exports/jobs/{csv.pk}/download/").status_code == 403


def filled(form: Any) -> dict[str, Any]:
    """The form's fields with their initial value, or the first choice for required ones."""
    data = {}
    for name, field in form.fields.items():
        value = form.get_initial_for_field(field, name)
        choices = [c for c, _label in getattr(field, "choices", []) if c]
        if value in (None, "") and field.required and choices:
            value = choices[0]
        if value not in (None, "", False):
            data[form.add_prefix(name)] = value
    return data


def test_the_bookkeeper_changes_settings_but_never_credentials(client, bookkeeper, org):
    connection = Connection.objects.create(
        organisation=org,
        name="Shop → lexoffice",
        source_kind="memory",
        target_kind="lexoffice",
        credentials={"target": {"api_key": "alice-secret-key"}},
    )
    client.force_login(bookkeeper)
    page = client.get(f"/connections/{connection.pk}/").content.decode()
    assert "Only an owner enters or changes credentials" in page
    response = client.post(
        f"/connections/{connection.pk}/",
        {
            "name": "Renamed by Berta",
            "source_kind": "billbee",
            "target_kind": "sevdesk",
            "enabled": "on",
            "sync_interval": 3600,
            "target-cred-api_key": "berta-own-key",
            **filled(
                adapter_form(registry.target_class("lexoffice"), "settings_form")(
                    prefix="target-set"
                )
            ),
        },
    )
    assert response.status_code == 302, response.content.decode().split("<main>")[1][:3000]
    connection.refresh_from_db()
    assert connection.name == "Renamed by Berta"
    assert connection.source_kind == "memory"
    assert connection.target_kind == "lexoffice"
    assert connection.credentials == {"target": {"api_key": "alice-secret-key"}}


def test_only_an_owner_creates_a_connection(client, bookkeeper, alice):
    client.force_login(bookkeeper)
    assert client.get("/connections/new/").status_code == 403
    assert 'href="/connections/new/"' not in client.get("/connections/").content.decode()
    client.force_login(alice)
    assert client.get("/connections/new/").status_code == 200


def test_permissions_are_all_used_by_some_url():
    used = {rule_of(view) for _route, view in ROUTES}
    assert set(Permission) <= used
