"""Small helpers shared by the views."""

from __future__ import annotations

from collections.abc import Callable

from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import resolve_url
from django.urls import reverse
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


#: Stands for the id in a URL reversed once for a whole list (no id has these digits
#: as its text: ids are below it on every database belegsync runs on for years).
_ID_MARK = 9_182_736_450_918_273


def url_of_id(name: str, *args: object) -> Callable[[int], str]:
    """``reverse(name, args=[id, *args])`` as a function of the id, reversed once.

    A list page reverses one URL per row and button otherwise: 150 reversals on a
    page of 50 documents were a tenth of its time.
    """
    pattern = reverse(name, args=[_ID_MARK, *args])
    before, mark, after = pattern.partition(str(_ID_MARK))
    if not mark:
        raise ValueError(f"{name}: the id is not in the URL {pattern!r}")
    return lambda pk: f"{before}{int(pk)}{after}"
