"""The page for an outage (:mod:`belegsync.lib.outage`): 503, says what is wrong.

It is rendered without the database (no session, no navigation), since the
database may be what is wrong.
"""

from __future__ import annotations

import logging

from django.http import HttpRequest, HttpResponse
from django.template.loader import render_to_string

from belegsync.lib.outage import LINES, Outage, outage_of

log = logging.getLogger("belegsync.web")


class OutageMiddleware:
    def __init__(self, get_response: object) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response: HttpResponse = self.get_response(request)  # type: ignore[operator]
        return response

    def process_exception(self, request: HttpRequest, exception: Exception) -> HttpResponse | None:
        outage = outage_of(exception)
        if outage is None:
            return None
        log.error("outage (%s) on %s: %s", outage, request.path, LINES[outage])
        return outage_page(request, outage)


def outage_page(request: HttpRequest | None, outage: Outage) -> HttpResponse:
    html = render_to_string("503.html", {"outage": outage.value}, request=None)
    response = HttpResponse(html, status=503)
    if outage is not Outage.KEYS:
        response["Retry-After"] = "30"
    return response
