"""Who acts: a merchant's user (through their membership) or the system."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.db.models import QuerySet

from belegsync.documents.models import Connection, Document, Membership, Organisation
from belegsync.documents.roles import Permission, Role


class NotAllowed(PermissionError):
    """The actor may not do this (another organisation's data, or their role forbids it)."""


class RoleForbids(NotAllowed):
    """The actor's own organisation's data, but their role does not allow this (web: 403)."""

    def __init__(self, role: Role | None, permission: Permission) -> None:
        super().__init__(f"The role {role} may not {permission.value}.")
        self.role = role
        self.permission = permission


def read_membership(user: Any) -> None:
    """Read ``user``'s membership and its organisation in one query into the user's
    cache (none: cached as none), where a page would ask twice: its role for the page's
    rule, then its organisation for every query of the page. On PostgreSQL a query costs
    the page about half a millisecond of this process's time, whatever it reads."""
    rel = Membership._meta.get_field("user").remote_field
    if not rel.is_cached(user):
        found = Membership.objects.select_related("organisation").filter(user_id=user.pk).first()
        rel.set_cached_value(user, found)


@dataclass(frozen=True)
class Actor:
    """The user on whose behalf a service acts, or ``None`` for the system / an operator.

    ``name`` goes into the history (``Event.actor``). A user acts within their
    organisation only, and does what their role allows (``documents.roles``);
    the system (the CLI on the server, the scheduler) may do everything on every
    organisation.
    """

    user: Any = None
    name: str = "system"

    @classmethod
    def of(cls, user: Any) -> Actor:
        """The signed-in merchant ``user``."""
        return cls(user=user, name=user.get_username() or "user")

    @classmethod
    def system(cls, name: str = "system") -> Actor:
        return cls(user=None, name=name)

    @property
    def membership(self) -> Membership | None:
        if self.user is None:
            return None
        membership: Membership | None = getattr(self.user, "membership", None)
        return membership

    @property
    def organisation(self) -> Organisation | None:
        """The organisation a user acts in; None for the system (acts on all)."""
        membership = self.membership
        if self.user is not None and membership is None:
            raise NotAllowed("This user belongs to no organisation.")
        return membership.organisation if membership is not None else None

    # -- what this actor may do --------------------------------------------------------

    @property
    def role(self) -> Role | None:
        """The user's role in their organisation; None for the system."""
        membership = self.membership
        if self.user is not None and membership is None:
            raise NotAllowed("This user belongs to no organisation.")
        return Role(membership.role) if membership is not None else None

    def may(self, permission: Permission | str) -> bool:
        """Whether the actor's role allows this; the system may do everything."""
        membership = self.membership
        if self.user is None:
            return True
        return membership is not None and membership.allows(permission)

    def require(self, permission: Permission | str) -> None:
        """Refuse what the actor's role does not allow (the web answers 403)."""
        if not self.may(permission):
            raise RoleForbids(self.role, Permission(permission))

    # -- what this actor may see --------------------------------------------------------

    def connections(self) -> QuerySet[Connection]:
        organisation = self.organisation
        found = Connection.objects.all()
        return found if organisation is None else found.filter(organisation=organisation)

    def documents(self) -> QuerySet[Document]:
        organisation = self.organisation
        found = Document.objects.all()
        return (
            found if organisation is None else found.filter(connection__organisation=organisation)
        )

    def require_connection(self, connection: Connection) -> None:
        """Refuse another organisation's connection (the interfaces answer 'not found')."""
        organisation = self.organisation
        if organisation is not None and connection.organisation_id != organisation.pk:
            raise NotAllowed("No such connection.")

    def require_organisation(self, organisation: Organisation) -> None:
        mine = self.organisation
        if mine is not None and organisation.pk != mine.pk:
            raise NotAllowed("No such organisation.")
