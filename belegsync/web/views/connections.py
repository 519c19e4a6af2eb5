from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render


def connection_list(request: HttpRequest) -> HttpResponse:
    return render(request, "web/base.html")


def connection_edit(request: HttpRequest, pk: int | None = None) -> HttpResponse:
    return render(request, "web/base.html")


def toggle_enabled(request: HttpRequest, pk: int) -> HttpResponse:
    return render(request, "web/base.html")


def sync_now(request: HttpRequest, pk: int) -> HttpResponse:
    return render(request, "web/base.html")
