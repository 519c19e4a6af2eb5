"""Connections: list, set up and edit (credentials from the adapters' forms), switches."""

from __future__ import annotations

import json
from typing import Any

from django.contrib import messages
from django.core.serializers.json import DjangoJSONEncoder
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from belegsync.connectors import registry
from belegsync.connectors.settings import settings_model
from belegsync.documents.models import Connection
from belegsync.documents.roles import Permission
from belegsync.reasons import describe_error
from belegsync.reasons import render as render_reason
from belegsync.services import Actor
from belegsync.services import connections as services
from belegsync.services.imports import takes_files
from belegsync.sync.models import MonthFile
from belegsync.web import scoping
from belegsync.web.accounts import maps_payment_accounts
from belegsync.web.forms import (
    ConnectionForm,
    PolicyForm,
    adapter_form,
    credentials_form,
    merged_credentials,
    policy_fields,
)
from belegsync.web.roles import requires

from .common import back, checked, is_htmx

SIDES = ("source", "target")


@requires(Permission.MANAGE_CONNECTIONS)
def connection_list(request: HttpRequest) -> HttpResponse:
    """The connections in use, and below them the archived ones with "Restore"."""
    found = list(scoping.connections(request).select_related("organisation").order_by("name"))
    return render(
        request,
        "web/connection_list.html",
        {
            "connections": [c for c in found if c.archived_at is None],
            "archived": [c for c in found if c.archived_at is not None],
        },
    )


def _adapter_class(side: str, kind: str) -> Any:
    try:
        return registry.source_class(kind) if side == "source" else registry.target_class(kind)
    except registry.UnknownKind:
        return None


def _kind(request: HttpRequest, form: ConnectionForm, side: str) -> str:
    """The kind chosen in the form (posted or asked for by the htmx reload), else the saved one."""
    name = f"{side}_kind"
    wanted = request.POST.get(name) or request.GET.get(name) or ""
    if form.fields[name].disabled:
        wanted = ""
    if wanted in dict(form.fields[name].choices):  # type: ignore[attr-defined]
        return wanted
    current = getattr(form.instance, name, "") or ""
    if current:
        return current
    choices = form.fields[name].choices  # type: ignore[attr-defined]
    return str(choices[0][0]) if choices else ""


def _side_forms(
    request: HttpRequest, form: ConnectionForm, connection: Connection
) -> dict[str, dict[str, Any]]:
    """Per side: the adapter class and its credentials and own settings forms (or None)."""
    data = request.POST if request.method == "POST" else None
    locked = not Actor.of(request.user).may(Permission.MANAGE_CREDENTIALS)
    saved_credentials = connection.credentials or {}
    sides: dict[str, dict[str, Any]] = {}
    for side in SIDES:
        kind = _kind(request, form, side)
        cls = _adapter_class(side, kind)
        entry: dict[str, Any] = {"cls": cls, "credentials": None, "settings": None}
        cred_form = adapter_form(cls, "credentials_form") if cls is not None else None
        if cred_form is not None:
            entry["credentials"] = credentials_form(
                cred_form,
                dict(saved_credentials.get(side, {})),
                data,
                f"{side}-cred",
                locked=locked,
            )
        set_form = adapter_form(cls, "settings_form") if cls is not None else None
        if set_form is not None:
            same_kind = kind == getattr(connection, f"{side}_kind")
            saved = connection.settings_of(side) if same_kind else settings_model(cls)()
            entry["settings"] = set_form(
                data=data, initial=saved.model_dump(), prefix=f"{side}-set"
            )
        entry["title"] = cls.verbose_name if cls is not None else side
        sides[side] = entry
    return sides


def _policy_form(
    request: HttpRequest, sides: dict[str, dict[str, Any]], connection: Connection
) -> PolicyForm | None:
    """The engine's policy: each choice the two adapters follow, once."""
    source, target = sides["source"]["cls"], sides["target"]["cls"]
    fields = policy_fields(source, target)
    if not fields:
        return None
    data = request.POST if request.method == "POST" else None
    return PolicyForm(
        data, fields=fields, source=source, target=target, policy=connection.policy, prefix="policy"
    )


def _json_safe(values: dict[str, Any]) -> dict[str, Any]:
    return json.loads(json.dumps(values, cls=DjangoJSONEncoder))  # type: ignore[no-any-return]


@requires(Permission.MANAGE_CREDENTIALS)
def connection_new(request: HttpRequest) -> HttpResponse:
    """A new connection starts with its credentials: an owner's task."""
    return connection_edit(request)


