"""The payment-account mapping: which account of the target each payment method of the
source is booked on (``Policy.payment_accounts``), one page for every connection whose
target books payments on accounts, whatever its source.

The target offers its accounts (``account_choices``: sevDesk's check accounts) or the
merchant types them (DATEV's account numbers); the source names its payment methods
(``payment_methods``, the common ones it knows) and the connection's documents add the
methods they carry. Billbee's set-up step 3 is this page inside its steps.
"""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from belegsync.connectors import registry
from belegsync.connectors.base import AccountChoice, AdapterContext
from belegsync.connectors.errors import ConnectorError
from belegsync.documents.models import Connection
from belegsync.documents.states import State
from belegsync.reasons import describe_error

SEEN_LIMIT = 5000


def maps_payment_accounts(target: Any) -> bool:
    """Whether a target books payments on accounts chosen per payment method."""
    return bool(
        getattr(target, "books_payments_on_accounts", False)
        or getattr(target, "payment_accounts_by_number", False)
        or callable(getattr(target, "account_choices", None))
    )


def account_choices(connection: Connection) -> tuple[list[tuple[str, str]] | None, str]:
    """The target's accounts for the mapping, or None (free text) when it has none, and
    why they could not be read, if so."""
    try:
        cls: Any = registry.target_class(connection.target_kind)
    except registry.UnknownKind:
        return None, ""
    method = getattr(cls, "account_choices", None)
    if method is None:
        return None, ""
    context = AdapterContext(
        connection_id=connection.pk,
        credentials=dict((connection.credentials or {}).get("target", {})),
        settings=connection.settings_of("target"),
        policy=connection.policy,
        advisor=connection.advisor,
    )
    try:
        try:
            found: list[AccountChoice] = list(method(context))
        except TypeError:  # an instance method: build the adapter first
            found = list(method(cls(context)))
    except ConnectorError as error:
        return None, _("The accounts could not be read from the target: %(error)s") % {
            "error": describe_error(error)
        }
    return [(a.id, a.name) for a in found], ""


def seen_methods(connection: Connection) -> dict[str, int]:
    """Payment methods of the connection's documents, with how many of them wait or are
    skipped (the others count 0), read from the stored vouchers of any source: the newest
    ``SEEN_LIMIT`` documents, so the page costs the same at any size."""
    counts: dict[str, int] = {}
    rows = connection.documents.order_by("-id").values_list("state", "voucher")[:SEEN_LIMIT]
    for state, voucher in rows:
        pending = state in (State.WAITING, State.SKIPPED)
        for payment in (voucher or {}).get("payments") or []:
            method = str(payment.get("method") or "")
            if method:
                counts[method] = counts.get(method, 0) + (1 if pending else 0)
    return counts


def methods(connection: Connection, mapping: dict[str, str]) -> tuple[list[str], dict[str, int]]:
    """The payment methods to offer: seen on documents, mapped before, the source's common
    ones; and the counts of :func:`seen_methods`."""
    counts = seen_methods(connection)
    try:
        common = getattr(registry.source_class(connection.source_kind), "payment_methods", ())
    except registry.UnknownKind:
        common = ()
    return list(dict.fromkeys([*counts, *mapping, *common])), counts


class AccountsForm(forms.Form):
    """One field per payment method; the target's accounts as choices, or free text."""

    def __init__(
        self,
        *args: Any,
        methods: list[str],
        choices: list[tuple[str, str]] | None,
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        self.methods = methods
        for index, method in enumerate(methods):
            field: forms.Field
            if choices is not None:
                field = forms.ChoiceField(
                    label=method,
                    required=False,
                    choices=[("", gettext_lazy("— not mapped —")), *choices],
                )
            else:
                field = forms.CharField(label=method, required=False, max_length=100)
            self.fields[f"method_{index}"] = field

    def mapping(self) -> dict[str, str]:
        return {
            method: value
            for index, method in enumerate(self.methods)
            if (value := str(self.cleaned_data.get(f"method_{index}") or "").strip())
        }


def mapping_page(connection: Connection, data: Any) -> dict[str, Any]:
    """The form and the rows of the mapping page (the caller saves ``form.mapping()``
    through ``services.connections.update_connection``)."""
    mapping = dict(connection.policy.payment_accounts.by_method)
    offered, counts = methods(connection, mapping)
    choices, choice_error = account_choices(connection)
    initial = {f"method_{i}": mapping.get(m, "") for i, m in enumerate(offered)}
    form = AccountsForm(data, initial=initial, methods=offered, choices=choices)
    rows = [
        {
            "field": form[f"method_{i}"],
            "method": m,
            "mapped": bool(mapping.get(m)),
            "waiting": counts.get(m, 0),
        }
        for i, m in enumerate(offered)
    ]
    return {
        "form": form,
        "rows": rows,
        "free_text": choices is None,
        "choice_error": choice_error,
        "choices": choices,
    }
