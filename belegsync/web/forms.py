"""Forms of the web shell. Credentials come from the adapters' own forms (pretix-style)."""

from __future__ import annotations

from typing import Any

from django import forms
from django.conf import settings
from django.utils.translation import gettext_lazy as _

from belegsync.connectors import registry
from belegsync.documents.models import MIN_SYNC_INTERVAL, Connection, Organisation


class ConnectionForm(forms.ModelForm):  # type: ignore[type-arg]
    source_kind = forms.ChoiceField(label=_("Source (order system)"))
    target_kind = forms.ChoiceField(label=_("Target (bookkeeping)"))
    sync_interval = forms.IntegerField(
        label=_("Sync interval (seconds)"),
        min_value=MIN_SYNC_INTERVAL,
        help_text=_("At least 60 seconds."),
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


def credentials_form(
    form_class: type[forms.Form], saved: dict[str, Any], data: Any, prefix: str
) -> forms.Form:
    """The adapter's credentials form, never showing a saved value.

    A field with a saved value becomes optional: left empty, the saved value is
    kept (see :func:`merged_credentials`).
    """
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
