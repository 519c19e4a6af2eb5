"""The error pages: "not found" and "something went wrong", with the navigation, translated."""

from __future__ import annotations

import logging

from django.http import HttpRequest, HttpResponse, HttpResponseServerError
from django.shortcuts import render
from django.utils.translation import gettext as _

log = logging.getLogger("belegsync.web")


def not_found(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    return render(request, "404.html", status=404)


def server_error(request: HttpRequest) -> HttpResponse:
    """The page with the navigation; if that page itself fails, a plain one that cannot."""
    try:
        return render(request, "500.html", status=500)
    except Exception:
        log.exception("the error page failed too")
        text = _("Something went wrong on our side. Please try again in a moment.")
        return HttpResponseServerError(f"<!doctype html><title>belegsync</title><p>{text}</p>")
