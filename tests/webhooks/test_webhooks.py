"""Webhooks out: signed, retried with backoff until acknowledged, never sent twice after.

Every test sends to a real receiver on 127.0.0.1 (tests/webhooks/receiver.py).
"""

from __future__ import annotations

import datetime as dt
import json

import pytest
from django.utils import timezone

from belegsync.connectors import egress
from belegsync.documents.models import Event
from belegsync.services import Actor
from belegsync.services import webhooks as services
from belegsync.webhooks import addresses, outbox, sender, signing
from belegsync.webhooks.models import Delivery, WebhookEvent
from tests.web.helpers import failed, make_document

from .receiver import Receiver, receiver

__all__ = ["receiver"]  # the fixture

EVERY_EVENT = [e.value for e in WebhookEvent]


@pytest.fixture(autouse=True)
def _local_receivers(settings):
    settings.BELEGSYNC_WEBHOOK_ALLOW_PRIVATE = True


@pytest.fixture
def endpoint(alice, receiver):
    return services.register(Actor.of(alice), receiver.url, EVERY_EVENT)


def _settled(document, to_state, action="fail", from_state="processing", **detail):
    """An event as the engine writes it, old enough for the outbox to read."""
    return Event.objects.create(
        document=document,
        at=timezone.now() - 2 * outbox.SETTLE,
        actor="worker:1",
        action=action,
        from_state=from_state,
        to_state=to_state,
        detail=detail,
    )


def _send_all(now=None):
    return sender.send_due(now=now)


def test_a_failed_document_is_delivered_signed(endpoint, connection, receiver):
    _, secret = endpoint
    document = failed(connection, "RE-7")
    event = _settled(document, "failed")
    assert outbox.collect() == 1
    assert _send_all() == 1
    [got] = receiver.received
    assert got.headers["Belegsync-Event"] == "document.failed"
    assert got.headers["Belegsync-Delivery"] == f"document.failed:{event.pk}"
    assert signing.verify(secret, got.headers[signing.HEADER], got.body)
    assert not signing.verify(secret, got.headers[signing.HEADER], got.body + b" ")
    assert not signing.verify("whsec_other", got.headers[signing.HEADER], got.body)
    payload = json.loads(got.body)
    assert payload["event"] == "document.failed"
    assert payload["data"]["document"]["number"] == "RE-7"
    assert payload["data"]["document"]["failure_category"] == "rejected"
    assert Delivery.objects.get().state == Delivery.State.DELIVERED


def test_a_payload_carries_each_code_with_its_text_in_the_endpoints_language(
    alice, connection, receiver
):
    """GIVEN one endpoint that reads German and one that reads English WHEN a document
    fails THEN each payload keeps the codes and adds their text in its language."""
    services.register(Actor.of(alice), receiver.url, ["document.failed"], language="de")
    services.register(Actor.of(alice), receiver.url + "?en", ["document.failed"], language="en")
    _settled(failed(connection, "RE-7"), "failed")
    outbox.collect()
    assert _send_all() == 2
    by_language = {p["language"]: p["data"]["document"] for p in map(_payload, receiver.received)}
    german, english = by_language["de"], by_language["en"]
    for document in (german, english):
        [reason] = document["failure_reasons"]
        assert reason["code"] == "remote.rejected" and document["failure_category"] == "rejected"
        assert reason["params"] == {"system": "lexoffice", "remote_message": "x"}
    assert german["failure_category_text"] == "Die Buchhaltung hat den Beleg abgelehnt"
    assert english["failure_category_text"] == "The bookkeeping system refused the voucher"
    assert german["failure_reasons"][0]["text"].startswith("lexoffice hat den Beleg abgelehnt")
    assert english["failure_reasons"][0]["text"].startswith("lexoffice refused the document")


def test_an_endpoint_reads_the_language_of_whoever_registered_it(alice):
    from django.utils import translation

    with translation.override("de"):
        endpoint, _ = services.register(Actor.of(alice), "https://h.example.org/", EVERY_EVENT)
    assert endpoint.language == "de"
    with translation.override("en-gb"):
        endpoint, _ = services.register(Actor.of(alice), "https://h.example.org/", EVERY_EVENT)
    assert endpoint.language == "en"


