"""Billbee's webhook: the receiver, and its registration at Billbee's double over real HTTP."""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac

import pytest
from django.db import connection as db
from django.test.utils import CaptureQueriesContext
from django.utils import timezone, translation

from belegsync.documents.models import Connection, ConnectionEvent, Document
from belegsync.fakes.base import READINGS
from belegsync.fakes.billbee.seed import seed_orders
from belegsync.services import Actor
from belegsync.services import connections as services
from belegsync.sources.billbee import models as hooks
from belegsync.sources.billbee import push
from belegsync.sources.billbee.models import Webhook
from belegsync.sources.billbee.source import BillbeeSource
from belegsync.sync.scheduler import tick
from tests.doubles import BILLBEE_CREDENTIALS, unthrottled_billbee

TOKEN, KEY = "t0ken-of-the-receiver", "k" * 64
LATER = dt.timedelta(hours=1)


def signed(body: bytes, key: str = KEY) -> str:
    return "sha256=" + hmac.new(key.encode(), body, hashlib.sha256).hexdigest()


@pytest.fixture
def billbee(org):
    return Connection.objects.create(
        organisation=org,
        name="Billbee → Books",
        source_kind="billbee",
        target_kind="memory",
        credentials={"source": dict(BILLBEE_CREDENTIALS)},
        next_sync_at=timezone.now() + LATER,
    )


@pytest.fixture
def hook(billbee):
    return Webhook.objects.create(
        connection=billbee,
        token_sha256=push.token_sha256(TOKEN),
        secret={"key": KEY},
        hook_id="h1",
        public_url="https://belegsync.example.com",
    )


def url(connection, token=TOKEN):
    return f"/billbee/hooks/{connection.pk}/{token}/"


def call(client, connection, body=b'{"Notifications": []}', **headers):
    headers.setdefault("headers", {"ms-signature": signed(body)})
    return client.post(url(connection), body, content_type="application/json", **headers)


def due(connection) -> bool:
    connection.refresh_from_db()
    return connection.next_sync_at <= timezone.now()


# -- the receiver ------------------------------------------------------------------------


@pytest.mark.django_db
def test_it_answers_billbees_echo_with_the_echo_alone(client, hook, billbee):
    response = client.get(url(billbee), {"echo": "4f9a0c2d1e"})
    assert response.status_code == 200
    assert response.content == b"4f9a0c2d1e"
    assert response["Content-Type"].startswith("text/plain")
    assert client.get(url(billbee), {"echo": "<script>"}).status_code == 400
    assert not due(billbee)


@pytest.mark.django_db
def test_a_signed_call_makes_the_connection_due_at_once_and_fetches_nothing(
    client, hook, billbee, run_fake
):
    fake = run_fake(unthrottled_billbee(bulk=3, now=timezone.now()))
    response = call(client, billbee)
    assert response.status_code == 202
    assert due(billbee)
    # answered without a look at Billbee: the next cycle fetches, as it always does
    assert fake.app.requests == []
    assert Document.objects.count() == 0
    assert billbee.cursor == ""
    assert tick(lambda pk: None) == [billbee.pk]


@pytest.mark.django_db
def test_a_call_with_a_wrong_or_no_signature_changes_nothing(client, hook, billbee):
    body = b'{"Notifications": []}'
    for headers in (
        {},
        {"ms-signature": signed(body, "another key of sixty-four characters" * 2)},
        {"ms-signature": "sha1=" + hmac.new(KEY.encode(), body, hashlib.sha1).hexdigest()},
        {"ms-signature": "sha256=not-hex"},
    ):
        assert call(client, billbee, body, headers=headers).status_code == 401
    assert not due(billbee)


@pytest.mark.django_db
def test_an_unknown_token_or_connection_is_gone(client, hook, billbee, org):
    """410 Gone: the sender drops a registration belegsync no longer knows (a token
    replaced by a new registration, a connection that is no Billbee one any more)."""
    other = Connection.objects.create(organisation=org, name="x", source_kind="billbee")
    for address in (url(billbee, "guessed"), url(other), f"/billbee/hooks/{billbee.pk + 99}/x/"):
        assert client.get(address, {"echo": "abc"}).status_code == 410
        assert client.post(address, b"{}", content_type="application/json").status_code == 410
    Connection.objects.filter(pk=billbee.pk).update(source_kind="memory")
    assert call(client, billbee).status_code == 410
    assert not due(billbee)


