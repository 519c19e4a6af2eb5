from django.urls import include, path

urlpatterns = [
    path("", include("belegsync.api.urls")),
    path("", include("belegsync.web.urls")),
]

# the error pages show the navigation and speak the reader's language
handler404 = "belegsync.web.views.errors.not_found"
handler500 = "belegsync.web.views.errors.server_error"
