"""Notifications (issue #14, item 5): an immediate message when a connection pauses and
a daily digest, by e-mail through Django's mail settings — delivered here to a real
local SMTP server (aiosmtpd)."""

from __future__ import annotations

import datetime as dt
import socket
from decimal import Decimal
from email import message_from_bytes
from email.header import decode_header, make_header
from unittest.mock import ANY

import pytest
from aiosmtpd.controller import Controller
from django.utils import timezone

from belegsync.connectors.base import SourceDocument
from belegsync.documents.models import Connection, Organisation
from belegsync.sync.cycle import run_cycle
from belegsync.sync.ingest import store_all
from belegsync.sync.notify import send_digests
from tests.conftest import make_voucher
from tests.doubles import BILLBEE_CREDENTIALS
from tests.hostile.server import Hostile
from tests.webhooks.receiver import receiver

__all__ = ["receiver"]  # the fixture

pytestmark = pytest.mark.django_db

BERLIN = dt.timezone(dt.timedelta(hours=1))


class Inbox:
    def __init__(self) -> None:
        self.mails: list = []

    async def handle_DATA(self, server, session, envelope):
        mail = message_from_bytes(envelope.content)
        mail["X-Rcpt"] = ", ".join(envelope.rcpt_tos)
        self.mails.append(mail)
        return "250 OK"


def subject(mail) -> str:
    return str(make_header(decode_header(mail["Subject"])))


def body(mail) -> str:
    return mail.get_payload(decode=True).decode(mail.get_content_charset() or "utf-8")


@pytest.fixture
def inbox(settings, alice):
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    handler = Inbox()
    controller = Controller(handler, hostname="127.0.0.1", port=port)
    controller.start()
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT = "127.0.0.1", port
    settings.BELEGSYNC_NOTIFY_BY_MAIL = True
    alice.email = "alice@teeladen.example"
    alice.save()
    yield handler
    controller.stop()


