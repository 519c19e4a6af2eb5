"""API tokens: a secret shown once, kept only as its SHA-256, bound to one organisation."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from belegsync.documents.models import Organisation


class ApiToken(models.Model):
    """A personal token: acts as its user (their role), within the token's organisation.

    The secret has 256 random bits, so a plain SHA-256 of it cannot be guessed
    back and can be looked up by equality; a slow password hash would only
    slow every request down.
    """

    organisation = models.ForeignKey(
        Organisation, on_delete=models.CASCADE, related_name="api_tokens"
    )
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="api_tokens"
    )
    name = models.CharField(_("name"), max_length=100)
    #: The secret's first characters: enough to recognise it in a list, useless to an attacker.
    prefix = models.CharField(max_length=16)
    digest = models.CharField(max_length=64, unique=True)
    created_at = models.DateTimeField(default=timezone.now)
    last_used_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return f"{self.name} ({self.prefix}…)"

    @property
    def active(self) -> bool:
        return self.revoked_at is None


class RequestCount(models.Model):
    """How many requests a token sent in its current clock minute (the request limit).

    One row per token, counted by one upsert per request in the database every
    web process shares (:func:`belegsync.api.auth.count_request`), so the limit
    holds across processes and hosts without a shared cache.
    """

    token = models.OneToOneField(
        ApiToken, on_delete=models.CASCADE, primary_key=True, related_name="request_count"
    )
    #: The clock minute counted (Unix time // 60).
    minute = models.BigIntegerField()
    requests = models.PositiveIntegerField()
