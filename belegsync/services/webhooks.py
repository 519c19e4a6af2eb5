"""The organisation's webhook endpoints: register (secret shown once), remove, deliveries."""

from __future__ import annotations

from collections.abc import Iterable

from django.conf import settings
from django.db.models import QuerySet
from django.utils.translation import get_language
from django.utils.translation import gettext as _

from belegsync.documents.roles import Permission
from belegsync.webhooks import addresses, signing
from belegsync.webhooks.models import Delivery, Endpoint, WebhookEvent

from .actor import Actor, NotAllowed


class Refused(ValueError):
    """The endpoint cannot be registered; the message says why, in the merchant's words."""


def endpoints(actor: Actor) -> QuerySet[Endpoint]:
    """The organisation's endpoints (a removed one is kept, switched off, for its log)."""
    actor.require(Permission.MANAGE_CONNECTIONS)
    organisation = actor.organisation
    found = Endpoint.objects.filter(active=True)
    return found if organisation is None else found.filter(organisation=organisation)


def language_of(requested: str | None) -> str:
    """One of the languages belegsync speaks: ``requested``, else the active one."""
    known = [code for code, _name in settings.LANGUAGES]
    for candidate in (requested, get_language(), settings.LANGUAGE_CODE):
        base = (candidate or "").split("-")[0].lower()
        if base in known:
            return base
    return known[0]


def register(
    actor: Actor, url: str, events: Iterable[str], language: str | None = None
) -> tuple[Endpoint, str]:
    """A new endpoint of the actor's organisation, and its signing secret (shown once).

    Its payloads' texts are in ``language``, by default the one the actor reads
    now (the page's, or the API request's ``Accept-Language``).
    """
    actor.require(Permission.MANAGE_CONNECTIONS)
    organisation = actor.organisation
    if organisation is None:
        raise NotAllowed("A webhook belongs to one organisation.")
    wanted = sorted({str(e) for e in events})
    unknown = [e for e in wanted if e not in WebhookEvent.values]
    if not wanted or unknown:
        raise Refused(_("Choose at least one of the events."))
    url = url.strip()
    refusal = addresses.refusal(url)
    if refusal:
        raise Refused(refusal)
    secret = signing.new_secret()
    endpoint = Endpoint.objects.create(
        organisation=organisation,
        url=url,
        events=wanted,
        secret={"secret": secret},
        language=language_of(language),
        created_by=actor.user,
    )
    return endpoint, secret


def remove(actor: Actor, pk: int) -> Endpoint:
    """Remove an endpoint: nothing more is queued or sent to it, its delivery log stays."""
    try:
        endpoint = endpoints(actor).get(pk=pk)
    except Endpoint.DoesNotExist:
        raise NotAllowed("No such webhook.") from None
    Endpoint.objects.filter(pk=endpoint.pk).update(active=False, secret={})
    Delivery.objects.filter(endpoint=endpoint, state=Delivery.State.PENDING).update(
        state=Delivery.State.FAILED, last_error="The webhook was removed."
    )
    endpoint.active = False
    return endpoint


def deliveries(actor: Actor) -> QuerySet[Delivery]:
    """The organisation's deliveries, newest first."""
    actor.require(Permission.MANAGE_CONNECTIONS)
    organisation = actor.organisation
    found = Delivery.objects.select_related("endpoint").order_by("-id")
    return found if organisation is None else found.filter(endpoint__organisation=organisation)
