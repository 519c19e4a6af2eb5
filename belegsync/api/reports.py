"""/reports/month: is a month complete? The web's month report as data."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from django.utils.translation import gettext as _
from ninja import Query, Router

from belegsync.documents.models import Connection
from belegsync.documents.report import CurrencyTotal, StateSum, month_report
from belegsync.documents.roles import Permission

from . import problems
from .auth import actor
from .schemas import MonthQuery, MonthReportOut

router = Router(tags=["reports"])


@router.get("/reports/month", response={200: MonthReportOut, **problems.responses(404, 422)})
def get_month_report(request: HttpRequest, query: Query[MonthQuery]) -> dict[str, Any]:
    """Complete when every document of the month is booked (or skipped by the connection's
    filters) and no invoice number is missing between the month's first and last."""
    who = actor(request, Permission.VIEW_DOCUMENTS)
    organisation = who.organisation
    assert organisation is not None
    connection = None
    if query.connection is not None:
        try:
            connection = who.connections().get(pk=query.connection)
        except Connection.DoesNotExist:
            raise problems.not_found(_("No such connection.")) from None
    report = month_report(organisation, query.first_day, connection)
    return {
        "month": f"{report.month:%Y-%m}",
        "connection": query.connection,
        "complete": report.complete,
        "total": report.total,
        "booked": report.booked,
        "skipped": report.skipped,
        "states": [
            {
                "state": state,
                "documents": report.counts[state],
                "gross": str(report.gross(state, "EUR")),
                "currencies": [_currency_sum(s) for s in report.sums_of(state)],
            }
            for state in report.states
        ],
        "totals": [_currency_sum(t) for t in report.totals],
        "outstanding": [
            {
                "number": o.number,
                "kind": o.kind,
                "state": o.state,
                "connection": o.connection,
                "reason": o.reason,
            }
            for o in report.outstanding
        ],
        "outstanding_total": report.outstanding_total,
        "gaps": [{"first": g.first, "last": g.last, "count": g.count} for g in report.gaps],
    }


def _currency_sum(amount: StateSum | CurrencyTotal) -> dict[str, Any]:
    return {"currency": amount.currency, "documents": amount.documents, "gross": str(amount.gross)}
