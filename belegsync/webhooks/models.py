"""Webhooks out: an organisation's endpoints, and every delivery with its status."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from belegsync.documents.fields import EncryptedJSONField
from belegsync.documents.models import Organisation


class WebhookEvent(models.TextChoices):
    DOCUMENT_FAILED = "document.failed", _("a document failed")
    DOCUMENT_DONE = "document.done", _("a document was transferred")
    CONNECTION_PAUSED = "connection.paused", _("a connection was paused")
    MONTH_COMPLETE = "month.complete", _("a month is complete")
    DAILY_DIGEST = "digest.daily", _("the daily digest")


class Endpoint(models.Model):
    """A URL of the organisation that wants some events, signed with its own secret."""

    organisation = models.ForeignKey(
        Organisation, on_delete=models.CASCADE, related_name="webhook_endpoints"
    )
    url = models.URLField(_("URL"), max_length=500)
    #: The WebhookEvent values it wants.
    events = models.JSONField(default=list)
    #: {"secret": "whsec_…"}: encrypted at rest, needed in clear to sign.
    secret = EncryptedJSONField(default=dict)
    active = models.BooleanField(default=True)
    #: The language the payload's texts are written in (one of settings.LANGUAGES): the
    #: registering member's unless they chose another.
    language = models.CharField(max_length=10, default="de")
    created_at = models.DateTimeField(default=timezone.now)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL
    )

    class Meta:
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return self.url

    @property
    def signing_secret(self) -> str:
        return str((self.secret or {}).get("secret", ""))


class Delivery(models.Model):
    """One event for one endpoint: sent until acknowledged (2xx), retried with backoff."""

    class State(models.TextChoices):
        PENDING = "pending", _("pending")
        DELIVERED = "delivered", _("delivered")
        FAILED = "failed", _("failed")

    endpoint = models.ForeignKey(Endpoint, on_delete=models.CASCADE, related_name="deliveries")
    event = models.CharField(max_length=40, choices=WebhookEvent.choices)
    #: What makes it this delivery: the same key is never queued twice for one endpoint.
    key = models.CharField(max_length=120)
    payload = models.JSONField(default=dict)
    state = models.CharField(max_length=20, choices=State.choices, default=State.PENDING)
    attempts = models.PositiveIntegerField(default=0)
    next_attempt_at = models.DateTimeField(default=timezone.now)
    #: A sender holds a delivery while it sends (conditional UPDATE), so two never both send.
    lease_until = models.DateTimeField(null=True, blank=True)
    last_status = models.PositiveIntegerField(null=True, blank=True)
    last_error = models.TextField(blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    delivered_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(fields=["endpoint", "key"], name="delivery_key_unique")
        ]
        indexes = [models.Index(fields=["state", "next_attempt_at"], name="delivery_due")]


class Outbox(models.Model):
    """How far the document history has been turned into deliveries (one row)."""

    name = models.CharField(max_length=40, unique=True)
    last_event_id = models.BigIntegerField(default=0)
