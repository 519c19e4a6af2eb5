"""Log in with Django's auth views and our templates; log out by POST only; change password.

Logins are throttled by django-axes (settings ``AXES_*``): :func:`locked_out` is the
page it answers with once a user name or an address has failed too often.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_not_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import reverse_lazy
from django.utils.decorators import method_decorator
from django.utils.translation import gettext as _

from belegsync.web.roles import signed_in


@method_decorator(login_not_required, name="dispatch")
class LoginView(auth_views.LoginView):
    template_name = "web/login.html"
    redirect_authenticated_user = True


@method_decorator(signed_in, name="dispatch")
class LogoutView(auth_views.LogoutView):
    http_method_names = ["post", "options"]


@method_decorator(signed_in, name="dispatch")
class PasswordChangeView(auth_views.PasswordChangeView):
    """Change one's own password (the first start's generated one, above all)."""

    template_name = "web/password_change.html"
    success_url = reverse_lazy("dashboard")

    def form_valid(self, form: Any) -> HttpResponse:
        response = super().form_valid(form)
        messages.success(self.request, _("Your password is changed."))
        return response


def locked_out(
    request: HttpRequest, response: HttpResponse | None = None, credentials: Any = None
) -> HttpResponse:
    """Too many failed logins for this user name or from this address (429)."""
    minutes = int(settings.AXES_COOLOFF_TIME.total_seconds() // 60)
    return render(request, "web/locked_out.html", {"minutes": minutes}, status=429)
