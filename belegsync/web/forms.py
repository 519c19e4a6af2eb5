"""Forms of the web shell. Credentials and each side's own settings come from the adapters'
forms (pretix-style); the engine's policy, which both sides share, has its one form here."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from django import forms
from django.conf import settings
from django.utils.translation import gettext_lazy as _

from belegsync.connectors import registry
from belegsync.connectors.settings import (
    ENGINE_POLICY_FIELDS,
    POLICY_FORM_FIELDS,
    DocumentDate,
    Policy,
)
from belegsync.documents.models import MIN_SYNC_INTERVAL, Connection, Organisation


class ConnectionForm(forms.ModelForm):  # type: ignore[type-arg]
    source_kind = forms.ChoiceField(label=_("Source (order system)"))
    target_kind = forms.ChoiceField(label=_("Target (bookkeeping)"))
    sync_interval = forms.IntegerField(
        label=_("Sync interval (seconds)"),
        min_value=MIN_SYNC_INTERVAL,
        help_text=_(
            "The longest a new document takes from the order system to the bookkeeping, "
            "while the bookkeeping keeps up: belegsync asks the order system twice per "
            "interval. At least 60 seconds."
        ),
    )

    class Meta:
        model = Connection
        fields = ["name", "source_kind", "target_kind", "enabled", "sync_interval"]
        labels = {"name": _("Name"), "enabled": _("Sync enabled")}

    def __init__(self, *args: Any, organisation: Organisation, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.organisation = organisation
        internal = bool(settings.DEBUG)
        self.fields["source_kind"].choices = registry.choices(registry.SOURCES, internal)
        self.fields["target_kind"].choices = registry.choices(registry.TARGETS, internal)
        for name in ("source_kind", "target_kind"):
            self.fields[name].widget.attrs["class"] = "kind"
        # a connection already set up with an internal kind keeps it selectable
        for name, reg in (("source_kind", registry.SOURCES), ("target_kind", registry.TARGETS)):
            current = getattr(self.instance, name, "")
            field = self.fields[name]
            if current and current in reg and current not in dict(field.choices):  # type: ignore[attr-defined]
                field.choices = [
                    *field.choices,
                    *[  # type: ignore[attr-defined]
                        c for c in registry.choices(reg, True) if c[0] == current
                    ],
                ]

    def clean_name(self) -> str:
        name: str = self.cleaned_data["name"].strip()
        clash = Connection.objects.filter(organisation=self.organisation, name=name)
        if self.instance.pk:
            clash = clash.exclude(pk=self.instance.pk)
        if clash.exists():
            raise forms.ValidationError(_("You already have a connection with this name."))
        return name


SAVED_HELP = _("Saved. Leave empty to keep it.")


def adapter_form(adapter: Any, attribute: str) -> type[forms.Form] | None:
    """The adapter's ``credentials_form`` / ``settings_form``, imported from its UI part
    (named by path relative to its folder: ``registry.adapter_part``)."""
    form: type[forms.Form] | None = registry.adapter_part(adapter, attribute)
    return form


def credentials_form(
    form_class: type[forms.Form],
    saved: dict[str, Any],
    data: Any,
    prefix: str,
    *,
    locked: bool = False,
) -> forms.Form:
    """The adapter's credentials form, never showing a saved value.

    A field with a saved value becomes optional: left empty, the saved value is
    kept (see :func:`merged_credentials`). ``locked`` (a role that may not manage
    credentials): a form without fields that is always valid, so the saved
    credentials stay as they are whatever is posted.
    """
    if locked:
        form = form_class(data={}, prefix=prefix)
        form.fields.clear()
        form.locked = True  # type: ignore[attr-defined]
        return form
    form = form_class(data=data, prefix=prefix)
    for name, field in form.fields.items():
        if saved.get(name) not in (None, ""):
            field.required = False
            extra = f" {field.help_text}" if field.help_text else ""
            field.help_text = f"{SAVED_HELP}{extra}"
        # whatever the adapter chose, a credential is typed in and never echoed back,
        # not even after a validation error
        if isinstance(field.widget, forms.EmailInput):
            # a login e-mail is no secret: shown, so the merchant sees which account it is
            field.initial = saved.get(name, "")
        elif isinstance(field.widget, (forms.TextInput, forms.PasswordInput, forms.Textarea)):
            field.widget = forms.PasswordInput(
                render_value=False, attrs={**field.widget.attrs, "autocomplete": "off"}
            )
    return form


def merged_credentials(saved: dict[str, Any], cleaned: dict[str, Any]) -> dict[str, Any]:
    merged = dict(saved)
    for name, value in cleaned.items():
        if value not in (None, ""):
            merged[name] = value
    return merged


def policy_fields(*adapters: Any) -> list[str]:
    """The policy's choices the adapters follow, each once, in the form's order, and the
    engine's own (``ENGINE_POLICY_FIELDS``) for every connection."""
    wanted = {name for adapter in adapters for name in getattr(adapter, "policy_fields", ())}
    wanted.update(ENGINE_POLICY_FIELDS)
    return [name for name in POLICY_FORM_FIELDS if name in wanted]


