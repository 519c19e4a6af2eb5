"""The dashboard: counts per state, the connections' sync status, the global switch.

The sync's health is read from the counts the database keeps per connection,
state and failure reason (``DocumentCount``, a few rows per connection however
many documents there are): counts per state, backlog per connection and
failures by reason; the last cycle of each connection comes as
subqueries of the connection list, the live workers from their heartbeats.
"""

from __future__ import annotations

from django.contrib import messages
from django.db.models import Func, IntegerField, OuterRef, Subquery
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from belegsync.documents.labels import failure_reason_label
from belegsync.documents.models import DocumentCount, DocumentDayCount, Event
from belegsync.documents.roles import Permission
from belegsync.documents.states import State
from belegsync.services import Actor
from belegsync.services import connections as services
from belegsync.sync.heartbeat import ALIVE, alive
from belegsync.sync.models import CycleRecord, WorkerHeartbeat
from belegsync.web import charts, scoping
from belegsync.web.roles import requires

from .common import back, checked, is_htmx


def document_groups(request: HttpRequest) -> list[tuple[str, int, str, int]]:
    """(state, connection id, failure reason, count), from the kept counts."""
    return list(
        DocumentCount.objects.filter(
            connection__organisation=scoping.organisation_of(request), n__gt=0
        ).values_list("state", "connection_id", "failure_reason", "n")
    )


def state_counts(groups: list[tuple[str, int, str, int]]) -> list[tuple[str, str, int]]:
    """(state, label, count) for every state."""
    found: dict[str, int] = {}
    for state, _connection, _reason, n in groups:
        found[state] = found.get(state, 0) + n
    return [(state.value, str(state.label), found.get(state.value, 0)) for state in State]


def backlog(groups: list[tuple[str, int, str, int]]) -> dict[int, int]:
    """Documents still to transfer (waiting or in progress) per connection id."""
    result: dict[int, int] = {}
    for state, connection, _reason, n in groups:
        if state in (State.WAITING, State.PROCESSING):
            result[connection] = result.get(connection, 0) + n
    return result


def failures_by_reason(groups: list[tuple[str, int, str, int]]) -> list[tuple[str, str, int]]:
    """(reason, label, count) of failed documents, most first."""
    found: dict[str, int] = {}
    for state, _connection, reason, n in groups:
        if state == State.FAILED:
            found[reason] = found.get(reason, 0) + n
    return sorted(
        ((reason, failure_reason_label(reason) or "?", n) for reason, n in found.items()),
        key=lambda item: -item[2],
    )


@requires(Permission.VIEW_DOCUMENTS)
def dashboard(request: HttpRequest) -> HttpResponse:
    organisation = scoping.organisation_of(request)
    groups = document_groups(request)
    last = CycleRecord.objects.filter(connection=OuterRef("pk")).order_by("-started_at")
    # Live workers ride along the connection list (one query fewer on every page view).
    workers = (
        WorkerHeartbeat.objects.filter(seen_at__gte=timezone.now() - ALIVE)
        .annotate(n=Func("name", function="COUNT"))
        .values("n")
    )
    connections = list(
        scoping.connections(request)
        .filter(archived_at__isnull=True)  # an archived one no longer syncs: nothing to watch
        .select_related("organisation")
        .annotate(
            # the last cycle that did something (idle cycles leave no record, only
            # last_sync_at): shown with its time, so it never reads as the latest check
            last_cycle_at=Subquery(last.values("started_at")[:1]),
            last_cycle_seconds=Subquery(last.values("seconds")[:1]),
            last_cycle_transferred=Subquery(last.values("transferred")[:1]),
            last_cycle_failed=Subquery(last.values("failed")[:1]),
            workers_alive=Subquery(workers, output_field=IntegerField()),
        )
        .order_by("name")
    )
    waiting = backlog(groups)
    for connection in connections:
        connection.backlog = waiting.get(connection.pk, 0)  # type: ignore[attr-defined]
    return render(
        request,
        "web/dashboard.html",
        {
            "organisation": organisation,
            "counts": state_counts(groups),
            "connections": connections,
            "failures": failures_by_reason(groups),
            "workers_alive": connections[0].workers_alive if connections else alive(),
            "per_day": charts.documents_per_day(
                DocumentDayCount.objects.filter(connection__organisation=organisation),
                timezone.localdate(),
            ),
            "failures_per_day": charts.failures_per_day(
                Event.objects.filter(document__connection__organisation=organisation),
                timezone.localdate(),
            ),
        },
    )


@requires(Permission.MANAGE_CONNECTIONS)
@require_POST
def toggle_organisation_sync(request: HttpRequest) -> HttpResponse:
    organisation = scoping.organisation_of(request)
    enabled = checked(request)
    services.set_organisation_sync(Actor.of(request.user), organisation, enabled)
    if enabled:
        messages.success(
            request,
            _("Synchronisation enabled. It continues where it stopped; no document is lost."),
        )
    else:
        messages.warning(
            request,
            _("Synchronisation disabled for all connections. Documents keep their state."),
        )
    if is_htmx(request):
        return render(request, "web/_org_switch.html", {"organisation": organisation})
    return back(request, "dashboard")