def test_the_documented_payload_is_what_a_receiver_gets(endpoint, connection, receiver):
    """The example payload of docs/api.md has the keys of a real delivery, at every level."""
    import re
    from pathlib import Path

    docs = (Path(__file__).resolve().parents[2] / "docs" / "api.md").read_text(encoding="utf-8")
    shown = re.search(r"<!-- example: payload-document-failed -->\n```json\n(.*?)```", docs, re.S)
    assert shown, "docs/api.md shows no document.failed payload"
    _settled(failed(connection, "RE-7"), "failed")
    outbox.collect()
    _send_all()
    [got] = receiver.received

    def shape(value):
        if isinstance(value, dict):
            return {name: shape(v) for name, v in value.items() if name != "params"}
        if isinstance(value, list):
            return [shape(v) for v in value[:1]]
        return type(value).__name__

    assert shape(json.loads(shown.group(1))) == shape(_payload(got))


def _payload(received) -> dict:
    return json.loads(received.body)


def test_an_old_signature_is_refused_by_verify(endpoint, connection, receiver):
    _, secret = endpoint
    body = b'{"x":1}'
    header = signing.header(secret, body, now=1_000_000)
    assert signing.verify(secret, header, body, now=1_000_100)
    assert not signing.verify(secret, header, body, now=1_000_000 + 301)


def test_a_receiver_that_is_down_gets_retries_with_backoff_then_fails(
    alice, connection, receiver, monkeypatch
):
    down = "http://127.0.0.1:9/hook"  # the discard port: nothing listens
    services.register(Actor.of(alice), down, ["document.done"])
    _settled(make_document(connection, "RE-1", state="done"), "done", action="complete")
    outbox.collect()
    monkeypatch.setattr(sender.random, "uniform", lambda a, b: 1.0)
    now = timezone.now()
    waits = []
    for _ in range(sender.MAX_ATTEMPTS):
        assert _send_all(now) == 1
        delivery = Delivery.objects.get()
        if delivery.state == Delivery.State.FAILED:
            break
        assert delivery.state == Delivery.State.PENDING and delivery.last_error
        waits.append(delivery.next_attempt_at - now)
        assert _send_all(now) == 0  # not due before its time
        now = delivery.next_attempt_at
    assert delivery.state == Delivery.State.FAILED
    assert delivery.attempts == sender.MAX_ATTEMPTS
    assert waits[:3] == [dt.timedelta(seconds=30), dt.timedelta(minutes=1), dt.timedelta(minutes=2)]


def test_once_acknowledged_nothing_is_delivered_again(alice, connection, receiver):
    services.register(Actor.of(alice), receiver.url, ["document.done"])
    receiver.statuses = [500, 503, 200]
    _settled(make_document(connection, "RE-1", state="done"), "done", action="complete")
    outbox.collect()
    now = timezone.now()
    for _ in range(3):
        _send_all(now)
        now = Delivery.objects.get().next_attempt_at + dt.timedelta(seconds=1)
    delivery = Delivery.objects.get()
    assert delivery.state == Delivery.State.DELIVERED and delivery.attempts == 3
    assert delivery.last_status == 200
    for later in (now, now + dt.timedelta(days=1)):
        assert _send_all(later) == 0
    outbox.collect()  # the same event read again queues nothing new
    assert len(receiver.received) == 3
    assert Delivery.objects.count() == 1
    ids = {r.headers["Belegsync-Delivery"] for r in receiver.received}
    assert len(ids) == 1  # every retry carries the same id, for the receiver's dedupe


def test_the_outbox_reads_every_event_once_and_waits_for_it_to_settle(
    endpoint, connection, receiver
):
    document = failed(connection, "RE-7")
    Event.objects.create(document=document, actor="w", action="fail", to_state="failed")
    assert outbox.collect() == 0  # too fresh: an older id may still commit
    _settled(document, "failed")
    assert outbox.collect() == 1
    assert outbox.collect() == 0
    assert Delivery.objects.count() == 1


def test_only_the_events_an_endpoint_wants_and_only_its_organisation(
    alice, bob, connection, receiver
):
    services.register(Actor.of(alice), receiver.url, ["document.done"])
    services.register(Actor.of(bob), receiver.url, EVERY_EVENT)
    _settled(failed(connection, "RE-1"), "failed")
    _settled(make_document(connection, "RE-2", state="done"), "done", action="complete")
    outbox.collect()
    assert list(Delivery.objects.values_list("event", "endpoint__organisation__slug")) == [
        ("document.done", "alice")
    ]