def _policy_help(name: str, adapters: Sequence[Any]) -> str:
    texts = [str(getattr(a, "policy_help", {}).get(name, "")) for a in adapters]
    return " ".join(text for text in texts if text)


class PolicyForm(forms.Form):
    """The engine's policy: the choices both sides of a connection share, each asked once.

    Shows only ``fields`` (``policy_fields`` of the connection's adapters);
    :meth:`changes` are the changes to :class:`~belegsync.connectors.settings.Policy`
    for ``services.connections.update_settings``, naming only those fields, so
    saving it keeps everything else (the payment accounts of Billbee's step 3).
    """

    def __init__(
        self,
        *args: Any,
        fields: Sequence[str],
        source: Any = None,
        target: Any = None,
        policy: Policy | None = None,
        **kwargs: Any,
    ) -> None:
        kwargs.setdefault("initial", policy_initial(policy or Policy()))
        super().__init__(*args, **kwargs)
        source_name = str(source.verbose_name) if source is not None else _("the source")
        adapters = [a for a in (source, target) if a is not None]
        for name in fields:
            field = _policy_field(name, source_name)
            field.help_text = _policy_help(name, adapters) or field.help_text
            self.fields[name] = field

    def changes(self) -> dict[str, Any]:
        changes: dict[str, Any] = {}
        for name, value in self.cleaned_data.items():
            if value is None and name != "start_date":
                continue  # not posted: unchanged
            if name == "unassigned_to_default":
                changes.setdefault("payment_accounts", {})[name] = value
            else:
                changes[name] = value
        return changes


def policy_initial(policy: Policy) -> dict[str, Any]:
    return {
        "start_date": policy.start_date,
        "mark_paid": policy.mark_paid,
        "customer_per_buyer": policy.customer_per_buyer,
        "unassigned_to_default": policy.payment_accounts.unassigned_to_default,
        "document_date": policy.document_date.value,
        "small_business": policy.small_business,
        "future_days": policy.future_days,
    }


def _policy_field(name: str, source_name: str) -> forms.Field:
    if name == "start_date":
        return forms.DateField(
            label=_("Start date"), required=False, widget=forms.DateInput(attrs={"type": "date"})
        )
    if name == "mark_paid":
        return forms.TypedChoiceField(
            label=_("Payment reconciliation"),
            choices=[
                (
                    "True",
                    _("In %(source)s: vouchers are sent as paid") % {"source": source_name},
                ),
                ("False", _("In the bookkeeping: vouchers are sent as open")),
            ],
            coerce=lambda value: value == "True",
            empty_value=None,
            required=False,
            widget=forms.RadioSelect,
        )
    if name == "customer_per_buyer":
        return forms.BooleanField(
            label=_("Create a customer in the bookkeeping for every buyer"), required=False
        )
    if name == "unassigned_to_default":
        return forms.BooleanField(
            label=_("Book unassigned payments as standard payment"), required=False
        )
    if name == "document_date":
        return forms.TypedChoiceField(
            label=_("Voucher date"),
            choices=[
                (DocumentDate.INVOICE.value, _("Invoice date")),
                (DocumentDate.PAYMENT.value, _("Payment date")),
                (DocumentDate.ORDER.value, _("Order date")),
            ],
            empty_value=None,
            required=False,
            widget=forms.RadioSelect,
        )
    if name == "small_business":
        return forms.BooleanField(
            label=_("Small business (§ 19 UStG): I charge no VAT"),
            required=False,
            help_text=_(
                "Every document of this connection is booked without VAT on the "
                "small-business revenue; a document that shows VAT is held with the reason."
            ),
        )
    if name == "future_days":
        return forms.IntegerField(
            label=_("Hold invoices dated more than this many days ahead"),
            min_value=0,
            max_value=MAX_FUTURE_DAYS,
            required=False,
            help_text=_(
                "An invoice dated further ahead is held with “check the invoice date” "
                "instead of being booked into a later VAT period (a typo in the year). "
                "Empty keeps the current value."
            ),
        )
    raise KeyError(f"No form field for the policy's {name!r}")


#: A year: a date further ahead than that is never plausible for an invoice.
MAX_FUTURE_DAYS = 366
