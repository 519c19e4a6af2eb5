from django.urls import include, path

urlpatterns = [
    path("", include("belegsync.web.urls")),
]
