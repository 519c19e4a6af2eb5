"""Small helpers shared by the views."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import resolve_url
from django.utils.http import url_has_allowed_host_and_scheme


def is_htmx(request: HttpRequest) -> bool:
    return request.headers.get("HX-Request") == "true"


def back(request: HttpRequest, default: str, *args: object) -> HttpResponse:
    """Redirect to the form's ``next`` if it is ours, else to ``default`` (POST/redirect/GET)."""
    target = request.POST.get("next") or request.GET.get("next") or ""
    if not url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        target = resolve_url(default, *args)
    return HttpResponseRedirect(target)


def checked(request: HttpRequest, name: str = "enabled") -> bool:
    """A switch's posted value: "on"/"true"/"1" means on, anything else (or missing) off."""
    return request.POST.get(name, "").lower() in {"on", "true", "1", "yes"}
