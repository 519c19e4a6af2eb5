"""Telling the merchant: a message the moment a connection pauses, and a daily digest.

Both go by e-mail through Django's mail settings (``BELEGSYNC_SMTP_*``) to the
organisation's members who have an address; without a mail server configured
no mail is sent. Both also go to the organisation's webhook endpoints that want
them (``connection.paused``, ``digest.daily``), through the one webhook sender
(:func:`belegsync.webhooks.outbox.emit`). Texts are rendered in
``BELEGSYNC_MAIL_LANGUAGE`` (German by default, as the merchants' UI) from the same
reasons the pages show.

The digest goes once a day per organisation, at ``BELEGSYNC_DIGEST_HOUR`` local
time or later: the scheduler calls :func:`send_digests` on every tick and a
conditional UPDATE of ``Organisation.digest_sent_on`` lets exactly one scheduler
send it, however many run.
"""

from __future__ import annotations

import datetime as dt
import logging
from dataclasses import dataclass, field

from django.conf import settings
from django.core.mail import send_mail
from django.db import transaction
from django.db.models import Count, Q
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from belegsync.connectors.reasons import from_json
from belegsync.documents.labels import failure_reason_label
from belegsync.documents.models import Connection, Document, Event, Membership, Organisation
from belegsync.documents.states import State
from belegsync.reasons import render_all
from belegsync.webhooks.models import Endpoint, WebhookEvent
from belegsync.webhooks.outbox import emit

log = logging.getLogger("belegsync.notify")


def mail_configured() -> bool:
    return bool(getattr(settings, "BELEGSYNC_NOTIFY_BY_MAIL", False))


def recipients(organisation_id: int) -> list[str]:
    emails = Membership.objects.filter(organisation_id=organisation_id).values_list(
        "user__email", flat=True
    )
    return sorted({e for e in emails if e})


def _send(organisation_id: int, subject: str, body: str) -> bool:
    to = recipients(organisation_id)
    if not (to and mail_configured()):
        return False
    send_mail(subject, body, None, to)
    log.info("mail sent organisation=%s subject=%r to=%d", organisation_id, subject, len(to))
    return True


# -- the moment a connection pauses ------------------------------------------------------


def connection_paused(connection_id: int, *, webhook: bool = True) -> None:
    """Announce a pause once it is committed (the engine calls this).

    ``webhook=False`` where the pause is recorded on a document's history: the
    webhook outbox finds those on its own, and each pause is sent once.
    """
    transaction.on_commit(lambda: _announce_pause(connection_id, webhook))


def _announce_pause(connection_id: int, webhook: bool) -> None:
    connection = Connection.objects.filter(pk=connection_id).first()
    if connection is None or not connection.paused_reason:
        return
    if webhook:
        _pause_webhook(connection)
    _send_pause_notice(connection)


def _pause_webhook(connection: Connection) -> None:
    at = timezone.now()
    emit(
        connection.organisation_id,
        WebhookEvent.CONNECTION_PAUSED,
        f"{WebhookEvent.CONNECTION_PAUSED.value}:connection-{connection.pk}:{at:%Y%m%dT%H%M%S}",
        {
            "connection": {"id": connection.pk, "name": connection.name},
            "reasons": list(connection.pause_details or []),
        },
        at,
    )


def _send_pause_notice(connection: Connection) -> None:
    connection_id = connection.pk
    with translation.override(settings.BELEGSYNC_MAIL_LANGUAGE):
        reasons = render_all(connection.pause_reasons) or [connection.paused_reason]
        subject = _("belegsync: the connection “%(name)s” is paused") % {"name": connection.name}
        body = "\n\n".join(
            [
                _(
                    "belegsync paused the connection “%(name)s” and transfers nothing until "
                    "it is fixed. No document is lost."
                )
                % {"name": connection.name},
                *reasons,
                _("Open the connection in belegsync and choose “Check again” once it is fixed."),
            ]
        )
    try:
        _send(connection.organisation_id, subject, body)
    except OSError:
        # the mail server is away: the pause stands and the page shows it
        log.exception("pause notice not sent connection=%s", connection_id)


# -- the daily digest -----------------------------------------------------------------


@dataclass
class Digest:
    organisation: Organisation
    transferred: int = 0
    failed_by_reason: dict[str, int] = field(default_factory=dict)
    paused: list[Connection] = field(default_factory=list)
    failing: list[Connection] = field(default_factory=list)

    @property
    def empty(self) -> bool:
        return not (self.transferred or self.failed_by_reason or self.paused or self.failing)


