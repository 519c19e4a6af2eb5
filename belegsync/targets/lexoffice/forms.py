"""A lexoffice target's forms: credentials and its own settings (``settings.LexofficeSettings``).

Its choices of customers and of marking paid are the engine's policy form.
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Mapping
from typing import Any

from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from .mapping import OVERRIDE_KEYS

_LINE = re.compile(r"^\s*([a-z_]+)\s*[=:]\s*(\S+)\s*$")


class CategoryOverridesField(forms.CharField):  # type: ignore[misc]
    """``key=categoryId`` per line ↔ a dict; keys are line categories or tax treatments."""

    widget = forms.Textarea(attrs={"rows": 4})

    def prepare_value(self, value: Any) -> Any:
        if isinstance(value, Mapping):
            return "\n".join(f"{k}={v}" for k, v in value.items())
        return value

    def to_python(self, value: Any) -> dict[str, str]:
        if isinstance(value, Mapping):
            return dict(value)
        text = super().to_python(value) or ""
        result: dict[str, str] = {}
        for number, line in enumerate(text.splitlines(), start=1):
            if not line.strip():
                continue
            match = _LINE.match(line)
            if not match:
                raise ValidationError(
                    _("Line %(number)s: write key=categoryId, e.g. goods=8f86….")
                    % {"number": number}
                )
            key, category_id = match.groups()
            if key not in OVERRIDE_KEYS:
                raise ValidationError(
                    _("Line %(number)s: “%(key)s” is not known; use one of %(keys)s.")
                    % {"number": number, "key": key, "keys": ", ".join(OVERRIDE_KEYS)}
                )
            try:
                uuid.UUID(category_id)
            except ValueError:
                raise ValidationError(
                    _(
                        "Line %(number)s: “%(value)s” is not a lexoffice category ID (a UUID "
                        "from GET /v1/posting-categories)."
                    )
                    % {"number": number, "value": category_id}
                ) from None
            result[key] = category_id
        return result


class LexofficeCredentialsForm(forms.Form):  # type: ignore[misc]
    api_key = forms.CharField(
        label=_("API key"),
        widget=forms.PasswordInput(render_value=False),
        help_text=_(
            "Create it at https://app.lexware.de/addons/public-api. Stored encrypted, never "
            "shown again. Checked against your lexoffice profile when you save."
        ),
    )


class LexofficeSettingsForm(forms.Form):  # type: ignore[misc]
    lexoffice_base_url = forms.ChoiceField(
        label=_("API address"),
        choices=[
            ("current", _("https://api.lexware.io (Lexware Office, current)")),
            ("old", _("https://api.lexoffice.io (old address, switched off end of 2025)")),
        ],
        initial="current",
    )
    lexoffice_distance_sales_principle = forms.ChoiceField(
        label=_("EU distance sales"),
        choices=[
            ("auto", _("As in my lexoffice profile")),
            ("DESTINATION", _("Destination country's rate (Bestimmungslandprinzip)")),
            ("ORIGIN", _("German rate (Ursprungslandprinzip)")),
        ],
        initial="auto",
    )
    lexoffice_category_overrides = CategoryOverridesField(
        label=_("Posting category overrides"),
        required=False,
        help_text=_(
            "One per line: goods=…, shipping=…, fee=…, discount=… (domestic sales) or "
            "eu_distance_sale=…, intra_eu_supply=…, export=…, small_business=…"
        ),
    )
