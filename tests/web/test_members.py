"""An owner invites members by one-time link, changes their roles and removes them."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from django.core import mail
from django.utils import timezone

from belegsync.documents.models import Invitation, Membership
from belegsync.services import Actor
from belegsync.services import members as services

pytestmark = pytest.mark.django_db

NEW_PASSWORD = {"password1": "tax-advice-2026!", "password2": "tax-advice-2026!"}


def invite(client, role: str = "tax_advisor", email: str = "") -> str:
    response = client.post("/members/", {"role": role, "email": email})
    assert response.status_code == 200
    [link] = re.findall(r'value="(http://testserver/invite/[^"]+/)"', response.content.decode())
    return link.removeprefix("http://testserver")


def test_an_invitation_link_opens_one_account_with_its_role(client, alice, org):
    """GIVEN Alice, owner of her shop
    WHEN she invites her tax advisor and he opens the link and chooses a password
    THEN he is a member with that role, signed in, and the link opens nothing more."""
    client.force_login(alice)
    link = invite(client)
    token = link.split("/")[2]
    assert not Invitation.objects.filter(token_sha256=token).exists()  # only its hash
    client.post("/logout/")

    assert client.get(link).status_code == 200
    response = client.post(link, {"username": "theo", **NEW_PASSWORD})
    assert response.status_code == 302
    member = Membership.objects.get(user__username="theo")
    assert (member.organisation, member.role) == (org, "tax_advisor")
    assert client.get("/").status_code == 200

    client.post("/logout/")
    again = client.post(link, {"username": "mallory", **NEW_PASSWORD})
    assert again.status_code == 404
    assert not Membership.objects.filter(user__username="mallory").exists()


def test_the_link_is_mailed_where_mail_is_configured(client, alice):
    client.force_login(alice)
    link = invite(client, "bookkeeper", "berta@example.org")
    [message] = mail.outbox
    assert message.to == ["berta@example.org"]
    assert link in message.body
    assert Invitation.objects.get().email == "berta@example.org"


def test_no_mail_is_tried_without_mail_settings(client, alice, settings):
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST = "localhost"
    client.force_login(alice)
    invite(client, "bookkeeper", "berta@example.org")  # the owner still sees the link
    assert mail.outbox == []


def test_an_expired_or_withdrawn_link_opens_nothing(client, alice):
    made = services.invite(Actor.of(alice), "bookkeeper")
    Invitation.objects.update(expires_at=timezone.now() - dt.timedelta(seconds=1))
    response = client.post(f"/invite/{made.token}/", {"username": "late", **NEW_PASSWORD})
    assert response.status_code == 404
    withdrawn = services.invite(Actor.of(alice), "bookkeeper")
    client.force_login(alice)
    client.post(f"/members/invitations/{withdrawn.invitation.pk}/withdraw/")
    client.post("/logout/")
    assert client.get(f"/invite/{withdrawn.token}/").status_code == 404
    assert not Membership.objects.filter(user__username="late").exists()


def test_the_new_password_must_pass_the_validators(client, alice):
    made = services.invite(Actor.of(alice), "bookkeeper")
    response = client.post(
        f"/invite/{made.token}/", {"username": "berta", "password1": "1", "password2": "1"}
    )
    assert response.status_code == 200
    assert "too short" in response.content.decode()
    assert services.invitation_for(made.token).is_open


def test_the_owner_changes_roles_and_removes_members(client, alice, bookkeeper):
    client.force_login(alice)
    berta = Membership.objects.get(user=bookkeeper)
    client.post(f"/members/{berta.pk}/role/", {"role": "tax_advisor"})
    berta.refresh_from_db()
    assert berta.role == "tax_advisor"
    client.post(f"/members/{berta.pk}/remove/")
    assert not Membership.objects.filter(pk=berta.pk).exists()
    bookkeeper.refresh_from_db()
    assert not bookkeeper.is_active
    client.post("/logout/")
    response = client.post("/login/", {"username": "berta", "password": "berta-password-1"})
    assert response.status_code == 200  # refused


def test_the_last_owner_stays_owner(client, alice):
    client.force_login(alice)
    own = Membership.objects.get(user=alice)
    page = client.post(f"/members/{own.pk}/role/", {"role": "bookkeeper"}, follow=True)
    assert "at least one owner" in page.content.decode()
    client.post(f"/members/{own.pk}/remove/")
    own.refresh_from_db()
    assert own.role == "owner"


def test_a_second_owner_may_hand_over(alice, org, django_user_model):
    other = django_user_model.objects.create_user("olga", password="x")
    olga = Membership.objects.create(user=other, organisation=org, role="owner")
    services.set_role(Actor.of(alice), Membership.objects.get(user=alice), "bookkeeper")
    with pytest.raises(services.LastOwner):
        services.remove(Actor.of(other), olga)


def test_an_owner_never_sees_another_organisations_members(client, alice, bob):
    client.force_login(alice)
    bobs = Membership.objects.get(user=bob)
    assert "bob" not in client.get("/members/").content.decode()
    assert client.post(f"/members/{bobs.pk}/remove/").status_code == 404
    assert Membership.objects.filter(pk=bobs.pk).exists()


def test_the_members_page_speaks_german(client, alice):
    client.cookies["django_language"] = "de"
    client.force_login(alice)
    page = client.get("/members/").content.decode()
    assert "Mitglieder" in page
    assert "Steuerberatung" in page


def test_withdrawing_an_invitation_asks_first(client, alice):
    """Withdrawing cannot be undone (the link dies): the button asks in the page's dialog."""
    services.invite(Actor.of(alice), "bookkeeper", "berta@example.org")
    client.force_login(alice)
    client.post("/i18n/setlang/", {"language": "de", "next": "/"})
    page = client.get("/members/").content.decode()
    form = page.split("/withdraw/")[1].split("</form>")[0]
    assert 'data-confirm="Diese Einladung zurückziehen?' in form
