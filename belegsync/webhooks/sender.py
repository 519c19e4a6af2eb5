"""Send due deliveries: signed POSTs, retried with backoff until acknowledged.

A delivery is acknowledged by any 2xx answer and is never sent again after
that. Anything else (another status, a timeout, a refused connection) is
retried after 30 s, 1, 2, 4 … minutes (at most 6 h between two tries, ±20 %
jitter) until ``MAX_ATTEMPTS``; then it is *failed*, shown on the webhooks
page. A sender holds a delivery by a conditional UPDATE while it sends, so two
workers never send one at the same time. If belegsync dies after the receiver
answered but before the answer is recorded, the delivery is sent once more:
receivers drop repeats by the ``Belegsync-Delivery`` header.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
import random
from typing import Any

import httpx
from django.db.models import Q
from django.utils import timezone

from belegsync.connectors import deadline, egress
from belegsync.connectors.http import USER_AGENT

from . import addresses, signing
from .models import Delivery

log = logging.getLogger("belegsync.webhooks")

MAX_ATTEMPTS = 8
BASE_DELAY = dt.timedelta(seconds=30)
MAX_DELAY = dt.timedelta(hours=6)
TIMEOUT = 10.0
#: The whole try (connect, send, answer) ends by then, however slowly a receiver drips.
DEADLINE = 30.0
LEASE = dt.timedelta(seconds=60)
#: What a delivery keeps of a receiver's answer (status line and the start of the body).
KEPT = 500


def backoff(attempts: int, jitter: float | None = None) -> dt.timedelta:
    """The wait after the ``attempts``-th failed try."""
    wait = min(MAX_DELAY, BASE_DELAY * 2 ** max(0, attempts - 1))
    return wait * (random.uniform(0.8, 1.2) if jitter is None else jitter)


def body(delivery: Delivery) -> bytes:
    return json.dumps(delivery.payload, separators=(",", ":"), sort_keys=True).encode()


def headers(delivery: Delivery, content: bytes, now: float | None = None) -> dict[str, str]:
    return {
        "Content-Type": "application/json",
        "User-Agent": USER_AGENT,
        "Belegsync-Event": delivery.event,
        "Belegsync-Delivery": delivery.key,
        signing.HEADER: signing.header(delivery.endpoint.signing_secret, content, now),
    }


def claim(delivery_id: int, now: dt.datetime) -> bool:
    return bool(
        Delivery.objects.filter(
            Q(lease_until__isnull=True) | Q(lease_until__lt=now),
            pk=delivery_id,
            state=Delivery.State.PENDING,
            next_attempt_at__lte=now,
        ).update(lease_until=now + LEASE)
    )


def send(delivery: Delivery, now: dt.datetime | None = None) -> Delivery:
    """One try of a claimed delivery; records its outcome.

    The request goes through :func:`addresses.client`: the receiver's name is
    resolved once, at the socket, and the connection goes to an address that
    passed the check, so an answer that changes in between cannot redirect it.
    """
    now = now or timezone.now()
    endpoint = delivery.endpoint
    refused = "" if endpoint.active else "The endpoint is switched off."
    refused = refused or addresses.malformed(endpoint.url)
    if refused:
        return _record(delivery, now, status=None, error=refused, final=True)
    content = body(delivery)
    try:
        with deadline.scope(DEADLINE), addresses.client(endpoint.url) as client:
            answer = client.post(
                endpoint.url,
                content=content,
                headers=headers(delivery, content, now.timestamp()),
                timeout=TIMEOUT,
            )
    except egress.AddressRefused as error:
        return _record(delivery, now, status=None, error=error.message, final=True)
    except httpx.HTTPError as error:
        return _record(delivery, now, status=None, error=f"{type(error).__name__}: {error}")
    if 200 <= answer.status_code < 300:
        return _record(delivery, now, status=answer.status_code, error="", delivered=True)
    excerpt = f"HTTP {answer.status_code}: {answer.text[:KEPT]}"
    return _record(delivery, now, status=answer.status_code, error=excerpt)


def _record(
    delivery: Delivery,
    now: dt.datetime,
    *,
    status: int | None,
    error: str,
    delivered: bool = False,
    final: bool = False,
) -> Delivery:
    attempts = delivery.attempts + 1
    fields: dict[str, Any] = {
        "attempts": attempts,
        "last_status": status,
        "last_error": error[: KEPT * 2],
        "lease_until": None,
    }
    if delivered:
        fields |= {"state": Delivery.State.DELIVERED, "delivered_at": now}
    elif final or attempts >= MAX_ATTEMPTS:
        fields |= {"state": Delivery.State.FAILED}
    else:
        fields |= {"next_attempt_at": now + backoff(attempts)}
    Delivery.objects.filter(pk=delivery.pk, state=Delivery.State.PENDING).update(**fields)
    for name, value in fields.items():
        setattr(delivery, name, value)
    if not delivered:
        log.info("webhook delivery=%s attempt=%s failed: %s", delivery.pk, attempts, error[:200])
    return delivery


def send_due(now: dt.datetime | None = None, limit: int = 100) -> int:
    """Send the deliveries whose time has come; returns how many were tried."""
    now = now or timezone.now()
    due = list(
        Delivery.objects.filter(state=Delivery.State.PENDING, next_attempt_at__lte=now)
        .order_by("next_attempt_at", "id")
        .values_list("pk", flat=True)[:limit]
    )
    tried = 0
    for pk in due:
        if claim(pk, now):
            send(Delivery.objects.select_related("endpoint").get(pk=pk), now)
            tried += 1
    return tried
