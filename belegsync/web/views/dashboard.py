from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render


def dashboard(request: HttpRequest) -> HttpResponse:
    return render(request, "web/base.html")


def toggle_organisation_sync(request: HttpRequest) -> HttpResponse:
    return render(request, "web/base.html")