def test_a_paused_connection_and_a_complete_month_are_events(endpoint, connection, receiver):
    november = dt.date(2026, 11, 3)
    waiting = make_document(connection, "RE-1", invoice_date=november)
    _settled(waiting, "waiting", action="release", paused=True, reasons=[{"code": "auth.refused"}])
    done = make_document(connection, "RE-2", state="done", invoice_date=november)
    _settled(done, "done", action="complete")
    outbox.collect()
    assert set(Delivery.objects.values_list("event", flat=True)) == {
        "connection.paused",
        "document.done",
    }  # RE-1 still waits: the month is not complete
    waiting.state = "done"
    waiting.save()
    _settled(waiting, "done", action="complete", from_state="processing")
    outbox.collect()
    month = Delivery.objects.get(event="month.complete")
    assert month.key == "month.complete:2026-11"
    assert month.payload["data"] == {"month": "2026-11", "documents": 2, "booked": 2}
    paused = Delivery.objects.get(event="connection.paused")
    assert paused.payload["data"]["connection"]["id"] == connection.pk


def test_addresses_into_the_host_network_are_refused(settings):
    settings.BELEGSYNC_WEBHOOK_ALLOW_PRIVATE = False
    for url in (
        "http://127.0.0.1/hook",
        "http://localhost/hook",
        "http://10.1.2.3/hook",
        "http://169.254.169.254/latest/meta-data",
        "http://[::1]/hook",
        "ftp://example.org/hook",
        "https://user:pw@example.org/hook",
        "not a url",
    ):
        assert addresses.refusal(url), url


def test_a_delivery_to_an_address_refused_now_is_not_sent(endpoint, connection, settings, receiver):
    _settled(failed(connection), "failed")
    outbox.collect()
    settings.BELEGSYNC_WEBHOOK_ALLOW_PRIVATE = False
    _send_all()
    delivery = Delivery.objects.get()
    assert delivery.state == Delivery.State.FAILED and "private" in delivery.last_error
    assert receiver.received == []


class Rebinding:
    """A resolver whose answer for one name changes: ``answers`` in turn, the last repeats.

    There is no DNS server to fake on this machine, so the name is answered in
    ``socket.getaddrinfo``; and as there is no internet either, a connection to
    a public address is refused (and recorded) instead of leaving the host.
    """

    def __init__(self, monkeypatch, name: str, answers: list[str]) -> None:
        import socket

        self.name, self.answers, self.lookups, self.connects = name, answers, 0, []
        real_lookup, real_connect = socket.getaddrinfo, socket.create_connection

        def lookup(host, port, *args, **kwargs):
            if host != name:
                return real_lookup(host, port, *args, **kwargs)
            answer = self.answers[min(self.lookups, len(self.answers) - 1)]
            self.lookups += 1
            return real_lookup(answer, port, *args, **kwargs)

        def connect(address, *args, **kwargs):
            host, port = address
            resolved = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)[0][4][0]
            self.connects.append(resolved)
            if egress.is_public(resolved):
                raise ConnectionRefusedError(f"no internet here ({resolved})")
            return real_connect((resolved, port), *args, **kwargs)

        monkeypatch.setattr(socket, "getaddrinfo", lookup)
        monkeypatch.setattr(socket, "create_connection", connect)

    def url(self, receiver: Receiver) -> str:
        return receiver.url.replace("127.0.0.1", self.name)


PUBLIC = "93.184.216.34"


def test_a_name_that_answers_differently_on_the_next_lookup_cannot_reach_the_network(
    alice, connection, receiver, settings, monkeypatch
):
    """GIVEN a receiver name that resolves to a public address when checked and to
    127.0.0.1 on every later lookup (DNS rebinding) WHEN its delivery is sent THEN the
    name is looked up once, the connection goes to the public address that was checked,
    and nothing reaches the receiver inside the network."""
    settings.BELEGSYNC_WEBHOOK_ALLOW_PRIVATE = False
    dns = Rebinding(monkeypatch, "hooks.example.org", [PUBLIC, PUBLIC, "127.0.0.1"])
    services.register(Actor.of(alice), dns.url(receiver), ["document.failed"])
    assert dns.lookups == 1  # the check when it was saved
    _settled(failed(connection), "failed")
    outbox.collect()
    assert _send_all() == 1
    assert dns.lookups == 2 and dns.connects == [PUBLIC]
    assert receiver.received == []
    delivery = Delivery.objects.get()
    assert delivery.state == Delivery.State.PENDING and "ConnectError" in delivery.last_error


def test_a_name_that_points_inside_at_the_delivery_is_refused_before_connecting(
    alice, connection, receiver, settings, monkeypatch
):
    settings.BELEGSYNC_WEBHOOK_ALLOW_PRIVATE = False
    dns = Rebinding(monkeypatch, "hooks.example.org", [PUBLIC, "127.0.0.1"])
    services.register(Actor.of(alice), dns.url(receiver), ["document.failed"])
    _settled(failed(connection), "failed")
    outbox.collect()
    _send_all()
    delivery = Delivery.objects.get()
    assert delivery.state == Delivery.State.FAILED
    assert "hooks.example.org points into a private network (127.0.0.1)" in delivery.last_error
    assert dns.connects == [] and receiver.received == []


