"""Connections: create and change them, their set-up, credential checks, switches and
"sync now"; the global switch.

:func:`create_connection` and :func:`update_connection` are what the connection
form, Billbee's steps, the CLI and the REST API call. Settings are changed one
namespace at a time (:func:`update_settings`: ``policy``, ``source``,
``target``), only the fields named, validated by the namespace's model, under
a row lock: no form writes another side's keys or wipes a field it does not
show.

A connection is in set-up until what its adapters require is complete: the
credentials accepted by the remote (for adapters that check them), the
adapter's own set-up steps (``setup_steps``: Billbee's "general" and "payment
& customers"), and an account for the payments where the target books them on
accounts (``books_payments_on_accounts``: sevDesk) and vouchers are sent as
paid. Only then does it sync (:func:`refresh_setup`); the connection page says
what is missing.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, pgettext_lazy
from pydantic import BaseModel, ValidationError

from belegsync.connectors import registry
from belegsync.connectors.base import AdapterContext
from belegsync.connectors.errors import ConnectorError, RetryableError
from belegsync.connectors.reasons import Reason, as_json, from_json
from belegsync.connectors.settings import (
    NAMESPACES,
    POLICY,
    AdapterSettings,
    Policy,
    TaxAdvisor,
    merged,
    read,
    settings_model,
)
from belegsync.documents.models import (
    DEFAULT_SYNC_INTERVAL,
    MIN_SYNC_INTERVAL,
    Connection,
    ConnectionEvent,
    Organisation,
)
from belegsync.documents.roles import Permission
from belegsync.reasons import describe_error, render, render_all, sentence
from belegsync.sync import scheduler

from .actor import Actor, NotAllowed

SIDES = ("source", "target")


class InvalidSettings(ValueError):
    """Changes a namespace's model refuses (an unknown field, a bad value); nothing is saved.

    ``problems`` are (field path, message) pairs, e.g. ("policy.document_date", "…"), the
    validator's own words for support and the API; ``reasons`` are (namespace, reason)
    pairs in the merchant's words where the namespace's model has them
    (``AdapterSettings.reasons_of``: DATEV's Beraternummer …), for the pages.
    """

    def __init__(
        self, problems: list[tuple[str, str]], reasons: list[tuple[str, Reason]] | None = None
    ) -> None:
        self.problems = problems
        self.reasons = reasons or []
        super().__init__("; ".join(f"{where}: {what}" for where, what in problems))


class CredentialsRefused(Exception):
    """A remote refused a side's credentials; nothing is saved."""

    def __init__(self, side: str, system: str, error: ConnectorError) -> None:
        self.side, self.system, self.error = side, system, error
        super().__init__(f"{system} refused the credentials: {error.message}")


@dataclass
class Saved:
    """A connection as saved, and what its merchant should be told."""

    connection: Connection
    #: The remote could not be asked: saved unchecked (one text per side).
    warnings: list[str] = field(default_factory=list)
    #: What the set-up still lacks (empty: it syncs).
    missing: list[str] = field(default_factory=list)


# --- settings, one namespace at a time ------------------------------------------------


def _model(connection: Connection, namespace: str) -> type[BaseModel]:
    if namespace == POLICY:
        return Policy
    if namespace not in SIDES:
        raise InvalidSettings([(namespace, f"no such settings; known: {', '.join(NAMESPACES)}")])
    return settings_model(connection.adapter_class(namespace))


def _applied(
    connection: Connection, stored: Mapping[str, Any], changes: Mapping[str, Mapping[str, Any]]
) -> dict[str, Any]:
    """``stored`` with each namespace's ``changes`` applied and validated."""
    result = {k: v for k, v in (stored or {}).items()}
    problems: list[tuple[str, str]] = []
    reasons: list[tuple[str, Reason]] = []
    for namespace, values in changes.items():
        model = _model(connection, namespace)
        try:
            new = merged(read(model, result.get(namespace)), values)
        except ValidationError as error:
            problems += [
                (".".join([namespace, *map(str, e["loc"])]), e["msg"]) for e in error.errors()
            ]
            if issubclass(model, AdapterSettings):
                reasons += [(namespace, r) for r in model.reasons_of(error.errors(), values)]
            continue
        result[namespace] = new.model_dump(mode="json")
    if problems:
        raise InvalidSettings(problems, reasons)
    return result


def update_settings(
    actor: Actor, connection: Connection, namespace: str, changes: Mapping[str, Any]
) -> bool:
    """Change the named fields of one namespace; True when anything changed.

    A change of the source's settings or the policy resets the cursor: the
    next cycle reads the source from the start date again and re-evaluates
    skipped documents under the new settings (storing unchanged data is a no-op).
    """
    actor.require(Permission.MANAGE_CONNECTIONS)
    actor.require_connection(connection)
    return _store_settings(connection, {namespace: changes})


def _store_settings(connection: Connection, changes: Mapping[str, Mapping[str, Any]]) -> bool:
    with transaction.atomic():
        stored = (
            Connection.objects.select_for_update()
            .values_list("settings", flat=True)
            .get(pk=connection.pk)
        )
        new = _applied(connection, stored, changes)
        changed = new != stored
        fields: dict[str, Any] = {"settings": new}
        if changed and any(stored.get(n) != new.get(n) for n in (POLICY, "source")):
            fields["cursor"] = ""
        if changed:
            Connection.objects.filter(pk=connection.pk).update(**fields)
    for name, value in fields.items():
        setattr(connection, name, value)
    return changed


# --- create and change ------------------------------------------------------------------


def create_connection(
    actor: Actor,
    organisation: Organisation,
    *,
    name: str,
    source_kind: str,
    target_kind: str,
    enabled: bool = True,
    sync_interval: int = DEFAULT_SYNC_INTERVAL,
    credentials: Mapping[str, Mapping[str, Any]] | None = None,
    policy: Mapping[str, Any] | None = None,
    source: Mapping[str, Any] | None = None,
    target: Mapping[str, Any] | None = None,
) -> Saved:
    """A new connection, its credentials checked and its set-up state known.

    Raises :class:`InvalidSettings` or :class:`CredentialsRefused` (nothing is
    created), ``ValueError`` for a name already taken or a bad interval.
    """
    # a connection starts with its credentials: the owner's task
    actor.require(Permission.MANAGE_CREDENTIALS)
    actor.require_organisation(organisation)
    connection = Connection(organisation=organisation, setup_complete=False)
    return _save(
        actor,
        connection,
        {
            "name": name,
            "source_kind": source_kind,
            "target_kind": target_kind,
            "enabled": enabled,
            "sync_interval": sync_interval,
        },
        credentials or {},
        _namespaces(policy, source, target),
        SIDES,
    )


def update_connection(
    actor: Actor,
    connection: Connection,
    *,
    name: str | None = None,
    source_kind: str | None = None,
    target_kind: str | None = None,
    enabled: bool | None = None,
    sync_interval: int | None = None,
    credentials: Mapping[str, Mapping[str, Any]] | None = None,
    policy: Mapping[str, Any] | None = None,
    source: Mapping[str, Any] | None = None,
    target: Mapping[str, Any] | None = None,
    check: Sequence[str] = SIDES,
) -> Saved:
    """Change what is given (``None``: unchanged); the credentials of ``check`` are checked.

    Credentials given per side replace the keys given and keep the others (a
    password left empty in a form is not given). A side whose kind changes
    starts with that kind's default settings.
    """
    actor.require(Permission.MANAGE_CONNECTIONS)
    actor.require_connection(connection)
    kinds = {"source_kind": source_kind, "target_kind": target_kind}
    other_kind = any(v is not None and v != getattr(connection, k) for k, v in kinds.items())
    new_credentials = any(
        v not in (None, "") for c in (credentials or {}).values() for v in c.values()
    )
    if other_kind or new_credentials:
        # another system needs other credentials: only who may enter them changes it
        actor.require(Permission.MANAGE_CREDENTIALS)
    fields = {
        k: v
        for k, v in {
            "name": name,
            "source_kind": source_kind,
            "target_kind": target_kind,
            "enabled": enabled,
            "sync_interval": sync_interval,
        }.items()
        if v is not None
    }
    return _save(
        actor, connection, fields, credentials or {}, _namespaces(policy, source, target), check
    )


def _namespaces(
    policy: Mapping[str, Any] | None,
    source: Mapping[str, Any] | None,
    target: Mapping[str, Any] | None,
) -> dict[str, Mapping[str, Any]]:
    given = {POLICY: policy, "source": source, "target": target}
    return {k: v for k, v in given.items() if v is not None}


def _validate_fields(connection: Connection, fields: Mapping[str, Any]) -> None:
    name = str(fields.get("name", connection.name) or "").strip()
    if not name:
        raise ValueError(_("Give the connection an internal name."))
    clash = Connection.objects.filter(organisation_id=connection.organisation_id, name=name)
    if connection.pk is not None:
        clash = clash.exclude(pk=connection.pk)
    if clash.exists():
        raise ValueError(_("You already have a connection with this name."))
    interval = fields.get("sync_interval", connection.sync_interval)
    if int(interval) < MIN_SYNC_INTERVAL:
        raise ValueError(_("At least 60 seconds."))


def _save(
    actor: Actor,
    connection: Connection,
    fields: Mapping[str, Any],
    credentials: Mapping[str, Mapping[str, Any]],
    settings: Mapping[str, Mapping[str, Any]],
    check: Sequence[str],
) -> Saved:
    _validate_fields(connection, fields)
    previous = {side: "" for side in SIDES}
    if connection.pk is not None:
        # from the row: a model form may have set the new kinds on the instance already
        kinds = Connection.objects.values("source_kind", "target_kind").get(pk=connection.pk)
        previous = {side: kinds[f"{side}_kind"] for side in SIDES}
    for name, value in fields.items():
        setattr(connection, name, value.strip() if name == "name" else value)
    before = dict(connection.settings or {})
    connection.settings = _new_settings(connection, before, previous, settings)
    saved_credentials = dict(connection.credentials or {})
    for side, values in credentials.items():
        if side not in SIDES:
            raise NotAllowed(f"No side {side!r}.")
        saved_credentials[side] = {**saved_credentials.get(side, {}), **values}
    connection.credentials = saved_credentials
    # the remotes are asked before the row is locked: a slow remote holds no lock
    warnings, accepted = _check_all(connection, check)
    with transaction.atomic():
        if connection.pk is not None:
            # applied again to the row as it is now: a namespace another page changed
            # meanwhile (a step in another tab) keeps that change
            before = Connection.objects.select_for_update().get(pk=connection.pk).settings or {}
            connection.settings = _new_settings(connection, before, previous, settings)
            changed = ["settings", "credentials", *fields]
            if any(before.get(n) != connection.settings.get(n) for n in (POLICY, "source")):
                connection.cursor = ""
                changed.append("cursor")
            # only what this save changes: the cycle's lease, cursor and pause stay its own
            connection.save(update_fields=changed)
        else:
            connection.save()
    for side in accepted:
        credentials_accepted(actor, connection, side)
    if accepted and not warnings:
        # the remote accepts the credentials (new ones, or the old key working again):
        # the pause they caused is over
        resume_if_paused(actor, connection)
    missing = refresh_setup(actor, connection)
    return Saved(connection, warnings, missing)


def _new_settings(
    connection: Connection,
    stored: Mapping[str, Any],
    previous: Mapping[str, str],
    changes: Mapping[str, Mapping[str, Any]],
) -> dict[str, Any]:
    kept = dict(stored)
    for side in SIDES:
        if previous[side] and previous[side] != getattr(connection, f"{side}_kind"):
            kept.pop(side, None)  # another system: its settings start afresh
    return _applied(connection, kept, changes)


def _check_all(connection: Connection, sides: Sequence[str]) -> tuple[list[str], list[str]]:
    """Check each side's credentials: (warnings, sides accepted); raises CredentialsRefused."""
    warnings: list[str] = []
    accepted: list[str] = []
    for side, cls, error in _credential_checks(connection, sides):
        if isinstance(error, RetryableError):
            warnings.append(
                _("%(system)s could not be asked right now (%(error)s); saved unchecked.")
                % {"system": cls.verbose_name, "error": _describe(error)}
            )
        elif error is not None:
            raise CredentialsRefused(side, str(cls.verbose_name), error) from error
        else:
            accepted.append(side)
    return warnings, accepted


def _credential_checks(
    connection: Connection, sides: Sequence[str]
) -> Iterator[tuple[str, Any, ConnectorError | None]]:
    """Ask the remote of each side whose adapter checks credentials (``check_credentials``):
    (side, adapter class, None when accepted or the refusal)."""
    for side in sides:
        cls = connection.adapter_class(side)
        check = getattr(cls, "check_credentials", None)
        if not callable(check):
            continue
        try:
            check(_context(connection, side))
        except ConnectorError as error:
            yield side, cls, error
        else:
            yield side, cls, None


def _describe(error: ConnectorError) -> str:
    return describe_error(error)


def _context(connection: Connection, side: str) -> AdapterContext:
    return AdapterContext(
        connection_id=connection.pk or 0,
        credentials=dict((connection.credentials or {}).get(side, {})),
        settings=connection.settings_of(side),
        policy=connection.policy,
        advisor=connection.advisor,
    )


def sync_now(actor: Actor, connection: Connection) -> bool:
    """Make the connection due at once; True when it will run (enabled, set up, not paused).

    Refused (:class:`Archived`) for an archived connection.
    """
    actor.require(Permission.MANAGE_CONNECTIONS)
    actor.require_connection(connection)
    require_in_use(connection)
    scheduler.sync_now(connection)
    return connection.is_active


def set_enabled(actor: Actor, connection: Connection, enabled: bool) -> None:
    """The connection's own "sync enabled" switch: off stops new claims at once."""
    actor.require(Permission.MANAGE_CONNECTIONS)
    actor.require_connection(connection)
    Connection.objects.filter(pk=connection.pk).update(enabled=enabled)
    connection.enabled = enabled


def set_tax_advisor(actor: Actor, advisor: TaxAdvisor) -> None:
    """The tax advisor's numbers of the actor's organisation, the one place every DATEV
    connection and DATEV export reads them from; the set-up of its connections follows."""
    actor.require(Permission.EXPORT)
    organisation = actor.organisation
    if organisation is None:
        raise NotAllowed("The tax advisor's numbers belong to one organisation.")
    Organisation.objects.filter(pk=organisation.pk).update(
        datev_consultant_number=advisor.consultant_number,
        datev_client_number=advisor.client_number,
    )
    organisation.datev_consultant_number = advisor.consultant_number
    organisation.datev_client_number = advisor.client_number
    for connection in Connection.objects.filter(organisation=organisation).select_related(
        "organisation"
    ):
        refresh_setup(actor, connection)


def set_organisation_sync(actor: Actor, organisation: Organisation, enabled: bool) -> None:
    """The global switch of all the organisation's connections; documents keep their state."""
    actor.require(Permission.MANAGE_CONNECTIONS)
    actor.require_organisation(organisation)
    Organisation.objects.filter(pk=organisation.pk).update(sync_enabled=enabled)
    organisation.sync_enabled = enabled


# --- archive ----------------------------------------------------------------------------


class Archived(Exception):
    """The connection is archived: it sends nothing until it is restored (API: 409)."""

    def __init__(self, connection: Connection) -> None:
        self.connection = connection
        super().__init__(
            _("“%(name)s” is archived; restore it first (Connections, “Archived connections”).")
            % {"name": connection.name}
        )


def require_in_use(connection: Connection) -> None:
    """Refuse what would send through an archived connection."""
    if connection.archived_at is not None:
        raise Archived(connection)


@dataclass(frozen=True)
class ArchiveChange:
    """What :func:`archive` or :func:`restore` did: ``changed`` when the connection was in
    use (archived) until now; ``warnings``, what an adapter could not do at its remote
    system (Billbee's webhook), in the reader's words."""

    changed: bool
    warnings: list[str] = field(default_factory=list)


def archive(actor: Actor, connection: Connection) -> ArchiveChange:
    """Put the connection away: it is never scheduled or synced again, nor offered for
    uploads or actions that send, and its documents stay readable (lists, detail,
    month report, exports). The cycle in flight finishes its step. Each side's adapter
    then undoes at its remote what only a connection in use needs (its ``on_archive``:
    Billbee removes the webhook); what it could not undo is said and written to the
    history, and does not stop the archive.
    """
    actor.require(Permission.MANAGE_CONNECTIONS)
    actor.require_connection(connection)
    now = timezone.now()
    # conditional: two presses (or two tabs) archive once, with one history entry
    changed = Connection.objects.filter(pk=connection.pk, archived_at__isnull=True).update(
        archived_at=now
    )
    connection.archived_at = Connection.objects.values_list("archived_at", flat=True).get(
        pk=connection.pk
    )
    if not changed:
        return ArchiveChange(changed=False)
    _event(connection, actor, "archived", "Archived: the connection no longer syncs.")
    return ArchiveChange(True, _at_remotes(actor, connection, "on_archive", "archive_incomplete"))


def restore(actor: Actor, connection: Connection) -> ArchiveChange:
    """Take the connection out of the archive: it syncs again at once (if its switches
    and set-up allow), from its stored cursor; each side's ``on_restore`` sets up again
    at its remote what archiving undid (Billbee's webhook), saying what it could not."""
    actor.require(Permission.MANAGE_CONNECTIONS)
    actor.require_connection(connection)
    changed = Connection.objects.filter(pk=connection.pk, archived_at__isnull=False).update(
        archived_at=None, next_sync_at=timezone.now()
    )
    connection.archived_at = None
    if not changed:
        return ArchiveChange(changed=False)
    _event(connection, actor, "restored", "Restored from the archive: the connection syncs.")
    return ArchiveChange(True, _at_remotes(actor, connection, "on_restore", "restore_incomplete"))


def _at_remotes(actor: Actor, connection: Connection, hook: str, action: str) -> list[str]:
    """Run each side's ``hook`` (named by path, ``registry.adapter_part``): it returns the
    reasons of what it could not do, which become a history entry (``action``) and a
    warning."""
    warnings = []
    for side in SIDES:
        run = registry.adapter_part(connection.adapter_class(side), hook)
        reasons = run(connection) if run is not None else []
        if reasons:
            text = sentence(render_all(reasons))
            _event(connection, actor, action, text)
            warnings.append(text)
    return warnings


# --- set-up ------------------------------------------------------------------------------


#: The tax advisor's numbers (the organisation's) an adapter with ``requires_advisor``
#: cannot run without, with their labels.
ADVISOR_SETTINGS = (
    ("consultant_number", gettext_lazy("consultant number (Beraternummer)")),
    ("client_number", gettext_lazy("client number (Mandantennummer)")),
)


def setup_reasons(connection: Connection) -> list[Reason]:
    """What the connection still needs before it may sync, as reasons (group SETUP).

    Their parameters name the side, the system (its kind), the setting and the step by
    identifier: the words (the system's name, the setting's label, the step's title) are
    looked up in the reader's language when shown (:func:`setup_texts`).
    """
    missing: list[Reason] = []
    checked = connection.credentials_checked or {}
    done = set(connection.steps_done or [])
    for side in SIDES:
        cls = connection.adapter_class(side)
        if cls is None:
            missing.append(Reason("setup.unknown_kind", {"side": side}))
            continue
        kind = getattr(connection, f"{side}_kind")
        if callable(getattr(cls, "check_credentials", None)) and side not in checked:
            missing.append(Reason("setup.credentials", {"side": side, "system": kind}))
        if getattr(cls, "requires_advisor", False):
            advisor = connection.advisor
            for name, _label in ADVISOR_SETTINGS:
                if getattr(advisor, name) is None:
                    missing.append(
                        Reason("setup.setting", {"side": side, "system": kind, "setting": name})
                    )
        own = connection.settings_of(side)
        for name, _label in getattr(cls, "required_settings", ()):
            if getattr(own, name, None) in (None, ""):
                missing.append(
                    Reason("setup.setting", {"side": side, "system": kind, "setting": name})
                )
        for step, _label in getattr(cls, "setup_steps", ()):
            if step not in done:
                missing.append(Reason("setup.step", {"side": side, "system": kind, "step": step}))
    target = connection.adapter_class("target")
    policy = connection.policy
    accounts = policy.payment_accounts
    if (
        target is not None
        and getattr(target, "books_payments_on_accounts", False)
        and policy.mark_paid
        and not accounts.by_method
        and not accounts.unassigned_to_default
    ):
        missing.append(
            Reason("setup.payment_accounts", {"side": "target", "system": connection.target_kind})
        )
    return missing


#: The sides of a connection as the connection form names them.
SIDE_LABELS = {
    "source": pgettext_lazy("connection side", "source"),
    "target": pgettext_lazy("connection side", "target"),
}


def setup_text(connection: Connection, reason: Reason) -> str:
    """One stored set-up reason in the active language, its words looked up now."""
    params = dict(reason.params)
    side = str(params.get("side") or "")
    cls = connection.adapter_class(side) if side in SIDES else None
    if cls is not None:
        params["system"] = str(cls.verbose_name)
        settings = {**dict(ADVISOR_SETTINGS), **dict(getattr(cls, "required_settings", ()))}
        steps = dict(getattr(cls, "setup_steps", ()))
        params["setting"] = str(settings.get(params.get("setting"), params.get("setting", "")))
        params["step"] = str(steps.get(params.get("step"), params.get("step", "")))
    params["side"] = str(SIDE_LABELS.get(side, side))
    return render(Reason(reason.code, params))


def setup_texts(connection: Connection) -> list[str]:
    """The stored set-up list (``Connection.setup_missing``) in the reader's language."""
    return [setup_text(connection, r) for r in from_json(connection.setup_missing)]


def setup_missing(connection: Connection) -> list[str]:
    """What the connection still needs, now, in the active language."""
    return [setup_text(connection, r) for r in setup_reasons(connection)]


def _event(connection: Connection, actor: Actor, action: str, message: str = "") -> None:
    ConnectionEvent.objects.create(
        connection=connection, actor=actor.name, user=actor.user, action=action, message=message
    )


def refresh_setup(actor: Actor, connection: Connection) -> list[str]:
    """Store what is missing (as reasons); a connection whose set-up became complete syncs
    at once. Returns what is missing in the active language."""
    reasons = setup_reasons(connection)
    stored = as_json(reasons)
    missing = [setup_text(connection, r) for r in reasons]
    was_complete = connection.setup_complete
    complete = not reasons
    Connection.objects.filter(pk=connection.pk).update(
        setup_missing=stored, setup_complete=complete
    )
    connection.setup_missing, connection.setup_complete = stored, complete
    if complete and not was_complete:
        _event(connection, actor, "setup_complete", "Set-up complete: the connection syncs.")
        scheduler.sync_now(connection)
    elif was_complete and not complete:
        _event(connection, actor, "setup_incomplete", "; ".join(missing))
    return missing


def step_done(actor: Actor, connection: Connection, step: str) -> None:
    """An adapter's set-up step was saved (e.g. "billbee:payment")."""
    actor.require(Permission.MANAGE_CONNECTIONS)
    actor.require_connection(connection)
    done = list(connection.steps_done or [])
    if step not in done:
        done.append(step)
        Connection.objects.filter(pk=connection.pk).update(steps_done=done)
        connection.steps_done = done
    refresh_setup(actor, connection)


def credentials_accepted(actor: Actor, connection: Connection, side: str) -> None:
    """The remote accepted this side's credentials: record it, and end a pause."""
    checked = {**(connection.credentials_checked or {}), side: timezone.now().isoformat()}
    Connection.objects.filter(pk=connection.pk).update(credentials_checked=checked)
    connection.credentials_checked = checked


def resume_if_paused(actor: Actor, connection: Connection) -> bool:
    """Credentials check again: a paused connection runs again, with the event in its history."""
    if not connection.paused_reason:
        return False
    scheduler.resume(connection)
    _event(
        connection,
        actor,
        "resumed",
        f"Resumed: the credentials were accepted again ({connection.paused_reason})",
    )
    connection.paused_reason, connection.pause_details = "", None
    return True


def check_again(actor: Actor, connection: Connection) -> list[str]:
    """Ask both remotes whether they accept the saved credentials ("Check again").

    Returns the refusals, in the merchant's words; with none, a paused
    connection resumes and the set-up is refreshed.
    """
    actor.require(Permission.MANAGE_CONNECTIONS)
    actor.require_connection(connection)
    problems: list[str] = []
    for side, cls, error in _credential_checks(connection, SIDES):
        if isinstance(error, RetryableError):
            problems.append(
                _("%(system)s could not be asked right now (%(error)s); try again later.")
                % {"system": cls.verbose_name, "error": _describe(error)}
            )
        elif error is not None:
            problems.append(
                _("%(system)s refused the credentials: %(error)s")
                % {"system": cls.verbose_name, "error": _describe(error)}
            )
        else:
            credentials_accepted(actor, connection, side)
    if not problems:
        resume_if_paused(actor, connection)
    _event(connection, actor, "checked", "; ".join(problems) or "Credentials accepted.")
    refresh_setup(actor, connection)
    return problems
