"""Web pages of the sevdesk integration (settings, uploads), included under /sevdesk/."""

from __future__ import annotations

from django.urls import URLPattern

app_name = "sevdesk"
urlpatterns: list[URLPattern] = []