@requires(Permission.MANAGE_CONNECTIONS)
def connection_edit(request: HttpRequest, pk: int | None = None) -> HttpResponse:
    organisation = scoping.organisation_of(request)
    connection = (
        scoping.connection_or_404(request, pk)
        if pk is not None
        else Connection(organisation=organisation)
    )
    data = request.POST if request.method == "POST" else None
    # the htmx reload after a change of kind keeps what was typed (never credentials)
    initial = {k: v for k in ("name", "source_kind", "target_kind") if (v := request.GET.get(k))}
    form = ConnectionForm(data, instance=connection, organisation=organisation, initial=initial)
    if not Actor.of(request.user).may(Permission.MANAGE_CREDENTIALS):
        # another system needs other credentials: only who may enter them changes it
        for name in ("source_kind", "target_kind"):
            form.fields[name].disabled = True
    sides = _side_forms(request, form, connection)
    policy = _policy_form(request, sides, connection)
    if request.method == "POST" and _save(request, form, sides, policy, connection):
        return redirect("connections")
    template = "web/_connection_form.html" if is_htmx(request) else "web/connection_form.html"
    context = {
        "form": form,
        "sides": sides,
        "policy_form": policy,
        "connection": connection,
        "pages": adapter_pages(connection),
        "history": list(connection.events.select_related("user").order_by("-at", "-id")[:20])
        if connection.pk
        else [],
        "month_files": list(
            connection.month_files.defer("content").order_by("-month", "sequence")[:36]
        )
        if connection.pk
        else [],
    }
    return render(request, template, context)


def adapter_pages(connection: Connection) -> list[tuple[str, str]]:
    """(label, url) of the source's and target's own pages for a saved connection."""
    if connection.pk is None:
        return []
    pages = []
    if takes_files(connection) and connection.archived_at is None:
        pages.append((_("Upload a file"), reverse("connection_import", args=[connection.pk])))
    for find, kind in (
        (registry.source_class, connection.source_kind),
        (registry.target_class, connection.target_kind),
    ):
        try:
            adapter = find(kind)
        except registry.UnknownKind:
            continue
        for page in getattr(adapter, "pages", ()):
            pages.append((str(page.label), reverse(page.url_name, kwargs={"pk": connection.pk})))
    if maps_payment_accounts(connection.adapter_class("target")):
        # whatever the source: its payment methods, the target's accounts
        pages.append((_("Payment accounts"), reverse("connection_accounts", args=[connection.pk])))
    return pages


def _save(
    request: HttpRequest,
    form: ConnectionForm,
    sides: dict[str, dict[str, Any]],
    policy: PolicyForm | None,
    connection: Connection,
) -> bool:
    subforms = [
        f for entry in sides.values() for f in (entry["credentials"], entry["settings"]) if f
    ]
    if policy is not None:
        subforms.append(policy)
    valid = form.is_valid()
    valid = all([f.is_valid() for f in subforms]) and valid
    if not valid:
        return False
    fields = {name: form.cleaned_data[name] for name in ConnectionForm.Meta.fields}
    credentials = {
        side: _json_safe(merged_credentials({}, entry["credentials"].cleaned_data))
        for side, entry in sides.items()
        if entry["credentials"] is not None and not getattr(entry["credentials"], "locked", False)
    }
    changes = {
        side: _json_safe(entry["settings"].cleaned_data)
        for side, entry in sides.items()
        if entry["settings"] is not None
    }
    if policy is not None:
        changes["policy"] = _json_safe(policy.changes())
    actor = Actor.of(request.user)
    try:
        if connection.pk is None:
            saved = services.create_connection(
                actor, connection.organisation, **fields, credentials=credentials, **changes
            )
        else:
            # a bookkeeper's save leaves the credentials alone, and so their check
            # ("Check again" asks the remote)
            saved = services.update_connection(
                actor,
                connection,
                **fields,
                credentials=credentials,
                check=list(credentials),
                **changes,
            )
    except services.CredentialsRefused as refused:
        sides[refused.side]["credentials"].add_error(
            None,
            _("%(system)s refused the credentials: %(error)s")
            % {"system": refused.system, "error": describe_error(refused.error)},
        )
        return False
    except services.InvalidSettings as invalid:
        _show_refusals(form, sides, invalid)
        return False
    except ValueError as invalid:
        form.add_error(None, str(invalid))
        return False
    for warning in saved.warnings:
        messages.warning(request, warning)
    messages.success(request, _("Connection “%(name)s” saved.") % {"name": saved.connection.name})
    if saved.missing:
        messages.info(
            request,
            _("It does not sync yet; still to do: %(missing)s")
            % {"missing": " ".join(saved.missing)},
        )
    return True