@pytest.mark.django_db
def test_an_archived_connections_calls_are_gone(client, hook, billbee):
    """Billbee did not remove an archived connection's webhook: its calls answer 410 Gone,
    so a sender that follows ASP.NET WebHooks drops the registration (unverified)."""
    Connection.objects.filter(pk=billbee.pk).update(archived_at=timezone.now())
    assert call(client, billbee).status_code == 410
    assert client.get(url(billbee), {"echo": "abc"}).status_code == 410
    assert not due(billbee)


@pytest.mark.django_db
def test_a_burst_of_calls_makes_the_connection_due_with_one_write(client, hook, billbee):
    with CaptureQueriesContext(db) as queries:
        answers = {call(client, billbee).status_code for _ in range(10)}
    assert answers == {202}
    writes = [q["sql"] for q in queries.captured_queries if q["sql"].startswith("UPDATE")]
    assert len(writes) == 1
    assert due(billbee)


@pytest.mark.django_db
def test_only_the_tokens_hash_is_stored_and_the_key_encrypted(hook):
    with db.cursor() as cursor:
        cursor.execute(f"SELECT * FROM {Webhook._meta.db_table}")  # noqa: S608
        row = " ".join(str(value) for value in cursor.fetchone())
    assert TOKEN not in row and KEY not in row
    assert push.token_sha256(TOKEN) in row


def test_the_signature_is_the_hmac_of_the_body_in_any_hex_case():
    body = b'{"a": 1}'
    assert push.signature_valid(KEY, body, signed(body))
    assert push.signature_valid(KEY, body, signed(body).upper().replace("SHA256", "sha256"))
    assert not push.signature_valid(KEY, body + b" ", signed(body))
    assert not push.signature_valid("", body, signed(body, ""))


def test_it_asks_for_billbees_order_events_or_for_all():
    assert push.filters_for(["order.updated", "product.created", "order.created"]) == [
        "order.created",
        "order.updated",
    ]
    assert push.filters_for(["stock.changed"]) == ["*"]


# -- registration at Billbee's double (its echo call reaches a live server) ----------------


@pytest.fixture
def live_billbee(transactional_db, org, live_server, run_fake, settings):
    settings.BELEGSYNC_PUBLIC_URL = live_server.url
    fake = run_fake(unthrottled_billbee(bulk=0, now=timezone.now()))
    fake.app.webhooks.synchronous = True
    connection = Connection.objects.create(
        organisation=org,
        name="Billbee → Books",
        source_kind="billbee",
        target_kind="memory",
        credentials={"source": dict(BILLBEE_CREDENTIALS)},
        next_sync_at=timezone.now() + LATER,
    )
    return fake.app, connection


def client_of(connection):
    from belegsync.connectors.base import AdapterContext

    return BillbeeSource.make_client(AdapterContext(credentials=connection.credentials["source"]))


def test_a_registered_webhook_passes_the_echo_and_an_order_makes_its_connection_due(
    live_billbee,
):
    """GIVEN belegsync's public address set by the operator
    WHEN a Billbee connection registers its webhook
    THEN Billbee's echo call passes, Billbee holds one registration for order events
    with a secret, and a new order in Billbee makes the connection due at once."""
    app, connection = live_billbee
    with client_of(connection) as client:
        hook = hooks.register(connection, client)
    [registered] = app.webhooks.hooks.values()
    assert registered["Id"] == hook.hook_id
    assert registered["WebHookUri"].startswith(f"{hooks.public_url()}/billbee/hooks/")
    assert "noecho" not in registered["WebHookUri"]
    assert registered["Filters"] == ["order.created", "order.invoice_created", "order.updated"]
    assert len(registered["Secret"]) == 64
    assert not due(connection)

    app.add_order(seed_orders(1)[0])
    assert [outcome for _id, _action, outcome in app.webhooks.log] == [202]
    assert due(connection)


def test_registering_again_keeps_a_registration_billbee_has_and_replaces_a_lost_one(
    live_billbee,
):
    app, connection = live_billbee
    with client_of(connection) as client:
        first = hooks.register(connection, client)
        assert hooks.register(connection, client).hook_id == first.hook_id
        app.webhooks.hooks.clear()  # removed in Billbee
        second = hooks.register(connection, client)
    assert second.hook_id != first.hook_id
    assert list(app.webhooks.hooks) == [second.hook_id]


def test_a_new_public_address_registers_anew_and_the_old_one_is_removed(live_billbee, settings):
    app, connection = live_billbee
    with client_of(connection) as client:
        first = hooks.register(connection, client)
        Webhook.objects.filter(pk=first.pk).update(public_url="https://old.example.com")
        second = hooks.register(connection, client)
    assert list(app.webhooks.hooks) == [second.hook_id]


