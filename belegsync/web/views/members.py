"""The organisation's members (owners only) and the page an invitation link opens."""

from __future__ import annotations

from django import forms
from django.contrib import messages
from django.contrib.auth import login
from django.contrib.auth.decorators import login_not_required
from django.contrib.auth.forms import UserCreationForm
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_http_methods, require_POST

from belegsync.documents.models import Invitation, Membership
from belegsync.documents.roles import Permission, Role
from belegsync.services import Actor
from belegsync.services import members as services
from belegsync.web.roles import requires


class InviteForm(forms.Form):
    role = forms.ChoiceField(label=gettext_lazy("Role"), choices=Role.choices)
    email = forms.EmailField(
        label=gettext_lazy("E-mail (optional)"),
        required=False,
        help_text=gettext_lazy("Where mail is set up, the link is sent there too."),
    )


class AcceptForm(UserCreationForm):  # type: ignore[type-arg]
    """User name (unique, whatever its case) and password (Django's validators)."""


def _page(request: HttpRequest, form: InviteForm, new_link: str = "") -> HttpResponse:
    actor = Actor.of(request.user)
    return render(
        request,
        "web/members.html",
        {
            "members": services.members(actor).order_by("user__username"),
            "invitations": services.open_invitations(actor),
            "roles": Role.choices,
            "form": form,
            "new_link": new_link,
        },
    )


@requires(Permission.MANAGE_MEMBERS)
@require_http_methods(["GET", "POST"])
def member_list(request: HttpRequest) -> HttpResponse:
    """Members with their roles, open invitations; POST makes a new invitation link."""
    form = InviteForm(request.POST or None)
    if request.method == "POST" and form.is_valid():

        def link_for(token: str) -> str:
            return request.build_absolute_uri(reverse("invitation", args=[token]))

        made = services.invite(
            Actor.of(request.user), form.cleaned_data["role"], form.cleaned_data["email"], link_for
        )
        if made.mailed:
            messages.success(
                request,
                _("The invitation was sent to %(email)s.") % {"email": made.invitation.email},
            )
        # the link is shown this once: only its hash is stored
        return _page(request, InviteForm(), new_link=link_for(made.token))
    return _page(request, form)


def _membership(request: HttpRequest, pk: int) -> Membership:
    try:
        return services.members(Actor.of(request.user)).get(pk=pk)
    except Membership.DoesNotExist:
        raise Http404("No such member.") from None


@requires(Permission.MANAGE_MEMBERS)
@require_POST
def member_role(request: HttpRequest, pk: int) -> HttpResponse:
    membership = _membership(request, pk)
    role = request.POST.get("role", "")
    if role not in Role.values:
        messages.error(request, _("Choose one of the roles."))
        return redirect("members")
    try:
        services.set_role(Actor.of(request.user), membership, role)
    except services.LastOwner as refusal:
        messages.error(request, str(refusal))
    else:
        messages.success(
            request,
            _("%(user)s is now %(role)s.")
            % {"user": membership.user.get_username(), "role": Role(role).label},
        )
    return redirect("members")


@requires(Permission.MANAGE_MEMBERS)
@require_POST
def member_remove(request: HttpRequest, pk: int) -> HttpResponse:
    membership = _membership(request, pk)
    try:
        services.remove(Actor.of(request.user), membership)
    except services.LastOwner as refusal:
        messages.error(request, str(refusal))
    else:
        messages.success(
            request,
            _("%(user)s is no longer a member and cannot log in any more.")
            % {"user": membership.user.get_username()},
        )
    return redirect("members")


@requires(Permission.MANAGE_MEMBERS)
@require_POST
def invitation_withdraw(request: HttpRequest, pk: int) -> HttpResponse:
    actor = Actor.of(request.user)
    try:
        invitation = services.open_invitations(actor).get(pk=pk)
    except Invitation.DoesNotExist:
        raise Http404("No such invitation.") from None
    services.withdraw(actor, invitation)
    messages.success(request, _("The invitation link is withdrawn; it opens nothing any more."))
    return redirect("members")


@login_not_required
@require_http_methods(["GET", "POST"])
def invitation(request: HttpRequest, token: str) -> HttpResponse:
    """The one-time link: choose user name and password, and be a member."""
    try:
        found = services.invitation_for(token)
    except services.InvitationInvalid:
        return render(request, "web/invitation_invalid.html", status=404)
    form = AcceptForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            membership = services.accept(
                token, form.cleaned_data["username"], form.cleaned_data["password1"]
            )
        except services.InvitationInvalid:
            return render(request, "web/invitation_invalid.html", status=404)
        login(request, membership.user, backend="django.contrib.auth.backends.ModelBackend")
        messages.success(
            request,
            _("Welcome to %(organisation)s.") % {"organisation": membership.organisation.name},
        )
        return redirect("dashboard")
    context = {"form": form, "invitation": found, "role": Role(found.role).label}
    return render(request, "web/invitation_accept.html", context)
