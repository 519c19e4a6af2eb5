"""An organisation's members: invitations by one-time link, roles, removal.

Only an owner manages members (``Permission.MANAGE_MEMBERS``). An organisation
always keeps at least one owner: the last one can neither be removed nor
given another role.
"""

from __future__ import annotations

import datetime as dt
import logging
import secrets
from collections.abc import Callable
from dataclasses import dataclass

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.mail import send_mail
from django.db import transaction
from django.db.models import QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from belegsync.documents.models import Invitation, Membership
from belegsync.documents.roles import Permission, Role

from .actor import Actor, NotAllowed

log = logging.getLogger(__name__)

#: How long an invitation link opens an account.
INVITATION_VALID = dt.timedelta(days=7)
_DEFAULT_MAIL = ("django.core.mail.backends.smtp.EmailBackend", "localhost")


class InvitationInvalid(Exception):
    """The link was used already, has expired, was withdrawn, or never existed."""


class LastOwner(ValueError):
    """The organisation's last owner cannot be removed or given another role."""


@dataclass(frozen=True)
class NewInvitation:
    invitation: Invitation
    #: The one-time token of the link; shown once, never stored.
    token: str
    mailed: bool


def mail_configured() -> bool:
    """Whether Django's mail settings were set (Django's own default is no mail server)."""
    return (settings.EMAIL_BACKEND, settings.EMAIL_HOST) != _DEFAULT_MAIL


def members(actor: Actor) -> QuerySet[Membership]:
    actor.require(Permission.MANAGE_MEMBERS)
    return Membership.objects.filter(organisation=actor.organisation).select_related("user")


def open_invitations(actor: Actor) -> QuerySet[Invitation]:
    actor.require(Permission.MANAGE_MEMBERS)
    return Invitation.objects.filter(
        organisation=actor.organisation, accepted_at__isnull=True, expires_at__gt=timezone.now()
    ).order_by("-created_at")


def invite(
    actor: Actor,
    role: Role | str,
    email: str = "",
    link_for: Callable[[str], str] = str,
) -> NewInvitation:
    """A new one-time link for ``role``; mailed to ``email`` where mail is configured.

    ``link_for`` makes the link from the token (the web knows its own address);
    the token itself is in :attr:`NewInvitation.token`.
    """
    actor.require(Permission.MANAGE_MEMBERS)
    organisation = actor.organisation
    if organisation is None:
        raise NotAllowed("The system invites no one; an owner of the organisation does.")
    token = secrets.token_urlsafe(32)
    invitation = Invitation.objects.create(
        organisation=organisation,
        role=Role(role),
        email=email.strip(),
        token_sha256=Invitation.digest(token),
        created_by=actor.user,
        expires_at=timezone.now() + INVITATION_VALID,
    )
    mailed = bool(invitation.email) and mail_configured() and _mail(invitation, link_for(token))
    return NewInvitation(invitation, token, mailed)


def _mail(invitation: Invitation, link: str) -> bool:
    subject = _("Invitation to %(organisation)s on belegsync") % {
        "organisation": invitation.organisation.name
    }
    body = _(
        "You are invited to %(organisation)s on belegsync as %(role)s.\n\n"
        "Open this link to choose your user name and password (valid until %(until)s, "
        "once):\n%(link)s\n"
    ) % {
        "organisation": invitation.organisation.name,
        "role": Role(invitation.role).label,
        "until": timezone.localtime(invitation.expires_at).strftime("%d.%m.%Y %H:%M"),
        "link": link,
    }
    try:
        send_mail(subject, body, None, [invitation.email])
    except OSError:
        # the owner still sees the link and can pass it on; the log says why no mail went
        log.warning("invitation %s: the mail could not be sent", invitation.pk, exc_info=True)
        return False
    return True


def invitation_for(token: str) -> Invitation:
    """The open invitation of this link, or :class:`InvitationInvalid`."""
    try:
        invitation = Invitation.objects.select_related("organisation").get(
            token_sha256=Invitation.digest(token)
        )
    except Invitation.DoesNotExist:
        raise InvitationInvalid from None
    if not invitation.is_open:
        raise InvitationInvalid
    return invitation


def accept(token: str, username: str, password: str) -> Membership:
    """Open an account with the invitation's role; the link opens nothing after this.

    The password is checked by the caller's form (Django's validators). Two
    tabs accepting at once: the conditional UPDATE lets only one of them in.
    """
    User = get_user_model()
    with transaction.atomic():
        invitation = invitation_for(token)
        user = User.objects.create_user(username, password=password, email=invitation.email)
        taken = Invitation.objects.filter(pk=invitation.pk, accepted_at__isnull=True).update(
            accepted_at=timezone.now(), accepted_by=user
        )
        if not taken:
            raise InvitationInvalid
        return Membership.objects.create(
            user=user, organisation=invitation.organisation, role=invitation.role
        )


def withdraw(actor: Actor, invitation: Invitation) -> None:
    actor.require(Permission.MANAGE_MEMBERS)
    actor.require_organisation(invitation.organisation)
    Invitation.objects.filter(pk=invitation.pk, accepted_at__isnull=True).delete()


def _refuse_last_owner(membership: Membership, new_role: Role | None) -> Membership:
    """Lock the organisation's owners (two owners demoting each other at once must not
    leave none) and refuse to take away the last one; returns the locked membership."""
    owners = set(
        Membership.objects.select_for_update()
        .filter(organisation=membership.organisation_id, role=Role.OWNER)
        .values_list("pk", flat=True)
    )
    locked = Membership.objects.select_for_update().get(pk=membership.pk)
    if locked.pk in owners and new_role != Role.OWNER and owners == {locked.pk}:
        raise LastOwner(_("The organisation needs at least one owner."))
    return locked


def set_role(actor: Actor, membership: Membership, role: Role | str) -> None:
    actor.require(Permission.MANAGE_MEMBERS)
    actor.require_organisation(membership.organisation)
    role = Role(role)
    with transaction.atomic():
        _refuse_last_owner(membership, role)
        Membership.objects.filter(pk=membership.pk).update(role=role)
    membership.role = role


def remove(actor: Actor, membership: Membership) -> None:
    """End the membership; the user can no longer log in (their history keeps their name)."""
    actor.require(Permission.MANAGE_MEMBERS)
    actor.require_organisation(membership.organisation)
    with transaction.atomic():
        locked = _refuse_last_owner(membership, None)
        user = locked.user
        locked.delete()
        user.is_active = False
        user.save(update_fields=["is_active"])
