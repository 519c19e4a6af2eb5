"""Web pages of the afterbuy integration (settings, uploads), included under /afterbuy/."""

from __future__ import annotations

from django.urls import URLPattern

app_name = "afterbuy"
urlpatterns: list[URLPattern] = []
