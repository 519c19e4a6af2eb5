"""Events become deliveries: the document history is the outbox.

Every change of a document's state is already an append-only ``Event``;
:func:`collect` reads those after its cursor and queues a delivery per
endpoint that wants the event: a document failed or done, a connection
paused (recorded on the document whose transfer found the credentials
refused), and a month whose every document is booked. The engine needs no
call of its own, so no transfer waits for a receiver.

Events are read only once they are ``SETTLE`` old: an event with a lower id
can commit after one with a higher id (two transactions), and must not be
passed over. A delivery's key (event and event id, or the month) is unique per
endpoint, so two collectors racing queue each once.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from typing import Any

from django.db import transaction
from django.utils import timezone, translation

from belegsync.connectors.reasons import Reason
from belegsync.documents.labels import failure_reason_label
from belegsync.documents.models import Document, Event, Organisation
from belegsync.documents.report import month_report
from belegsync.documents.states import State
from belegsync.reasons import render

from .models import Delivery, Endpoint, Outbox, WebhookEvent

SETTLE = dt.timedelta(seconds=30)
BATCH = 1000
NAME = "events"


def _document(document: Document) -> dict[str, Any]:
    return {
        "id": document.pk,
        "number": document.source_number,
        "kind": document.kind,
        "state": document.state,
        "invoice_date": document.invoice_date.isoformat() if document.invoice_date else None,
        "total_gross": str(
            -document.total_gross if document.kind == "credit_note" else document.total_gross
        ),
        "currency": document.currency,
        "connection": {"id": document.connection_id, "name": document.connection.name},
        "failure_category": document.failure_reason if document.state == State.FAILED else "",
        "failure_reasons": list(document.failure_details or [])
        if document.state == State.FAILED
        else [],
    }


def _kind(event: Event) -> WebhookEvent | None:
    if event.action == "release" and (event.detail or {}).get("paused"):
        return WebhookEvent.CONNECTION_PAUSED
    if event.to_state == State.FAILED and event.from_state != State.FAILED:
        return WebhookEvent.DOCUMENT_FAILED
    if event.to_state == State.DONE and event.from_state != State.DONE:
        return WebhookEvent.DOCUMENT_DONE
    return None


def _payload(
    kind: WebhookEvent, key: str, at: dt.datetime, data: dict[str, Any], language: str
) -> dict[str, Any]:
    return {
        "id": key,
        "event": kind.value,
        "created_at": at.isoformat(),
        "language": language,
        "data": data,
    }


def worded(data: Any, currency: str = "EUR") -> Any:
    """``data`` with the words beside its codes, in the active language (a copy).

    Every reason (``{"code", "params"}``) in a list under a key ending in
    ``reasons`` gets its ``text``, as the pages render it; a
    ``failure_category`` gets its ``failure_category_text``. The codes stay, for
    receivers that decide by them. Amounts read in the nearest ``currency``.
    """
    if isinstance(data, list):
        return [worded(item, currency) for item in data]
    if not isinstance(data, dict):
        return data
    currency = str(data.get("currency") or currency)
    found: dict[str, Any] = {}
    for name, value in data.items():
        if name.endswith("reasons") and isinstance(value, list):
            found[name] = [_with_text(item, currency) for item in value]
        else:
            found[name] = worded(value, currency)
    if data.get("failure_category"):
        found["failure_category_text"] = failure_reason_label(str(data["failure_category"]))
    return found


def _with_text(reason: Any, currency: str) -> Any:
    if not isinstance(reason, dict) or not reason.get("code"):
        return reason
    return {**reason, "text": render(Reason.from_json(reason), currency)}


def emit(
    organisation_id: int, kind: WebhookEvent, key: str, data: dict[str, Any], at: dt.datetime
) -> int:
    """Queue one event for every active endpoint of the organisation that wants it.

    The one way to send a webhook: ``key`` names the event (a repeat with the
    same key is dropped per endpoint). ``data`` holds codes; each endpoint's
    payload adds their words in its language (:func:`worded`). Returns how many
    deliveries were queued.
    """
    endpoints = [
        e
        for e in Endpoint.objects.filter(organisation_id=organisation_id, active=True)
        if kind.value in (e.events or [])
    ]
    rows = []
    for e in endpoints:
        with translation.override(e.language):
            payload = _payload(kind, key, at, worded(data), e.language)
        rows.append(
            Delivery(endpoint=e, event=kind.value, key=key, payload=payload, next_attempt_at=at)
        )
    created = Delivery.objects.bulk_create(rows, ignore_conflicts=True)
    return len(created)


def _month_complete(organisation_id: int, month: dt.date, at: dt.datetime) -> None:
    report = month_report(Organisation.objects.get(pk=organisation_id), month)
    if report.complete:
        label = f"{month:%Y-%m}"
        emit(
            organisation_id,
            WebhookEvent.MONTH_COMPLETE,
            f"month.complete:{label}",
            {"month": label, "documents": report.total, "booked": report.booked},
            at,
        )


def _wanted_organisations() -> set[int]:
    return set(Endpoint.objects.filter(active=True).values_list("organisation_id", flat=True))


def collect(now: dt.datetime | None = None) -> int:
    """Turn the settled events after the cursor into deliveries; returns events read."""
    now = now or timezone.now()
    outbox, _ = Outbox.objects.get_or_create(name=NAME)
    start = outbox.last_event_id
    events = list(
        Event.objects.filter(id__gt=start, at__lte=now - SETTLE)
        .select_related("document__connection")
        .order_by("id")[:BATCH]
    )
    if not events:
        return 0
    wanted = _wanted_organisations()
    months: set[tuple[int, dt.date]] = set()
    with transaction.atomic():
        for event in _relevant(events, wanted):
            document = event.document
            organisation_id = document.connection.organisation_id
            kind = _kind(event)
            if kind is None:
                continue
            data: dict[str, Any] = {"document": _document(document)}
            if kind is WebhookEvent.CONNECTION_PAUSED:
                connection = document.connection
                data = {
                    "connection": {"id": connection.pk, "name": connection.name},
                    "reasons": list((event.detail or {}).get("reasons") or []),
                }
            emit(organisation_id, kind, f"{kind.value}:{event.pk}", data, event.at)
            if kind is WebhookEvent.DOCUMENT_DONE and document.invoice_date:
                months.add((organisation_id, document.invoice_date.replace(day=1)))
        if wanted:
            manual = [e for e in events if e.to_state == State.MANUAL]
            for event in _relevant(manual, wanted):
                if event.document.invoice_date:
                    months.add(
                        (
                            event.document.connection.organisation_id,
                            event.document.invoice_date.replace(day=1),
                        )
                    )
        for organisation_id, month in sorted(months):
            _month_complete(organisation_id, month, now)
        Outbox.objects.filter(pk=outbox.pk, last_event_id=start).update(last_event_id=events[-1].pk)
    return len(events)


def _relevant(events: Iterable[Event], wanted: set[int]) -> Iterable[Event]:
    return (e for e in events if e.document.connection.organisation_id in wanted)
