"""The dashboard: counts per state, the connections' sync status, the global switch."""

from __future__ import annotations

from django.contrib import messages
from django.db.models import Count
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from belegsync.documents.models import Organisation
from belegsync.documents.states import State
from belegsync.web import scoping

from .common import back, checked, is_htmx


def state_counts(request: HttpRequest) -> list[tuple[str, str, int]]:
    """(state, label, count) for every state, in one GROUP BY query."""
    found = dict(
        scoping.documents(request)
        .order_by()
        .values_list("state")
        .annotate(n=Count("id"))
        .values_list("state", "n")
    )
    return [(state.value, str(state.label), found.get(state.value, 0)) for state in State]


def dashboard(request: HttpRequest) -> HttpResponse:
    organisation = scoping.organisation_of(request)
    return render(
        request,
        "web/dashboard.html",
        {
            "organisation": organisation,
            "counts": state_counts(request),
            "connections": scoping.connections(request)
            .select_related("organisation")
            .order_by("name"),
        },
    )


@require_POST
def toggle_organisation_sync(request: HttpRequest) -> HttpResponse:
    organisation = scoping.organisation_of(request)
    enabled = checked(request)
    Organisation.objects.filter(pk=organisation.pk).update(sync_enabled=enabled)
    organisation.sync_enabled = enabled
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
