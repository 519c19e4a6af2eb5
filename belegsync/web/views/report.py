"""The month report page: is a month complete, and if not, what is missing."""

from __future__ import annotations

import datetime as dt

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone

from belegsync.documents.report import gross_per_rate, month_report
from belegsync.documents.roles import Permission
from belegsync.web import charts, scoping
from belegsync.web.roles import requires


def _month(value: str) -> dt.date:
    try:
        return dt.date.fromisoformat(f"{value}-01")
    except ValueError:
        return timezone.localdate().replace(day=1)


@requires(Permission.VIEW_DOCUMENTS)
def month(request: HttpRequest) -> HttpResponse:
    chosen = _month(request.GET.get("month", ""))
    connection = None
    if request.GET.get("connection", "").isdigit():
        connection = scoping.connection_or_404(request, int(request.GET["connection"]))
    organisation = scoping.organisation_of(request)
    report = month_report(organisation, chosen, connection)
    return render(
        request,
        "web/month_report.html",
        {
            "report": report,
            "month_value": f"{chosen:%Y-%m}",
            "connections": scoping.connections(request).order_by("name"),
            "per_rate": (
                charts.gross_per_rate(gross_per_rate(organisation, chosen, connection))
                if report.total
                else []
            ),
            "per_state": charts.gross_per_state(report.sums),
        },
    )
