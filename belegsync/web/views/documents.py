from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render


def document_list(request: HttpRequest) -> HttpResponse:
    return render(request, "web/base.html")


def bulk_action(request: HttpRequest) -> HttpResponse:
    return render(request, "web/base.html")


def document_detail(request: HttpRequest, pk: int) -> HttpResponse:
    return render(request, "web/base.html")


def document_pdf(request: HttpRequest, pk: int) -> HttpResponse:
    return render(request, "web/base.html")


def document_action(request: HttpRequest, pk: int, action: str) -> HttpResponse:
    return render(request, "web/base.html")
