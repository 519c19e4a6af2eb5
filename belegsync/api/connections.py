"""/connections and /organisation: read, switch, sync now, check credentials again,
archive and restore.

Secrets are never returned: a connection says only which sides have
credentials saved. Creating and editing a connection come with the
connection services of [one-way-in].
"""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from django.utils.translation import gettext as _
from ninja import Router, Status

from belegsync.connectors import registry
from belegsync.documents.models import Connection
from belegsync.documents.roles import Permission
from belegsync.reasons import describe_error, render_all
from belegsync.reasons.history import actor_label, connection_event_text
from belegsync.services import connections as services
from belegsync.services.imports import takes_files

from . import problems
from .auth import actor
from .schemas import (
    CheckOut,
    ConnectionChangeIn,
    ConnectionDetailOut,
    ConnectionIn,
    ConnectionOut,
    ConnectionSavedOut,
    OrganisationOut,
    PathId,
    SwitchIn,
    SyncNowOut,
)

router = Router(tags=["connections"])


def _system(kind: str, side: str) -> dict[str, str]:
    try:
        cls = registry.source_class(kind) if side == "source" else registry.target_class(kind)
    except registry.UnknownKind:
        return {"kind": kind, "name": kind}
    return {"kind": kind, "name": str(cls.verbose_name)}


def connection_out(connection: Connection) -> dict[str, Any]:
    saved = connection.credentials or {}
    pause = render_all(connection.pause_reasons)
    if connection.paused_reason and not pause:
        pause = [connection.paused_reason]
    return {
        "id": connection.pk,
        "name": connection.name,
        "source": _system(connection.source_kind, "source"),
        "target": _system(connection.target_kind, "target"),
        "enabled": connection.enabled,
        "active": connection.is_active,
        "paused": bool(connection.paused_reason),
        "pause_reasons": pause,
        "setup_complete": connection.setup_complete,
        "setup_missing": services.setup_texts(connection),
        "credentials_saved": {side: bool(saved.get(side)) for side in services.SIDES},
        "takes_files": takes_files(connection),
        "sync_interval": connection.sync_interval,
        "next_sync_at": connection.next_sync_at,
        "last_sync_at": connection.last_sync_at,
        "archived_at": connection.archived_at,
    }


def _connection(request: HttpRequest, pk: PathId) -> Connection:
    try:
        who = actor(request, Permission.MANAGE_CONNECTIONS)
        return who.connections().select_related("organisation").get(pk=pk)
    except Connection.DoesNotExist:
        raise problems.not_found(_("No such connection.")) from None


@router.get("/connections", response={200: list[ConnectionOut], **problems.responses()})
def list_connections(request: HttpRequest) -> list[dict[str, Any]]:
    """The organisation's connections by name."""
    who = actor(request, Permission.MANAGE_CONNECTIONS)
    found = who.connections().select_related("organisation").order_by("name")
    return [connection_out(c) for c in found]


def detail_out(connection: Connection) -> dict[str, Any]:
    events = connection.events.select_related("user").order_by("-at", "-id")[:50]
    return {
        **connection_out(connection),
        "settings": dict(connection.settings or {}),
        "history": [
            {
                "at": e.at,
                "who": actor_label(e.actor, e.user.get_username() if e.user_id else ""),
                "action": e.action,
                "message": connection_event_text(e.action, e.message),
            }
            for e in events
        ],
    }


@router.get("/connections/{int:pk}", response={200: ConnectionDetailOut, **problems.responses(404)})
def get_connection(request: HttpRequest, pk: PathId) -> dict[str, Any]:
    """One connection with its settings and latest history (set-up, pauses, checks)."""
    return detail_out(_connection(request, pk))


def _kinds(source_kind: str | None, target_kind: str | None) -> None:
    wrong = []
    if source_kind is not None and source_kind not in registry.SOURCES:
        wrong.append(("source_kind", ", ".join(registry.SOURCES)))
    if target_kind is not None and target_kind not in registry.TARGETS:
        wrong.append(("target_kind", ", ".join(registry.TARGETS)))
    if wrong:
        raise _invalid(
            [(name, _("Unknown; one of: %(kinds)s") % {"kinds": kinds}) for name, kinds in wrong]
        )


def _invalid(found: list[tuple[str, str]]) -> problems.ApiProblem:
    return problems.ApiProblem(
        422,
        "invalid",
        _("Some values are not valid: %(fields)s.") % {"fields": ", ".join(f for f, _m in found)},
        title=_("Invalid input"),
        errors=[{"where": "body", "field": f, "message": m} for f, m in found],
    )


def _saved(saving: Any) -> services.Saved:
    """Run a save and answer its refusals as problems naming the field."""
    try:
        result: services.Saved = saving()
    except services.InvalidSettings as error:
        raise _invalid(list(error.problems)) from None
    except services.CredentialsRefused as error:
        message = _("%(system)s refused the credentials: %(error)s") % {
            "system": error.system,
            "error": describe_error(error.error),
        }
        raise problems.field_refused(
            "credentials_refused",
            _("Credentials refused"),
            message,
            where="body",
            field=f"credentials.{error.side}",
        ) from None
    except ValueError as error:  # the name is empty or taken (the rest the schema checks)
        raise _invalid([("name", str(error))]) from None
    return result


