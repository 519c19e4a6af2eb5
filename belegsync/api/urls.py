"""/api/v1/: the API's own authentication (tokens), not the web's sign-in."""

from __future__ import annotations

from collections.abc import Iterable

from django.urls import URLPattern, URLResolver, path

from .main import api


def _without_login(patterns: Iterable[URLPattern | URLResolver]) -> None:
    """Exempt the API's views from the web's LoginRequiredMiddleware: a token authenticates."""
    for pattern in patterns:
        if isinstance(pattern, URLResolver):
            _without_login(pattern.url_patterns)
        else:
            pattern.callback.login_required = False  # type: ignore[attr-defined]


# (a module-level ``app_name`` would namespace this whole module: keep the tuple whole)
_api_urls = api.urls
_without_login(_api_urls[0])

urlpatterns = [path("api/v1/", _api_urls)]
