"""Issue, list, revoke and check API tokens.

A token is shown once, when it is issued; belegsync keeps only its SHA-256.
It acts as the user who made it, with their role, and only within the
organisation it was made in: a user who has moved to another organisation
cannot use their old tokens.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import secrets

from django.db.models import QuerySet
from django.utils import timezone

from belegsync.services import Actor
from belegsync.services.actor import NotAllowed

from .models import ApiToken

#: Marks belegsync's tokens (secret scanners and people recognise them by it).
SCHEME = "bsk_"
PREFIX_LENGTH = 12
#: ``last_used_at`` is written at most this often per token, not on every request.
USE_RESOLUTION = dt.timedelta(minutes=1)


def digest(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def tokens(actor: Actor) -> QuerySet[ApiToken]:
    """The actor's own tokens in their organisation, newest first."""
    organisation = actor.organisation
    if actor.user is None or organisation is None:
        raise NotAllowed("Tokens belong to a user of an organisation.")
    return ApiToken.objects.filter(user=actor.user, organisation=organisation)


def issue(actor: Actor, name: str) -> tuple[ApiToken, str]:
    """A new token for the actor in their organisation, and its secret (shown once)."""
    organisation = actor.organisation
    if actor.user is None or organisation is None:
        raise NotAllowed("Tokens belong to a user of an organisation.")
    secret = SCHEME + secrets.token_urlsafe(32)
    token = ApiToken.objects.create(
        organisation=organisation,
        user=actor.user,
        name=name.strip()[:100] or "API",
        prefix=secret[:PREFIX_LENGTH],
        digest=digest(secret),
    )
    return token, secret


def revoke(actor: Actor, pk: int) -> ApiToken:
    """Revoke one of the actor's tokens; it is refused from the next request on."""
    try:
        token = tokens(actor).get(pk=pk)
    except ApiToken.DoesNotExist:
        raise NotAllowed("No such token.") from None
    if token.revoked_at is None:
        token.revoked_at = timezone.now()
        ApiToken.objects.filter(pk=token.pk, revoked_at__isnull=True).update(
            revoked_at=token.revoked_at
        )
    return token


def authenticate(secret: str) -> ApiToken | None:
    """The active token with this secret whose user is still in its organisation."""
    if not secret.startswith(SCHEME):
        return None
    token = (
        ApiToken.objects.select_related("user__membership", "organisation")
        .filter(digest=digest(secret), revoked_at__isnull=True)
        .first()
    )
    if token is None or not token.user.is_active:
        return None
    membership = getattr(token.user, "membership", None)
    if membership is None or membership.organisation_id != token.organisation_id:
        return None
    _record_use(token)
    return token


def _record_use(token: ApiToken) -> None:
    now = timezone.now()
    if token.last_used_at is None or now - token.last_used_at >= USE_RESOLUTION:
        ApiToken.objects.filter(pk=token.pk).update(last_used_at=now)
        token.last_used_at = now


def actor_for(token: ApiToken) -> Actor:
    """Who acts through the token: its user, named with the token in the history."""
    username = token.user.get_username()
    return Actor(user=token.user, name=f"{username} (API: {token.name})"[:150])