@router.post("/connections", response={201: ConnectionSavedOut, **problems.responses(422)})
def create_connection(request: HttpRequest, payload: ConnectionIn) -> Status[dict[str, Any]]:
    """A new connection; its credentials are checked with the remote before it is saved."""
    _kinds(payload.source_kind, payload.target_kind)
    who = actor(request)
    organisation = who.organisation
    assert organisation is not None
    saved = _saved(
        lambda: services.create_connection(
            who,
            organisation,
            name=payload.name,
            source_kind=payload.source_kind,
            target_kind=payload.target_kind,
            enabled=payload.enabled,
            sync_interval=payload.sync_interval,
            credentials=payload.credentials,
            policy=payload.policy,
            source=payload.source,
            target=payload.target,
        )
    )
    return Status(201, {**detail_out(saved.connection), "warnings": saved.warnings})


@router.patch(
    "/connections/{int:pk}", response={200: ConnectionSavedOut, **problems.responses(404, 422)}
)
def update_connection(
    request: HttpRequest, pk: PathId, payload: ConnectionChangeIn
) -> dict[str, Any]:
    """Change what is given; changed credentials are checked with the remote first."""
    connection = _connection(request, pk)
    _kinds(payload.source_kind, payload.target_kind)
    changed = payload.credentials or {}
    saved = _saved(
        lambda: services.update_connection(
            actor(request),
            connection,
            name=payload.name,
            source_kind=payload.source_kind,
            target_kind=payload.target_kind,
            enabled=payload.enabled,
            sync_interval=payload.sync_interval,
            credentials=changed,
            policy=payload.policy,
            source=payload.source,
            target=payload.target,
            check=[side for side in services.SIDES if side in changed]
            or (list(services.SIDES) if payload.source_kind or payload.target_kind else []),
        )
    )
    return {**detail_out(saved.connection), "warnings": saved.warnings}


@router.post(
    "/connections/{int:pk}/enabled",
    response={200: ConnectionOut, **problems.responses(404, 422)},
)
def set_connection_enabled(request: HttpRequest, pk: PathId, payload: SwitchIn) -> dict[str, Any]:
    """The connection's own switch: off stops new transfers at once."""
    connection = _connection(request, pk)
    services.set_enabled(actor(request), connection, payload.enabled)
    return connection_out(connection)


def _archived(error: services.Archived) -> problems.ApiProblem:
    return problems.ApiProblem(
        409, "connection_archived", str(error), title=_("The connection is archived")
    )


@router.post(
    "/connections/{int:pk}/sync-now", response={200: SyncNowOut, **problems.responses(404, 409)}
)
def sync_connection_now(request: HttpRequest, pk: PathId) -> dict[str, Any]:
    """Make the connection due at once; `will_run` is false while a switch is off or paused.

    An archived connection answers 409 `connection_archived`.
    """
    connection = _connection(request, pk)
    try:
        will_run = services.sync_now(actor(request), connection)
    except services.Archived as error:
        raise _archived(error) from None
    message = (
        _("Sync requested; it starts within a few seconds.")
        if will_run
        else _("The connection syncs as soon as it is enabled, set up and not paused.")
    )
    return {"will_run": will_run, "message": message}


@router.post(
    "/connections/{int:pk}/archive", response={200: ConnectionOut, **problems.responses(404)}
)
def archive_connection(request: HttpRequest, pk: PathId) -> dict[str, Any]:
    """Archive the connection: it never syncs again and nothing is sent through it (sync
    now, uploads, reset and re-upload of its documents are refused); its documents stay
    readable. Archiving an archived connection changes nothing."""
    connection = _connection(request, pk)
    services.archive(actor(request), connection)
    return connection_out(connection)


@router.post(
    "/connections/{int:pk}/restore", response={200: ConnectionOut, **problems.responses(404)}
)
def restore_connection(request: HttpRequest, pk: PathId) -> dict[str, Any]:
    """Take the connection out of the archive: it syncs again at once, from where it stopped."""
    connection = _connection(request, pk)
    services.restore(actor(request), connection)
    return connection_out(connection)


@router.post("/connections/{int:pk}/check", response={200: CheckOut, **problems.responses(404)})
def check_connection(request: HttpRequest, pk: PathId) -> dict[str, Any]:
    """Ask both remotes whether they accept the saved credentials ("Check again")."""
    connection = _connection(request, pk)
    refused = services.check_again(actor(request), connection)
    return {
        "ok": not refused,
        "problems": refused,
        "setup_missing": services.setup_texts(connection),
        "connection": connection_out(connection),
    }


organisation = Router(tags=["organisation"])


def _organisation_out(request: HttpRequest) -> dict[str, Any]:
    mine = actor(request, Permission.VIEW_DOCUMENTS).organisation
    assert mine is not None  # a token always acts within its organisation
    return {"name": mine.name, "slug": mine.slug, "sync_enabled": mine.sync_enabled}


@organisation.get("/organisation", response={200: OrganisationOut, **problems.responses()})
def get_organisation(request: HttpRequest) -> dict[str, Any]:
    """The token's organisation and its global sync switch."""
    return _organisation_out(request)


@organisation.post("/organisation/sync", response={200: OrganisationOut, **problems.responses(422)})
def set_organisation_sync(request: HttpRequest, payload: SwitchIn) -> dict[str, Any]:
    """The global switch of all the organisation's connections; documents keep their state."""
    who = actor(request)
    mine = who.organisation
    assert mine is not None
    services.set_organisation_sync(who, mine, payload.enabled)
    return _organisation_out(request)