def _show_refusals(
    form: ConnectionForm, sides: dict[str, dict[str, Any]], invalid: services.InvalidSettings
) -> None:
    """Each refused setting at its field, in the merchant's words where the adapter has
    them (DATEV's Beraternummer …); the validator's own words otherwise."""
    if not invalid.reasons:
        form.add_error(None, str(invalid))
        return
    for namespace, reason in invalid.reasons:
        settings_form = sides.get(namespace, {}).get("settings")
        field = reason.field if settings_form and reason.field in settings_form.fields else None
        (settings_form if field else form).add_error(field, render_reason(reason))


def _status(request: HttpRequest, connection: Connection) -> HttpResponse:
    if is_htmx(request):
        connection.refresh_from_db()
        return render(request, "web/_connection_status.html", {"connection": connection})
    return back(request, "dashboard")


@requires(Permission.MANAGE_CONNECTIONS)
@require_POST
def toggle_enabled(request: HttpRequest, pk: int) -> HttpResponse:
    connection = scoping.connection_or_404(request, pk)
    enabled = checked(request)
    services.set_enabled(Actor.of(request.user), connection, enabled)
    if enabled:
        messages.success(request, _("Sync enabled for “%(name)s”.") % {"name": connection.name})
    else:
        messages.warning(request, _("Sync disabled for “%(name)s”.") % {"name": connection.name})
    return _status(request, connection)


@requires(Permission.MANAGE_CONNECTIONS)
@require_POST
def archive(request: HttpRequest, pk: int) -> HttpResponse:
    """Put the connection away (asked first on the page): it no longer syncs, its
    documents stay readable."""
    connection = scoping.connection_or_404(request, pk)
    archiving = services.archive(Actor.of(request.user), connection)
    for warning in archiving.warnings:
        messages.warning(request, warning)
    messages.success(
        request,
        _(
            "“%(name)s” is archived: it no longer syncs. Its documents stay in the lists, "
            "the month report and the exports."
        )
        % {"name": connection.name},
    )
    return redirect("connections")


@requires(Permission.MANAGE_CONNECTIONS)
@require_POST
def restore(request: HttpRequest, pk: int) -> HttpResponse:
    connection = scoping.connection_or_404(request, pk)
    restoring = services.restore(Actor.of(request.user), connection)
    for warning in restoring.warnings:
        messages.warning(request, warning)
    messages.success(
        request,
        _("“%(name)s” is restored and syncs again from where it stopped.")
        % {"name": connection.name},
    )
    return redirect("connections")


@requires(Permission.MANAGE_CONNECTIONS)
@require_POST
def sync_now(request: HttpRequest, pk: int) -> HttpResponse:
    connection = scoping.connection_or_404(request, pk)
    try:
        will_run = services.sync_now(Actor.of(request.user), connection)
    except services.Archived as archived:
        messages.warning(request, str(archived))
        return _status(request, connection)
    if will_run:
        messages.success(
            request,
            _("Sync of “%(name)s” requested; it starts shortly.") % {"name": connection.name},
        )
    else:
        messages.warning(request, _why_not_now(connection))
    return _status(request, connection)


def _why_not_now(connection: Connection) -> str:
    """Why a requested sync waits: name the switch that is off, not just any switch."""
    names = {"name": connection.name}
    if not connection.organisation.sync_enabled:
        return (
            _(
                "“%(name)s” syncs as soon as the synchronisation is enabled again: it is "
                "disabled for all connections (on the dashboard)."
            )
            % names
        )
    if not connection.enabled:
        return _("“%(name)s” syncs as soon as you enable its sync.") % names
    if connection.paused_reason:
        return (
            _("“%(name)s” is paused; it syncs as soon as you fix what paused it (see above).")
            % names
        )
    if not connection.setup_complete:
        return _("“%(name)s” syncs once its set-up is complete (see the connection).") % names
    return _("Sync of “%(name)s” requested; it starts shortly.") % names


@requires(Permission.MANAGE_CONNECTIONS)
@require_POST
def check_again(request: HttpRequest, pk: int) -> HttpResponse:
    """Ask the remotes whether they accept the saved credentials; resume a paused connection."""
    connection = scoping.connection_or_404(request, pk)
    problems = services.check_again(Actor.of(request.user), connection)
    for problem in problems:
        messages.error(request, problem)
    if not problems:
        messages.success(request, _("The credentials were accepted."))
    return back(request, "connection_edit", connection.pk)


@requires(Permission.DATEV_FILES)  # the tax advisor's DATEV files
def month_file(request: HttpRequest, pk: int, file_pk: int) -> HttpResponse:
    """A delivered month file (DATEV Buchungsstapel with its PDFs) of the user's connection."""
    connection = scoping.connection_or_404(request, pk)
    file = get_object_or_404(MonthFile, pk=file_pk, connection=connection)
    response = HttpResponse(bytes(file.content), content_type="application/zip")
    response["Content-Disposition"] = f'attachment; filename="{file.name}"'
    return response
