"""Creating and changing a connection through the service the web, CLI and REST API share."""

from __future__ import annotations

import pytest

from belegsync.connectors import registry
from belegsync.documents.models import Connection
from belegsync.services import Actor
from belegsync.services import connections as services
from tests.web.adapters import SECRET, CheckedTarget

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _adapters(monkeypatch):
    monkeypatch.setitem(registry.TARGETS, "checked", "tests.web.adapters.CheckedTarget")
    CheckedTarget.checked.clear()


def create(org, actor=None, **extra):
    given = {"credentials": {"target": {"api_key": SECRET, "login": "alice"}}, **extra}
    return services.create_connection(
        actor or Actor.system(),
        org,
        name="Shop → Checked",
        source_kind="memory",
        target_kind="checked",
        **given,
    )


def test_it_creates_a_checked_connection_with_its_settings(org, alice):
    saved = create(org, Actor.of(alice), policy={"mark_paid": True}, target={"ledger": "2"})
    connection = Connection.objects.get(pk=saved.connection.pk)
    assert connection.policy.mark_paid and connection.settings_of("target").ledger == "2"
    assert "target" in connection.credentials_checked
    assert saved.missing == [] and connection.setup_complete
    assert CheckedTarget.checked == [{"api_key": SECRET, "login": "alice"}]


def test_refused_credentials_or_bad_settings_create_nothing(org):
    with pytest.raises(services.CredentialsRefused) as refused:
        create(org, credentials={"target": {"api_key": "wrong"}})
    assert refused.value.side == "target"
    with pytest.raises(services.InvalidSettings) as invalid:
        create(org, policy={"document_date": "delivery"}, source={"ledger": "x"})
    assert {where for where, _ in invalid.value.problems} == {
        "policy.document_date",
        "source.ledger",
    }
    assert not Connection.objects.exists()
    assert CheckedTarget.checked == [{"api_key": "wrong"}]  # bad settings: not even asked


def test_another_organisations_user_cannot_change_it(org, bob):
    connection = create(org).connection
    with pytest.raises(services.NotAllowed):
        services.update_connection(Actor.of(bob), connection, name="mine now")


def test_an_update_changes_only_what_it_names_and_keeps_the_cycles_columns(org):
    """GIVEN a connection whose cycle holds its lease and has a cursor
    WHEN the merchant renames it and changes one policy choice
    THEN the rest of the policy, the credentials, the lease and the unchanged target stay."""
    connection = create(org, policy={"mark_paid": True}, target={"ledger": "2"}).connection
    Connection.objects.filter(pk=connection.pk).update(sync_owner="worker-9", cursor="c1")
    services.update_connection(
        Actor.system(), connection, name="Renamed", policy={"customer_per_buyer": True}
    )
    connection = Connection.objects.get(pk=connection.pk)
    assert connection.name == "Renamed" and connection.sync_owner == "worker-9"
    assert connection.policy.mark_paid and connection.policy.customer_per_buyer
    assert connection.credentials["target"] == {"api_key": SECRET, "login": "alice"}
    assert connection.cursor == ""  # a policy change: the source is read again
    services.update_connection(Actor.system(), connection, target={"ledger": "3"})
    connection.refresh_from_db()
    assert connection.settings_of("target").ledger == "3" and connection.cursor == ""


def test_another_target_kind_starts_with_its_own_defaults(org):
    connection = create(org, target={"ledger": "2"}).connection
    services.update_connection(
        Actor.system(),
        connection,
        target_kind="memory",
        credentials={"target": {"account": "books"}},
    )
    connection.refresh_from_db()
    assert connection.target_kind == "memory" and "target" not in connection.settings
