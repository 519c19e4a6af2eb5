"""A connection's set-up, credential checks, switches and "sync now"; the global switch.

A connection is in set-up until what its adapters require is complete: the
credentials accepted by the remote (for adapters that check them), the
adapter's own set-up steps (``setup_steps``: Billbee's "general" and "payment
& customers"), and an account for the payments where the target books them on
accounts (``books_payments_on_accounts``: sevDesk) and vouchers are sent as
paid. Only then does it sync (:func:`refresh_setup`); the connection page says
what is missing.
"""

from __future__ import annotations

from typing import Any

from django.utils import timezone
from django.utils.translation import gettext as _

from belegsync.connectors import registry
from belegsync.connectors.base import AdapterContext
from belegsync.connectors.errors import ConnectorError, RetryableError
from belegsync.documents.models import Connection, ConnectionEvent, Organisation
from belegsync.sync import scheduler

from .actor import Actor

SIDES = ("source", "target")


def sync_now(actor: Actor, connection: Connection) -> bool:
    """Make the connection due at once; True when it will run (enabled, set up, not paused)."""
    actor.require_connection(connection)
    scheduler.sync_now(connection)
    return connection.is_active


def set_enabled(actor: Actor, connection: Connection, enabled: bool) -> None:
    """The connection's own "sync enabled" switch: off stops new claims at once."""
    actor.require_connection(connection)
    Connection.objects.filter(pk=connection.pk).update(enabled=enabled)
    connection.enabled = enabled


def set_organisation_sync(actor: Actor, organisation: Organisation, enabled: bool) -> None:
    """The global switch of all the organisation's connections; documents keep their state."""
    actor.require_organisation(organisation)
    Organisation.objects.filter(pk=organisation.pk).update(sync_enabled=enabled)
    organisation.sync_enabled = enabled


# --- set-up ------------------------------------------------------------------------------


def _adapter(connection: Connection, side: str) -> Any:
    try:
        if side == "source":
            return registry.source_class(connection.source_kind)
        return registry.target_class(connection.target_kind)
    except registry.UnknownKind:
        return None


def setup_missing(connection: Connection) -> list[str]:
    """What the connection still needs before it may sync, in the merchant's words."""
    missing: list[str] = []
    checked = connection.credentials_checked or {}
    done = set(connection.steps_done or [])
    for side in SIDES:
        cls = _adapter(connection, side)
        if cls is None:
            missing.append(_("Choose a known system for the %(side)s.") % {"side": side})
            continue
        system = str(cls.verbose_name)
        if callable(getattr(cls, "check_credentials", None)) and side not in checked:
            missing.append(
                _(
                    "%(system)s has not accepted the credentials yet: enter them and save, "
                    "or press “Check again”."
                )
                % {"system": system}
            )
        for step, label in getattr(cls, "setup_steps", ()):
            if step not in done:
                missing.append(
                    _("%(system)s: the step “%(step)s” is not saved yet.")
                    % {"system": system, "step": label}
                )
    target = _adapter(connection, "target")
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
            _(
                "Assign the payment methods to %(system)s accounts, or book unassigned "
                "payments on the standard account, or send vouchers as open."
            )
            % {"system": str(target.verbose_name)}
        )
    return missing


def _event(connection: Connection, actor: Actor, action: str, message: str = "") -> None:
    ConnectionEvent.objects.create(
        connection=connection, actor=actor.name, user=actor.user, action=action, message=message
    )


def refresh_setup(actor: Actor, connection: Connection) -> list[str]:
    """Store what is missing; a connection whose set-up became complete syncs at once."""
    missing = setup_missing(connection)
    was_complete = connection.setup_complete
    complete = not missing
    Connection.objects.filter(pk=connection.pk).update(
        setup_missing=missing, setup_complete=complete
    )
    connection.setup_missing, connection.setup_complete = missing, complete
    if complete and not was_complete:
        _event(connection, actor, "setup_complete", "Set-up complete: the connection syncs.")
        scheduler.sync_now(connection)
    elif was_complete and not complete:
        _event(connection, actor, "setup_incomplete", "; ".join(missing))
    return missing


def step_done(actor: Actor, connection: Connection, step: str) -> None:
    """An adapter's set-up step was saved (e.g. "billbee:payment")."""
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
    actor.require_connection(connection)
    problems: list[str] = []
    for side in SIDES:
        cls = _adapter(connection, side)
        check = getattr(cls, "check_credentials", None)
        if not callable(check):
            continue
        context = AdapterContext(
            connection_id=connection.pk,
            credentials=dict((connection.credentials or {}).get(side, {})),
            settings=dict(connection.settings or {}),
            policy=connection.policy,
        )
        try:
            check(context)
        except RetryableError as error:
            problems.append(
                _("%(system)s could not be asked right now (%(error)s); try again later.")
                % {"system": cls.verbose_name, "error": error.message}
            )
        except ConnectorError as error:
            problems.append(
                _("%(system)s refused the credentials: %(error)s")
                % {"system": cls.verbose_name, "error": error.message}
            )
        else:
            credentials_accepted(actor, connection, side)
    if not problems:
        resume_if_paused(actor, connection)
    _event(connection, actor, "checked", "; ".join(problems) or "Credentials accepted.")
    refresh_setup(actor, connection)
    return problems
