"""Web pages of the billbee integration (settings, uploads), included under /billbee/."""

from __future__ import annotations

from django.urls import URLPattern

app_name = "billbee"
urlpatterns: list[URLPattern] = []
