"""The Billbee connection settings in the product page's three steps.

1. general: internal name, Billbee credentials, start date, shops (from Billbee),
   order states and when they count, the export tag;
2. payment & customers: payment reconciliation, customers, unassigned payments,
   voucher date;
3. accounts: payment method → target account (the target's choices, else free text).

Every view is login-protected by the middleware and scoped to the user's
organisation (another organisation's connection answers 404). Billbee's own
settings go to the source's namespace, the start date and step 2 and 3 to the
engine's policy, each through ``services.connections`` naming only the fields
of its step (so step 3's account mapping survives saving any other form). A
change of settings resets the connection's cursor: the next cycle reads the
orders since the start date again and re-evaluates skipped ones under the new
settings (storing unchanged data is a no-op).
"""

from __future__ import annotations

import json
import logging
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_not_required
from django.core.serializers.json import DjangoJSONEncoder
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_http_methods

from belegsync.connectors.base import AdapterContext
from belegsync.connectors.errors import ConnectorError
from belegsync.documents.models import Connection
from belegsync.documents.roles import Permission
from belegsync.reasons import describe_error
from belegsync.services import Actor
from belegsync.services import connections as setup
from belegsync.sync.scheduler import due_now
from belegsync.web import accounts, scoping
from belegsync.web.forms import PolicyForm, credentials_form, merged_credentials, policy_initial
from belegsync.web.roles import requires

from . import forms, push
from . import models as hooks
from .models import Webhook
from .source import GENERAL_STEP, PAYMENT_STEP, BillbeeSource

log = logging.getLogger("belegsync.sources.billbee")

STEPS = (
    ("general", gettext_lazy("General")),
    ("payment", gettext_lazy("Payment & customers")),
    ("accounts", gettext_lazy("Accounts")),
)
#: The policy's choices asked on each step (the rest of the policy is not Billbee's to ask).
POLICY_STEPS = {
    "general": ("start_date",),
    "payment": ("mark_paid", "customer_per_buyer", "unassigned_to_default", "document_date"),
}


def _connection(request: HttpRequest, pk: int) -> Connection:
    connection = scoping.connection_or_404(request, pk)
    if connection.source_kind != BillbeeSource.identifier:
        raise Http404("Not a Billbee connection.")
    return connection


def _context(connection: Connection, side: str = "source") -> AdapterContext:
    return AdapterContext(
        connection_id=connection.pk,
        credentials=dict((connection.credentials or {}).get(side, {})),
        settings=connection.settings_of(side),
        policy=connection.policy,
    )


def _json_safe(values: dict[str, Any]) -> dict[str, Any]:
    return json.loads(json.dumps(values, cls=DjangoJSONEncoder))  # type: ignore[no-any-return]


def _target(connection: Connection) -> Any:
    return connection.adapter_class("target")


def _policy_form(
    data: Any, connection: Connection, step: str, initial: dict[str, Any] | None = None
) -> PolicyForm:
    return PolicyForm(
        data,
        fields=POLICY_STEPS[step],
        source=BillbeeSource,
        target=_target(connection),
        policy=connection.policy,
        **({"initial": initial} if initial is not None else {}),
    )


def _render(request: HttpRequest, connection: Connection, step: str, **extra: Any) -> HttpResponse:
    return render(
        request,
        "billbee/settings.html",
        {
            "connection": connection,
            "steps": STEPS,
            "step": step,
            "public_url": hooks.public_url(),
            "webhook": Webhook.objects.filter(connection=connection).first(),
            **extra,
        },
    )


def _next(connection: Connection, step: str) -> HttpResponse:
    names = [s for s, _label in STEPS]
    index = names.index(step)
    if index + 1 < len(names):
        return redirect("billbee:settings", pk=connection.pk, step=names[index + 1])
    return redirect("billbee:settings", pk=connection.pk, step=step)


