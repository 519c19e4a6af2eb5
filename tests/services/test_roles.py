"""Roles decide what a member may do, in the services themselves (every interface)."""

from __future__ import annotations

import pytest

from belegsync.documents.models import Connection, Membership, Organisation
from belegsync.documents.roles import GRANTS, Permission, Role, allows
from belegsync.services import Actor
from belegsync.services import connections as connection_services
from belegsync.services import documents as document_services
from belegsync.services import imports as import_services
from belegsync.services.actor import NotAllowed, RoleForbids
from tests.web.helpers import failed

pytestmark = pytest.mark.django_db


def test_the_owner_may_do_everything_the_bookkeeper_all_but_members_and_credentials():
    assert GRANTS[Role.OWNER] == set(Permission)
    assert set(Permission) - GRANTS[Role.BOOKKEEPER] == {
        Permission.MANAGE_MEMBERS,
        Permission.MANAGE_CREDENTIALS,
    }


def test_the_tax_advisor_only_reads_documents_and_datev_files():
    assert GRANTS[Role.TAX_ADVISOR] == {Permission.VIEW_DOCUMENTS, Permission.DATEV_FILES}
    assert not allows("tax_advisor", "act_on_documents")
    assert allows("tax_advisor", "view_documents")


def test_members_from_before_roles_are_owners(alice):
    assert Membership.objects.get(user=alice).role == Role.OWNER
    assert Actor.of(alice).role is Role.OWNER


def test_the_actor_answers_for_its_role(alice, bookkeeper, tax_advisor):
    assert Actor.of(alice).may(Permission.MANAGE_MEMBERS)
    assert Actor.of(bookkeeper).may(Permission.EXPORT)
    assert not Actor.of(bookkeeper).may("manage_credentials")
    assert not Actor.of(tax_advisor).may(Permission.IMPORT_FILES)
    with pytest.raises(RoleForbids) as refused:
        Actor.of(tax_advisor).require(Permission.ACT_ON_DOCUMENTS)
    assert refused.value.permission is Permission.ACT_ON_DOCUMENTS
    assert refused.value.role is Role.TAX_ADVISOR


def test_the_system_may_do_everything():
    system = Actor.system()
    assert system.role is None
    assert all(system.may(p) for p in Permission)


def test_a_user_without_organisation_may_do_nothing(django_user_model):
    loner = django_user_model.objects.create_user("loner", password="x")
    assert not Actor.of(loner).may(Permission.VIEW_DOCUMENTS)
    with pytest.raises(NotAllowed):
        Actor.of(loner).require(Permission.VIEW_DOCUMENTS)


def test_the_tax_advisor_changes_nothing_through_the_services(tax_advisor, org, connection):
    """GIVEN Theo, the tax advisor, and a failed document of his client
    WHEN he calls every service that changes something
    THEN each refuses and nothing changed."""
    document = failed(connection)
    theo = Actor.of(tax_advisor)
    calls = [
        lambda: document_services.act(theo, "reset", [document]),
        lambda: connection_services.sync_now(theo, connection),
        lambda: connection_services.set_enabled(theo, connection, False),
        lambda: connection_services.set_organisation_sync(theo, org, False),
        lambda: connection_services.check_again(theo, connection),
        lambda: connection_services.step_done(theo, connection, "billbee:general"),
        lambda: import_services.start_import(theo, connection, [b"x"], "a.csv"),
        lambda: import_services.jobs(theo),
    ]
    for call in calls:
        with pytest.raises(RoleForbids):
            call()
    document.refresh_from_db()
    connection.refresh_from_db()
    assert document.state == "failed"
    assert connection.enabled and connection.steps_done == []
    assert Organisation.objects.get(pk=org.pk).sync_enabled


def test_the_bookkeeper_runs_the_books(bookkeeper, connection):
    document = failed(connection)
    berta = Actor.of(bookkeeper)
    [outcome] = document_services.act(berta, "reset", [document])
    assert outcome.ok
    connection_services.set_enabled(berta, connection, False)
    assert not Connection.objects.get(pk=connection.pk).enabled
