"""/webhooks: the organisation's webhook endpoints and their deliveries."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from django.utils.translation import gettext as _
from ninja import Query, Router, Status

from belegsync.services import webhooks as services
from belegsync.webhooks.models import Delivery, Endpoint

from . import problems
from .auth import actor
from .pages import cursor_page, not_found_unless_own
from .schemas import (
    DeliveryPage,
    EndpointCreatedOut,
    EndpointOut,
    ImportsQuery,
    PathId,
    WebhookIn,
)

router = Router(tags=["webhooks"])


def endpoint_out(endpoint: Endpoint) -> dict[str, Any]:
    return {
        "id": endpoint.pk,
        "url": endpoint.url,
        "events": list(endpoint.events or []),
        "active": endpoint.active,
        "language": endpoint.language,
        "created_at": endpoint.created_at,
    }


def delivery_out(delivery: Delivery) -> dict[str, Any]:
    return {
        "id": delivery.pk,
        "endpoint": delivery.endpoint_id,
        "event": delivery.event,
        "key": delivery.key,
        "state": delivery.state,
        "attempts": delivery.attempts,
        "next_attempt_at": delivery.next_attempt_at
        if delivery.state == Delivery.State.PENDING
        else None,
        "last_status": delivery.last_status,
        "last_error": delivery.last_error,
        "created_at": delivery.created_at,
        "delivered_at": delivery.delivered_at,
    }


@router.get("/webhooks", response={200: list[EndpointOut], **problems.responses()})
def list_webhooks(request: HttpRequest) -> list[dict[str, Any]]:
    """The organisation's webhook endpoints (their secrets are never shown again)."""
    return [endpoint_out(e) for e in services.endpoints(actor(request))]


@router.post("/webhooks", response={201: EndpointCreatedOut, **problems.responses(422)})
def create_webhook(request: HttpRequest, payload: WebhookIn) -> Status[dict[str, Any]]:
    """Register an address for events; the answer holds its signing secret, shown once."""
    try:
        endpoint, secret = services.register(
            actor(request), payload.url, payload.events, payload.language
        )
    except services.Refused as refusal:
        raise problems.field_refused(
            "webhook_refused", _("Webhook refused"), str(refusal), where="body", field="url"
        ) from None
    return Status(201, {**endpoint_out(endpoint), "secret": secret})


@router.delete("/webhooks/{int:pk}", response={204: None, **problems.responses(404)})
def delete_webhook(request: HttpRequest, pk: PathId) -> Status[None]:
    """Remove an endpoint; deliveries not yet sent are dropped."""
    with not_found_unless_own(_("No such webhook.")):
        services.remove(actor(request), pk)
    return Status(204, None)


@router.get("/webhooks/deliveries", response={200: DeliveryPage, **problems.responses(422)})
def list_deliveries(request: HttpRequest, query: Query[ImportsQuery]) -> dict[str, Any]:
    """Every delivery, newest first, with its state and the receiver's last answer."""
    found = services.deliveries(actor(request))
    return cursor_page(found, query.after, query.limit, delivery_out)