@requires(Permission.MANAGE_CONNECTIONS)
def settings_view(request: HttpRequest, pk: int, step: str = "general") -> HttpResponse:
    connection = _connection(request, pk)
    handler = {"general": _general, "payment": _payment, "accounts": _accounts}.get(step)
    if handler is None:
        raise Http404("No such step.")
    return handler(request, connection)


def _shop_choices(connection: Connection) -> tuple[list[tuple[str, str]] | None, str]:
    if not (connection.credentials or {}).get("source"):
        return None, ""
    try:
        shops = BillbeeSource.shops(_context(connection))
    except ConnectorError as error:
        return None, _("The shops could not be read from Billbee: %(error)s") % {
            "error": error.message
        }
    return [(str(s.id), s.name) for s in shops], ""


def _general(request: HttpRequest, connection: Connection) -> HttpResponse:
    data = request.POST if request.method == "POST" else None
    saved = dict((connection.credentials or {}).get("source", {}))
    locked = not Actor.of(request.user).may(Permission.MANAGE_CREDENTIALS)
    cred_form = credentials_form(forms.CredentialsForm, saved, data, "cred", locked=locked)
    shops, shop_error = _shop_choices(connection)
    initial = connection.settings_of("source").model_dump()
    form = forms.GeneralForm(data, initial=initial, shops=shops)
    policy_form = _policy_form(data, connection, "general")
    name_error = ""
    if data is not None:
        name = data.get("name", "").strip()
        clash = scoping.connections(request).filter(name=name).exclude(pk=connection.pk)
        if not name:
            name_error = _("Give the connection an internal name.")
        elif clash.exists():
            name_error = _("You already have a connection with this name.")
        valid = all([cred_form.is_valid(), form.is_valid(), policy_form.is_valid()])
        applied = (
            valid
            and not name_error
            and _apply_general(request, connection, cred_form, form, policy_form, name)
        )
        if applied:
            messages.success(request, _("General settings saved."))
            return _next(connection, "general")
    return _render(
        request,
        connection,
        "general",
        form=form,
        policy_form=policy_form,
        cred_form=cred_form,
        shop_error=shop_error,
        name=data.get("name", connection.name) if data is not None else connection.name,
        name_error=name_error,
    )


def _apply_general(
    request: HttpRequest,
    connection: Connection,
    cred_form: Any,
    form: forms.GeneralForm,
    policy_form: PolicyForm,
    name: str,
) -> bool:
    actor = Actor.of(request.user)
    try:
        # checked on every save, not only when changed: a key that works again
        # (re-activated in Billbee) ends the pause it caused
        saved = setup.update_connection(
            actor,
            connection,
            name=name,
            credentials={"source": _json_safe(merged_credentials({}, cred_form.cleaned_data))},
            source=_json_safe(form.cleaned_data),
            policy=_json_safe(policy_form.changes()),
            check=("source",),
        )
    except setup.CredentialsRefused as refused:
        cred_form.add_error(
            None,
            _("Billbee refused the credentials: %(error)s")
            % {"error": describe_error(refused.error)},
        )
        return False
    for warning in saved.warnings:
        messages.warning(request, warning)
    setup.step_done(actor, connection, GENERAL_STEP)
    if hooks.public_url():
        _register(request, connection)
    return True


def _register(request: HttpRequest, connection: Connection) -> bool:
    """Billbee's webhook for the connection (kept if Billbee has it); a refusal is said,
    not fatal: belegsync then asks Billbee at the connection's interval."""
    try:
        with hooks.client_for(connection) as client:
            hooks.register(connection, client)
    except ConnectorError as error:
        messages.warning(
            request,
            _(
                "Billbee did not set up the webhook (%(error)s). belegsync asks Billbee "
                "for new orders at the connection's interval instead."
            )
            % {"error": describe_error(error)},
        )
        return False
    return True


