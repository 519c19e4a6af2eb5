"""Afterbuy's own pages, included under /afterbuy/."""

from __future__ import annotations

from django.urls import URLPattern, path

from . import views

app_name = "afterbuy"
urlpatterns: list[URLPattern] = [
    path("imports/<int:pk>/mapping/", views.mapping, name="import_mapping"),
]
