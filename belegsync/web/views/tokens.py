"""The page "API tokens": create one (its secret shown once, on this answer only), revoke one."""

from __future__ import annotations

from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from belegsync.api import tokens
from belegsync.services import Actor
from belegsync.services.actor import NotAllowed
from belegsync.web.roles import signed_in

from .common import back


@signed_in  # a token acts as its user: what it may do is the user's role
def token_list(request: HttpRequest) -> HttpResponse:
    """The user's tokens; a POST creates one and shows its secret in this one answer.

    The secret is never stored, put in the session or in a message (those are
    kept in a cookie or the database): reloading the page does not show it again.
    """
    actor = Actor.of(request.user)
    if actor.membership is None:
        raise Http404("No organisation for this user.")
    secret = ""
    if request.method == "POST":
        name = request.POST.get("name", "").strip()
        if not name:
            messages.error(request, _("Give the token a name, e.g. the script that uses it."))
        else:
            token, secret = tokens.issue(actor, name)
            messages.success(
                request,
                _("Token “%(name)s” created. Copy it now: it is shown only once.")
                % {"name": token.name},
            )
    return render(
        request,
        "web/api_tokens.html",
        {"tokens": tokens.tokens(actor), "secret": secret},
    )


@signed_in
@require_POST
def revoke(request: HttpRequest, pk: int) -> HttpResponse:
    try:
        token = tokens.revoke(Actor.of(request.user), pk)
    except NotAllowed:
        messages.error(request, _("No such token."))
    else:
        messages.success(
            request, _("Token “%(name)s” revoked: it no longer works.") % {"name": token.name}
        )
    return back(request, "api_tokens")