def test_unregistering_removes_it_at_billbee_and_here(live_billbee):
    app, connection = live_billbee
    with client_of(connection) as client:
        hooks.register(connection, client)
        assert hooks.unregister(connection, client) is True
        assert hooks.unregister(connection, client) is False
    assert app.webhooks.hooks == {}
    assert not Webhook.objects.exists()


@pytest.mark.parametrize("reading", READINGS)
def test_archiving_removes_the_webhook_at_billbee(live_billbee, alice, reading):
    """GIVEN a Billbee connection whose webhook is registered
    WHEN it is archived (Billbee answering the removal either way the reference leaves open)
    THEN Billbee holds no registration any more and belegsync keeps none."""
    app, connection = live_billbee
    app.set_reading(reading)
    with client_of(connection) as client:
        hooks.register(connection, client)
    archiving = services.archive(Actor.of(alice), connection)
    assert archiving.changed and archiving.warnings == []
    assert app.webhooks.hooks == {}
    assert not Webhook.objects.exists()
    assert ("DELETE", "/api/v1/webhooks/", 200) in [
        (m, p.rstrip("0123456789abcdef"), status) for m, p, status in app.requests
    ]


def test_archiving_after_billbee_lost_the_webhook_says_nothing(live_billbee, alice):
    app, connection = live_billbee
    with client_of(connection) as client:
        hooks.register(connection, client)
    app.webhooks.hooks.clear()  # removed in Billbee: the removal's 404 means "gone already"
    assert services.archive(Actor.of(alice), connection).warnings == []
    assert not Webhook.objects.exists()


def test_a_webhook_billbee_does_not_remove_is_said_and_the_archive_stands(live_billbee, alice):
    """GIVEN a registered webhook and Billbee refusing the credentials since
    WHEN the connection is archived
    THEN it is archived, the merchant reads why the webhook stays (German, in the history
    too), and belegsync keeps the registration to remove it later."""
    app, connection = live_billbee
    with client_of(connection) as client:
        hooks.register(connection, client)
    app.set_credentials({"password": "revoked"})
    with translation.override("de"):
        archiving = services.archive(Actor.of(alice), connection)
    assert archiving.changed
    connection.refresh_from_db()
    assert connection.archived_at is not None
    [warning] = archiving.warnings
    assert warning.startswith("Billbee hat den Webhook dieser Verbindung nicht entfernt")
    assert "Zugangsdaten" in warning  # the reason Billbee gave
    assert len(app.webhooks.hooks) == 1 and Webhook.objects.get().hook_id
    event = ConnectionEvent.objects.get(connection=connection, action="archive_incomplete")
    assert event.message == warning


def test_restoring_sets_the_webhook_up_again(live_billbee, alice):
    """GIVEN a connection archived (its webhook removed) WHEN it is restored THEN Billbee
    holds a registration for it again, so new orders move at once as before."""
    app, connection = live_billbee
    with client_of(connection) as client:
        hooks.register(connection, client)
    services.archive(Actor.of(alice), connection)
    assert app.webhooks.hooks == {}
    restoring = services.restore(Actor.of(alice), connection)
    assert restoring.changed and restoring.warnings == []
    [registered] = app.webhooks.hooks.values()
    assert Webhook.objects.get().hook_id == registered["Id"]
    app.add_order(seed_orders(1)[0])
    assert [outcome for _id, _action, outcome in app.webhooks.log] == [202]


def test_a_webhook_billbee_does_not_set_up_again_is_said_and_the_restore_stands(
    live_billbee, alice, settings
):
    app, connection = live_billbee
    Connection.objects.filter(pk=connection.pk).update(archived_at=timezone.now())
    settings.BELEGSYNC_PUBLIC_URL = "http://127.0.0.1:9"  # Billbee's echo call cannot reach it
    with translation.override("de"):
        restoring = services.restore(Actor.of(alice), connection)
    assert restoring.changed
    [warning] = restoring.warnings
    assert warning.startswith("Billbee hat den Webhook dieser Verbindung nicht wieder")
    connection.refresh_from_db()
    assert connection.archived_at is None
    assert app.webhooks.hooks == {} and not Webhook.objects.exists()
    assert ConnectionEvent.objects.filter(connection=connection, action="restore_incomplete")