def _unregister(request: HttpRequest, connection: Connection) -> bool:
    try:
        with hooks.client_for(connection) as client:
            hooks.unregister(connection, client)
    except ConnectorError as error:
        messages.error(
            request,
            _("Billbee did not remove the webhook: %(error)s") % {"error": describe_error(error)},
        )
        return False
    return True


@requires(Permission.MANAGE_CONNECTIONS)
@require_http_methods(["POST"])
def webhook_setup(request: HttpRequest, pk: int) -> HttpResponse:
    """The page's button: set up Billbee's webhook, or remove it."""
    connection = _connection(request, pk)
    if request.POST.get("action") == "remove":
        if _unregister(request, connection):
            messages.success(
                request,
                _("The webhook is removed: belegsync asks Billbee at the connection's interval."),
            )
    elif not hooks.public_url():
        messages.error(request, _("Webhooks are off on this installation."))
    elif _register(request, connection):
        messages.success(request, _("Billbee now reports new and changed orders at once."))
    return redirect("billbee:settings", pk=connection.pk, step="general")


def _payment(request: HttpRequest, connection: Connection) -> HttpResponse:
    data = request.POST if request.method == "POST" else None
    # before the step is first saved, Billbee's own default: reconciled in Billbee
    first_time = PAYMENT_STEP not in (connection.steps_done or [])
    initial = {**policy_initial(connection.policy), "mark_paid": True} if first_time else None
    form = _policy_form(data, connection, "payment", initial)
    if data is not None and form.is_valid():
        actor = Actor.of(request.user)
        setup.update_settings(actor, connection, "policy", _json_safe(form.changes()))
        setup.step_done(actor, connection, PAYMENT_STEP)
        messages.success(request, _("Payment settings saved."))
        return _next(connection, "payment")
    return _render(request, connection, "payment", form=form)


def _accounts(request: HttpRequest, connection: Connection) -> HttpResponse:
    """The payment-account mapping of every connection (``web.accounts``), as step 3."""
    data = request.POST if request.method == "POST" else None
    page = accounts.mapping_page(connection, data)
    form, choices = page["form"], page["choices"]
    if data is not None and form.is_valid():
        setup.update_connection(
            Actor.of(request.user),
            connection,
            policy={"payment_accounts": {"by_method": form.mapping()}},
            source={"payment_accounts_required": choices is not None},
            check=(),
        )
        messages.success(request, _("Accounts saved."))
        return _next(connection, "accounts")
    return _render(request, connection, "accounts", **page)


# -- the webhook receiver (push.py, models.py) ------------------------------------------


@csrf_exempt
@login_not_required
@require_http_methods(["GET", "POST"])
def webhook(request: HttpRequest, pk: int, token: str) -> HttpResponse:
    """Billbee's calls: the echo when it registers (GET), then "orders changed" (POST).

    A call makes the connection due at once and nothing more: the payload is not read
    and nothing is fetched here, so Billbee's call is answered in a few milliseconds
    and a burst of calls means one cycle. An unknown token and an archived connection
    (whose webhook Billbee did not remove) answer 410 Gone, which makes the sender drop
    that registration (ASP.NET WebHooks; unverified for Billbee).
    """
    hook = (
        Webhook.objects.filter(
            connection_id=pk,
            connection__source_kind=BillbeeSource.identifier,
            connection__archived_at__isnull=True,
        )
        .only("token_sha256", "secret", "connection_id")
        .first()
    )
    if hook is None or not push.token_matches(token, hook.token_sha256):
        return HttpResponse(status=410)
    if request.method == "GET":
        echo = request.GET.get("echo", "")
        if not push.ECHO.fullmatch(echo):
            return HttpResponse(status=400)
        return HttpResponse(echo, content_type="text/plain")
    signature = request.headers.get(push.SIGNATURE_HEADER, "")
    if not push.signature_valid(str(hook.secret.get("key", "")), request.body, signature):
        log.warning("billbee webhook call refused: signature missing or wrong connection=%s", pk)
        return HttpResponse(status=401)
    due_now(pk)
    return HttpResponse(status=202)
