"""The error pages: "not found" and "something went wrong", with the navigation, translated."""

from __future__ import annotations

import logging
import sys

from django.http import HttpRequest, HttpResponse, HttpResponseServerError
from django.shortcuts import render
from django.utils.translation import gettext as _

from belegsync.lib.outage import outage_of
from belegsync.web.outage import outage_page

log = logging.getLogger("belegsync.web")


def not_found(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    return render(request, "404.html", status=404)


def server_error(request: HttpRequest) -> HttpResponse:
    """The page with the navigation; if that page itself fails, a plain one that cannot.

    An outage raised outside a view (a session saved on a locked database) gets its
    own page here, as the middleware gives it to a view's."""
    outage = outage_of(sys.exc_info()[1] or Exception())
    if outage is not None:
        return outage_page(request, outage)
    try:
        return render(request, "500.html", status=500)
    except Exception:
        log.exception("the error page failed too")
        text = _("Something went wrong on our side. Please try again in a moment.")
        return HttpResponseServerError(f"<!doctype html><title>belegsync</title><p>{text}</p>")
