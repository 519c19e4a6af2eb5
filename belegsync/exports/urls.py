"""Web pages of manual exports, included under /exports/."""

from __future__ import annotations

from django.urls import URLPattern, path

from . import views

app_name = "exports"
urlpatterns: list[URLPattern] = [
    path("", views.overview, name="overview"),
    path("new/", views.export_dialog, name="dialog"),
    path("jobs/", views.job_list, name="jobs"),
    path("jobs/<int:pk>/", views.job_detail, name="job"),
    path("jobs/<int:pk>/progress/", views.job_progress, name="job_progress"),
    path("jobs/<int:pk>/download/", views.download, name="download"),
    path("settings/<slug:identifier>/", views.format_settings, name="format_settings"),
]
