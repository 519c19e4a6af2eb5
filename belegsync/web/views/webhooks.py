"""The page "Webhooks": register a URL for events (its secret shown once), remove it, and
see every delivery with its status."""

from __future__ import annotations

from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from belegsync.documents.roles import Permission
from belegsync.services import Actor
from belegsync.services import webhooks as services
from belegsync.services.actor import NotAllowed
from belegsync.web.roles import requires
from belegsync.webhooks.models import WebhookEvent

from .common import back

SHOWN_DELIVERIES = 50


@requires(Permission.MANAGE_CONNECTIONS)
def webhook_list(request: HttpRequest) -> HttpResponse:
    actor = Actor.of(request.user)
    if actor.membership is None:
        raise Http404("No organisation for this user.")
    secret = ""
    if request.method == "POST":
        try:
            endpoint, secret = services.register(
                actor, request.POST.get("url", ""), request.POST.getlist("events")
            )
        except services.Refused as refusal:
            messages.error(request, str(refusal))
        else:
            messages.success(
                request,
                _("Webhook for %(url)s saved. Copy its secret now: it is shown only once.")
                % {"url": endpoint.url},
            )
    return render(
        request,
        "web/webhooks.html",
        {
            "endpoints": services.endpoints(actor),
            "deliveries": services.deliveries(actor)[:SHOWN_DELIVERIES],
            "events": WebhookEvent.choices,
            "secret": secret,
        },
    )


@requires(Permission.MANAGE_CONNECTIONS)
@require_POST
def remove(request: HttpRequest, pk: int) -> HttpResponse:
    try:
        endpoint = services.remove(Actor.of(request.user), pk)
    except NotAllowed:
        messages.error(request, _("No such webhook."))
    else:
        messages.success(request, _("Webhook for %(url)s removed.") % {"url": endpoint.url})
    return back(request, "webhooks")