def test_the_archive_page_shows_why_the_webhook_stays(client, alice, live_billbee):
    app, connection = live_billbee
    with client_of(connection) as api:
        hooks.register(connection, api)
    app.set_credentials({"password": "revoked"})
    client.force_login(alice)
    client.cookies["django_language"] = "de"
    page = client.post(f"/connections/{connection.pk}/archive/", follow=True).content.decode()
    assert "Billbee hat den Webhook dieser Verbindung nicht entfernt" in page
    assert "ist archiviert" in page


def test_a_registration_billbee_refuses_leaves_nothing_behind(live_billbee, settings):
    """Billbee's echo call fails (belegsync is not reachable at the address): nothing kept."""
    app, connection = live_billbee
    settings.BELEGSYNC_PUBLIC_URL = "http://127.0.0.1:9"
    from belegsync.connectors.errors import ConnectorError

    with client_of(connection) as client, pytest.raises(ConnectorError):
        hooks.register(connection, client)
    assert app.webhooks.hooks == {}
    assert not Webhook.objects.exists()


def test_without_a_public_address_nothing_is_registered(live_billbee, settings):
    app, connection = live_billbee
    settings.BELEGSYNC_PUBLIC_URL = ""
    with client_of(connection) as client, pytest.raises(hooks.PublicUrlMissing):
        hooks.register(connection, client)
    assert app.webhooks.hooks == {}


# -- the page: saving step 1 registers it, the button removes and sets it up -----------------


def general_data():
    return {
        "name": "Billbee → Books",
        "start_date": "2024-12-01",
        "shop_ids": ["100000000123457"],
        "state_ids": ["3", "4", "7"],
        "state_rule": "current",
        "export_tag": "belegsync",
    }


def settings_url(connection):
    return f"/billbee/connections/{connection.pk}/settings/general/"


def test_saving_step_one_sets_up_the_webhook_and_the_button_removes_it(client, alice, live_billbee):
    app, connection = live_billbee
    client.force_login(alice)
    assert client.post(settings_url(connection), general_data()).status_code == 302
    [registered] = app.webhooks.hooks.values()
    page = client.get(settings_url(connection)).content.decode()
    assert "Billbee reports new and changed orders to belegsync at once" in page
    assert registered["Secret"] not in page and "/billbee/hooks/" not in page

    setup = f"/billbee/connections/{connection.pk}/webhook/"
    response = client.post(setup, {"action": "remove"}, follow=True)
    assert "The webhook is removed" in response.content.decode()
    assert app.webhooks.hooks == {} and not Webhook.objects.exists()
    response = client.post(setup, {"action": "register"}, follow=True)
    assert "Billbee now reports new and changed orders at once." in response.content.decode()
    assert len(app.webhooks.hooks) == 1


def test_a_webhook_billbee_refuses_is_said_and_the_settings_are_saved(
    client, alice, live_billbee, settings
):
    app, connection = live_billbee
    settings.BELEGSYNC_PUBLIC_URL = "http://127.0.0.1:9"  # Billbee's echo call cannot reach it
    client.force_login(alice)
    client.cookies["django_language"] = "de"
    response = client.post(settings_url(connection), general_data(), follow=True)
    page = response.content.decode()
    assert "Billbee hat den Webhook nicht eingerichtet" in page
    connection.refresh_from_db()
    assert "billbee:general" in connection.steps_done
    assert app.webhooks.hooks == {}


def test_without_a_public_address_the_page_says_so_and_registers_nothing(
    client, alice, live_billbee, settings
):
    app, connection = live_billbee
    settings.BELEGSYNC_PUBLIC_URL = ""
    client.force_login(alice)
    client.cookies["django_language"] = "de"
    assert client.post(settings_url(connection), general_data()).status_code == 302
    page = client.get(settings_url(connection)).content.decode()
    assert "Sofort melden kann Billbee sie erst, wenn auf dieser Installation" in page
    assert "Webhook bei Billbee einrichten" not in page
    setup = f"/billbee/connections/{connection.pk}/webhook/"
    response = client.post(setup, {"action": "register"}, follow=True)
    assert "Webhooks sind auf dieser Installation ausgeschaltet." in response.content.decode()
    assert app.webhooks.hooks == {}


def test_a_tax_advisor_cannot_set_it_up(client, tax_advisor, live_billbee):
    app, connection = live_billbee
    client.force_login(tax_advisor)
    setup = f"/billbee/connections/{connection.pk}/webhook/"
    assert client.post(setup, {"action": "register"}).status_code == 403
    assert app.webhooks.hooks == {}
