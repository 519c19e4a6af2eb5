"""Web pages of the billbee integration (settings, its webhook), included under /billbee/."""

from __future__ import annotations

from django.urls import URLPattern, path

from . import views

app_name = "billbee"
urlpatterns: list[URLPattern] = [
    path("connections/<int:pk>/settings/", views.settings_view, name="settings_start"),
    path("connections/<int:pk>/settings/<str:step>/", views.settings_view, name="settings"),
    path("connections/<int:pk>/webhook/", views.webhook_setup, name="webhook_setup"),
    # Billbee's calls; the token is the receiver's secret (only its hash is stored)
    path("hooks/<int:pk>/<str:token>/", views.webhook, name="webhook"),
]