def digest_of(organisation: Organisation, since: dt.datetime) -> Digest:
    digest = Digest(organisation)
    digest.transferred = Event.objects.filter(
        document__connection__organisation=organisation, to_state=State.DONE, at__gte=since
    ).count()
    failed = (
        Document.objects.filter(connection__organisation=organisation, state=State.FAILED)
        .values("failure_reason")
        .annotate(n=Count("pk"))
    )
    digest.failed_by_reason = {row["failure_reason"]: row["n"] for row in failed}
    connections = Connection.objects.filter(organisation=organisation).order_by("name")
    digest.paused = list(connections.exclude(paused_reason=""))
    digest.failing = list(connections.filter(paused_reason="", failing_since__isnull=False))
    return digest


def render_digest(digest: Digest) -> tuple[str, str]:
    with translation.override(settings.BELEGSYNC_MAIL_LANGUAGE):
        subject = _("belegsync: your day in %(name)s") % {"name": digest.organisation.name}
        lines = [_("Transferred in the last 24 hours: %(count)s") % {"count": digest.transferred}]
        if digest.failed_by_reason:
            lines.append(_("Failed documents waiting for you:"))
            lines += [
                f"- {failure_reason_label(reason)}: {count}"
                for reason, count in sorted(digest.failed_by_reason.items())
            ]
        for connection in digest.paused:
            texts = render_all(connection.pause_reasons) or [connection.paused_reason]
            lines.append(_("Paused: %(name)s") % {"name": connection.name})
            lines += [f"  {text}" for text in texts]
        for connection in digest.failing:
            since = timezone.localtime(connection.failing_since).strftime("%d.%m.%Y %H:%M")
            lines.append(
                _("Syncs of %(name)s fail since %(since)s:")
                % {"name": connection.name, "since": since}
            )
            lines += [f"  {text}" for text in render_all(from_json(connection.failure_details))]
        return subject, "\n".join(lines)


def digest_data(digest: Digest, since: dt.datetime, today: dt.date) -> dict[str, object]:
    """The digest as the ``digest.daily`` webhook's ``data``: counts, and categories and
    reasons as codes (the sender adds their words in the endpoint's language)."""
    return {
        "date": today.isoformat(),
        "since": since.isoformat(),
        "transferred": digest.transferred,
        "failed": [
            {"failure_category": reason, "count": count}
            for reason, count in sorted(digest.failed_by_reason.items())
        ],
        "paused": [
            {"id": c.pk, "name": c.name, "reasons": list(c.pause_details or [])}
            for c in digest.paused
        ],
        "failing": [
            {
                "id": c.pk,
                "name": c.name,
                "since": c.failing_since.isoformat() if c.failing_since else None,
                "reasons": list(c.failure_details or []),
            }
            for c in digest.failing
        ],
    }


def _digest_hooked() -> set[int]:
    """The organisations with an active endpoint that wants the digest (a few rows;
    the events are a JSON list, which SQLite cannot search)."""
    endpoints = Endpoint.objects.filter(active=True).values_list("organisation_id", "events")
    return {org for org, events in endpoints if WebhookEvent.DAILY_DIGEST.value in (events or [])}


def send_digests(now: dt.datetime | None = None) -> int:
    """Send today's digest to every organisation not sent one yet (after the digest hour),
    by mail where mail is configured and to its endpoints that want ``digest.daily``.
    Returns how many organisations got one."""
    now = now or timezone.now()
    local = timezone.localtime(now)
    if local.hour < settings.BELEGSYNC_DIGEST_HOUR:
        return 0
    by_mail, hooked = mail_configured(), _digest_hooked()
    if not (by_mail or hooked):
        return 0
    today = local.date()
    due = Organisation.objects.filter(Q(digest_sent_on__isnull=True) | Q(digest_sent_on__lt=today))
    if not by_mail:
        due = due.filter(pk__in=hooked)
    since = now - dt.timedelta(days=1)
    sent = 0
    for organisation in due:
        claimed = (
            Organisation.objects.filter(pk=organisation.pk)
            .filter(Q(digest_sent_on__isnull=True) | Q(digest_sent_on__lt=today))
            .update(digest_sent_on=today)
        )
        if not claimed:
            continue  # another scheduler took it
        digest = digest_of(organisation, since)
        if digest.empty:
            continue
        went = False
        if organisation.pk in hooked:
            went = bool(_digest_webhook(digest, since, today, now))
        if by_mail:
            try:
                went = _send(organisation.pk, *render_digest(digest)) or went
            except OSError:
                log.exception("digest not sent organisation=%s", organisation.pk)
        sent += went
    return sent


def _digest_webhook(digest: Digest, since: dt.datetime, today: dt.date, now: dt.datetime) -> int:
    kind = WebhookEvent.DAILY_DIGEST
    return emit(
        digest.organisation.pk,
        kind,
        f"{kind.value}:{today.isoformat()}",  # one per organisation and day, per endpoint
        digest_data(digest, since, today),
        now,
    )
