"""Every page declares what a member needs to open it; what declares nothing is refused.

A view is marked with :func:`requires` (a ``Permission`` of ``documents.roles``)
or :func:`signed_in` (any member: log out, change one's password); Django's
``login_not_required`` marks the public ones (login, the invitation link,
/healthz). :class:`RoleMiddleware` refuses a signed-in user whose role lacks
the view's permission with 403, and a view that declares nothing for everyone
(deny by default), so a new page without a rule cannot be opened by accident;
``tests/web/test_roles.py`` walks every URL.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any, TypeVar

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from belegsync.documents.roles import Permission
from belegsync.services.actor import Actor, RoleForbids, read_membership

log = logging.getLogger(__name__)

#: The rule of pages every signed-in member may open.
SIGNED_IN = "signed_in"
View = TypeVar("View", bound=Callable[..., Any])


def requires(permission: Permission) -> Callable[[View], View]:
    """Mark a view as open to the roles that have ``permission``."""

    def mark(view: View) -> View:
        view.required_permission = Permission(permission)  # type: ignore[attr-defined]
        return view

    return mark


def signed_in(view: View) -> View:
    """Mark a view as open to every signed-in member."""
    view.required_permission = SIGNED_IN  # type: ignore[attr-defined]
    return view


def rule_of(view: Callable[..., Any]) -> Permission | str | None:
    """The view's rule: a Permission, SIGNED_IN, "public", or None (declares nothing)."""
    if not getattr(view, "login_required", True):
        return "public"
    rule: Permission | str | None = getattr(view, "required_permission", None)
    return rule


def forbidden(request: HttpRequest) -> HttpResponse:
    role = Actor.of(request.user).role if request.user.is_authenticated else None
    label = role.label if role is not None else ""
    return render(request, "web/forbidden.html", {"role": label}, status=403)


class RoleMiddleware:
    """After Django's LoginRequiredMiddleware: the signed-in user's role against the rule."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        return self.get_response(request)

    def process_view(
        self, request: HttpRequest, view: Callable[..., Any], args: Any, kwargs: Any
    ) -> HttpResponse | None:
        rule = rule_of(view)
        if rule == "public":
            return None
        if rule is None:
            log.error("refused %s: its view declares no role rule", request.path)
            return forbidden(request)
        if not request.user.is_authenticated:
            return None  # LoginRequiredMiddleware sends the visitor to the login page
        read_membership(request.user)
        if rule == SIGNED_IN or Actor.of(request.user).may(rule):
            return None
        return forbidden(request)

    def process_exception(self, request: HttpRequest, exception: Exception) -> HttpResponse | None:
        """A service refused what the page allowed (a rule finer than the URL's)."""
        if isinstance(exception, RoleForbids):
            return forbidden(request)
        return None


def may(request: HttpRequest) -> dict[str, Any]:
    """Template context: ``may.<permission>`` for the signed-in user (menus, buttons)."""
    if not request.user.is_authenticated:
        return {"may": {}}
    actor = Actor.of(request.user)
    return {"may": {p.value: actor.may(p) for p in Permission}}