def test_a_trusted_receiver_gets_the_address_its_name_had_when_looked_up(
    alice, connection, receiver, monkeypatch
):
    """With private receivers allowed (tests, a receiver on the same machine) the host is
    trusted with what it resolves to, and still connected to as resolved: once."""
    dns = Rebinding(monkeypatch, "receiver.internal", ["127.0.0.1", "127.0.0.2"])
    services.register(Actor.of(alice), dns.url(receiver), ["document.failed"])
    _settled(failed(connection), "failed")
    outbox.collect()
    assert _send_all() == 1
    assert dns.lookups == 1 and dns.connects == ["127.0.0.1"]
    assert len(receiver.received) == 1
    assert receiver.received[0].headers["Host"].startswith("receiver.internal:")
    assert Delivery.objects.get().state == Delivery.State.DELIVERED


def test_nobody_registers_nonsense_or_removes_another_organisations_webhook(alice, bob, receiver):
    with pytest.raises(services.Refused):
        services.register(Actor.of(alice), receiver.url, [])
    with pytest.raises(services.Refused):
        services.register(Actor.of(alice), receiver.url, ["document.deleted"])
    endpoint, _ = services.register(Actor.of(alice), receiver.url, ["document.done"])
    with pytest.raises(PermissionError):
        services.remove(Actor.of(bob), endpoint.pk)
    assert services.endpoints(Actor.of(alice)).count() == 1


def test_the_secret_is_encrypted_at_rest(endpoint):
    from django.db import connection as db

    _, secret = endpoint
    with db.cursor() as cursor:
        cursor.execute("SELECT secret FROM webhooks_endpoint")
        [(stored,)] = cursor.fetchall()
    assert secret not in stored


def test_the_page_shows_the_secret_once_and_the_deliveries(client, alice, receiver):
    client.force_login(alice)
    created = client.post("/account/webhooks/", {"url": receiver.url, "events": EVERY_EVENT})
    html = created.content.decode()
    assert "whsec_" in html
    again = client.get("/account/webhooks/").content.decode()
    assert "whsec_" not in again and receiver.url in again


def test_receiver_fixture_is_local(receiver: Receiver):
    assert receiver.url.startswith("http://127.0.0.1:")


def test_the_documented_check_verifies_a_real_delivery(endpoint, connection, receiver):
    """The receiver's check shown in docs/api.md accepts what belegsync sends."""
    import re
    from pathlib import Path

    docs = (Path(__file__).resolve().parents[2] / "docs" / "api.md").read_text(encoding="utf-8")
    code = re.search(r"<!-- example: verify-signature -->\n```python\n(.*?)```", docs, re.S)
    assert code
    namespace: dict = {}
    exec(code.group(1), namespace)  # noqa: S102 - our own documentation's example
    _, secret = endpoint
    _settled(failed(connection), "failed")
    outbox.collect()
    _send_all()
    [got] = receiver.received
    assert namespace["verified"](secret, got.headers[signing.HEADER], got.body)
    assert not namespace["verified"](secret, got.headers[signing.HEADER], got.body[:-1])


def test_the_scheduler_dispatches_only_when_someone_listens(alice, receiver, monkeypatch):
    from types import SimpleNamespace

    from belegsync.webhooks import tasks

    queued = []
    monkeypatch.setattr(tasks, "dispatch", SimpleNamespace(enqueue=lambda: queued.append(1)))
    assert tasks.enqueue_dispatch() is False
    services.register(Actor.of(alice), receiver.url, ["document.done"])
    assert tasks.enqueue_dispatch() is True and queued == [1]


def test_rotate_keys_reencrypts_webhook_secrets_too(endpoint, settings):
    """GIVEN a new first key WHEN rotate_keys runs and the old key is dropped THEN the
    webhook's secret still decrypts (it was re-encrypted, not left on the old key)."""
    from cryptography.fernet import Fernet
    from django.core.management import call_command

    from belegsync.webhooks.models import Endpoint

    _, secret = endpoint
    new = Fernet.generate_key().decode()
    settings.FERNET_KEYS = [new, *settings.FERNET_KEYS]
    call_command("rotate_keys")
    settings.FERNET_KEYS = [new]
    assert Endpoint.objects.get().signing_secret == secret
