"""Web pages of the afterbuy integration (settings, uploads), included under /afterbuy/."""

from __future__ import annotations

from django.urls import URLPattern, path

from . import views

app_name = "afterbuy"
urlpatterns: list[URLPattern] = [
    path("upload/", views.upload, name="upload"),
    path("connections/<int:pk>/upload/", views.upload, name="connection_upload"),
    path("imports/<str:import_id>/", views.status, name="import"),
    path("imports/<str:import_id>/progress/", views.progress, name="import_progress"),
    path("imports/<str:import_id>/mapping/", views.mapping, name="import_mapping"),
]
