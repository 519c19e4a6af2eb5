"""``belegsync token``: API tokens from the server's command line (an operator's set-up).

    belegsync token create USER NAME     prints the new token once
    belegsync token list USER
    belegsync token revoke USER ID

The same functions as the page "API tokens": the token acts as USER, within
USER's organisation.
"""

from __future__ import annotations

from typing import Any

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError, CommandParser

from belegsync.api import tokens
from belegsync.services import Actor
from belegsync.services.actor import NotAllowed


class Command(BaseCommand):
    help = "Create, list or revoke a user's API tokens."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("what", choices=["create", "list", "revoke"])
        parser.add_argument("user", help="user name")
        parser.add_argument("value", nargs="?", default="", help="NAME to create, ID to revoke")

    def handle(self, *args: Any, what: str, user: str, value: str, **options: Any) -> None:
        try:
            actor = Actor.of(get_user_model().objects.get(username=user))
            if what == "create":
                token, secret = tokens.issue(actor, value or "cli")
                self.stdout.write(secret)
                self.stderr.write(f"token #{token.pk} “{token.name}” for {user}: shown only now")
            elif what == "list":
                for token in tokens.tokens(actor):
                    state = f"revoked {token.revoked_at:%Y-%m-%d}" if token.revoked_at else "active"
                    self.stdout.write(f"{token.pk:>6}  {token.prefix}…  {token.name:<30} {state}")
            else:
                token = tokens.revoke(actor, int(value))
                self.stdout.write(f"revoked token #{token.pk} “{token.name}”")
        except get_user_model().DoesNotExist:
            raise CommandError(f"No user {user!r}.") from None
        except (NotAllowed, ValueError) as error:
            raise CommandError(str(error)) from None