@pytest.fixture
def broken_billbee(org, point_at, settings):
    settings.BELEGSYNC_PAUSE_AFTER_FAILED_CYCLES = 1
    server = Hostile(answer=b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\n<>")
    point_at("billbee", server.url)
    yield Connection.objects.create(
        organisation=org,
        name="Billbee → Books",
        source_kind="billbee",
        target_kind="memory",
        credentials={"source": dict(BILLBEE_CREDENTIALS)},
    )
    server.stop()


def test_a_paused_connection_is_mailed_at_once(
    inbox, broken_billbee, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        run_cycle(broken_billbee.pk, "w1")
    assert len(inbox.mails) == 1
    mail = inbox.mails[0]
    assert mail["X-Rcpt"] == "alice@teeladen.example"
    assert subject(mail) == "belegsync: die Verbindung „Billbee → Books“ ist pausiert"
    text = body(mail)
    assert "Billbee hat eine Antwort geschickt, die belegsync nicht lesen kann" in text
    assert "Erneut prüfen" in text


def test_without_a_mail_server_nothing_is_sent(
    broken_billbee, settings, mailoutbox, django_capture_on_commit_callbacks
):
    settings.BELEGSYNC_NOTIFY_BY_MAIL = False
    with django_capture_on_commit_callbacks(execute=True):
        run_cycle(broken_billbee.pk, "w1")
    assert Connection.objects.get(pk=broken_billbee.pk).paused_reason
    assert mailoutbox == []
    assert send_digests() == 0


def test_the_daily_digest_goes_once_a_day_after_its_hour(inbox, connection, org):
    bad = make_voucher("RE-9", total_gross=Decimal("50.00"))  # does not add up: failed
    store_all(connection, [SourceDocument(bad, source_id="RE-9")], actor="test")
    Connection.objects.filter(pk=connection.pk).update(
        failing_since=timezone.now(),
        failure_details=[{"code": "remote.unreachable", "params": {"system": "Billbee"}}],
    )
    early = dt.datetime(2026, 12, 2, 6, 30, tzinfo=BERLIN)
    morning = dt.datetime(2026, 12, 2, 7, 30, tzinfo=BERLIN)
    assert send_digests(early) == 0  # before BELEGSYNC_DIGEST_HOUR (7)
    assert send_digests(morning) == 1
    assert send_digests(morning + dt.timedelta(hours=5)) == 0  # once a day
    assert Organisation.objects.get(pk=org.pk).digest_sent_on == dt.date(2026, 12, 2)
    mail = inbox.mails[0]
    assert subject(mail) == "belegsync: dein Tag bei Alice's Shop"
    text = body(mail)
    assert "Fehlgeschlagene Belege" in text and ": 1" in text
    assert "Abgleiche von Shop → Books schlagen fehl seit" in text
    assert "Billbee ist gerade nicht erreichbar" in text
    assert send_digests(morning + dt.timedelta(days=1)) == 1  # the next day again


def test_a_quiet_day_sends_no_digest(inbox, connection):
    assert send_digests(dt.datetime(2026, 12, 2, 8, 0, tzinfo=BERLIN)) == 0
    assert inbox.mails == []


def test_a_pause_after_failed_cycles_goes_to_the_webhooks_once(
    broken_billbee, alice, settings, django_capture_on_commit_callbacks
):
    """The cycle's pause has no document event for the webhook outbox to find: it is
    queued through the one sender, for each endpoint that wants connection.paused."""
    from belegsync.services import Actor
    from belegsync.services import webhooks as services
    from belegsync.webhooks.models import Delivery

    settings.BELEGSYNC_WEBHOOK_ALLOW_PRIVATE = True
    services.register(
        Actor.of(alice), "https://hooks.teeladen.example/belegsync", ["connection.paused"]
    )
    with django_capture_on_commit_callbacks(execute=True):
        run_cycle(broken_billbee.pk, "w1")
    (delivery,) = Delivery.objects.all()
    assert delivery.event == "connection.paused"
    data = delivery.payload["data"]
    assert data["connection"] == {"id": broken_billbee.pk, "name": "Billbee → Books"}
    assert [r["code"] for r in data["reasons"]] == ["connection.failing", "remote.bad_answer"]


def _endpoint(alice, settings, events: list[str]):
    from belegsync.services import Actor
    from belegsync.services import webhooks as services

    settings.BELEGSYNC_WEBHOOK_ALLOW_PRIVATE = True
    return services.register(Actor.of(alice), "https://hooks.teeladen.example/digest", events)


def test_the_daily_digest_goes_to_the_webhooks_too_without_a_mail_server(
    connection, org, alice, settings
):
    """GIVEN no mail server, and an endpoint that wants digest.daily
    WHEN the digest hour has come on a day with a failed document and a failing sync
    THEN one delivery goes to that endpoint, with the counts and the reasons as codes,
    once that day however often the scheduler asks, and again the next day."""
    from belegsync.webhooks.models import Delivery

    settings.BELEGSYNC_NOTIFY_BY_MAIL = False
    _endpoint(alice, settings, ["digest.daily"])
    _endpoint(alice, settings, ["document.failed"])  # does not want it
    bad = make_voucher("RE-9", total_gross=Decimal("50.00"))  # does not add up: failed
    store_all(connection, [SourceDocument(bad, source_id="RE-9")], actor="test")
    failing_since = dt.datetime(2026, 12, 1, 22, 0, tzinfo=dt.UTC)
    Connection.objects.filter(pk=connection.pk).update(
        failing_since=failing_since,
        failure_details=[{"code": "remote.unreachable", "params": {"system": "Billbee"}}],
    )
    morning = dt.datetime(2026, 12, 2, 7, 30, tzinfo=BERLIN)
    assert send_digests(morning - dt.timedelta(hours=1)) == 0  # before the hour
    assert send_digests(morning) == 1
    assert send_digests(morning + dt.timedelta(hours=3)) == 0

    (delivery,) = Delivery.objects.all()
    assert delivery.event == "digest.daily" and delivery.key == "digest.daily:2026-12-02"
    assert delivery.endpoint.events == ["digest.daily"]
    payload = delivery.payload
    assert payload["id"] == delivery.key and payload["event"] == "digest.daily"
    data = payload["data"]
    assert data["date"] == "2026-12-02"
    assert data["since"] == (morning - dt.timedelta(days=1)).isoformat()
    assert data["transferred"] == 0
    assert data["failed"] == [
        {"failure_category": "validation", "count": 1, "failure_category_text": ANY}
    ]
    assert data["paused"] == []
    assert data["failing"] == [
        {
            "id": connection.pk,
            "name": "Shop → Books",
            "since": failing_since.isoformat(),
            "reasons": [
                {"code": "remote.unreachable", "params": {"system": "Billbee"}, "text": ANY}
            ],
        }
    ]
    assert "Billbee" in data["failing"][0]["reasons"][0]["text"]  # its words beside the code
    assert send_digests(morning + dt.timedelta(days=1)) == 1
    assert Delivery.objects.count() == 2


def test_the_digest_goes_by_mail_and_webhook_alike(inbox, connection, alice, settings):
    from belegsync.webhooks.models import Delivery

    _endpoint(alice, settings, ["digest.daily"])
    bad = make_voucher("RE-9", total_gross=Decimal("50.00"))
    store_all(connection, [SourceDocument(bad, source_id="RE-9")], actor="test")
    assert send_digests(dt.datetime(2026, 12, 2, 8, 0, tzinfo=BERLIN)) == 1
    assert len(inbox.mails) == 1
    assert Delivery.objects.get().payload["data"]["failed"][0]["count"] == 1


def test_a_quiet_day_sends_no_digest_webhook(connection, alice, settings):
    from belegsync.webhooks.models import Delivery

    settings.BELEGSYNC_NOTIFY_BY_MAIL = False
    _endpoint(alice, settings, ["digest.daily"])
    assert send_digests(dt.datetime(2026, 12, 2, 8, 0, tzinfo=BERLIN)) == 0
    assert not Delivery.objects.exists()


def test_the_digest_webhook_is_sent_and_signed_like_every_webhook(
    connection, alice, settings, receiver
):
    """Through the one sender: a real receiver gets the signed POST with its headers."""
    import json

    from belegsync.services import Actor
    from belegsync.services import webhooks as services
    from belegsync.webhooks import sender, signing

    settings.BELEGSYNC_NOTIFY_BY_MAIL = False
    settings.BELEGSYNC_WEBHOOK_ALLOW_PRIVATE = True
    _, secret = services.register(Actor.of(alice), receiver.url, ["digest.daily"])
    bad = make_voucher("RE-9", total_gross=Decimal("50.00"))
    store_all(connection, [SourceDocument(bad, source_id="RE-9")], actor="test")
    morning = dt.datetime(2026, 12, 2, 8, 0, tzinfo=BERLIN)
    assert send_digests(morning) == 1
    assert sender.send_due(now=morning) == 1
    (got,) = receiver.received
    assert got.headers["Belegsync-Event"] == "digest.daily"
    assert got.headers["Belegsync-Delivery"] == "digest.daily:2026-12-02"
    signed = got.headers[signing.HEADER]
    assert signing.verify(secret, signed, got.body, now=morning.timestamp())
    assert json.loads(got.body)["data"]["failed"][0]["failure_category"] == "validation"
