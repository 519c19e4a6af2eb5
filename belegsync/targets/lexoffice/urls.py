"""Web pages of the lexoffice integration (settings, uploads), included under /lexoffice/."""

from __future__ import annotations

from django.urls import URLPattern

app_name = "lexoffice"
urlpatterns: list[URLPattern] = []
