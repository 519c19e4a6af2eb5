"""Forms of a Billbee connection: credentials, and its own settings of the product page's steps.

Field names are those of :class:`.settings.BillbeeSettings` (no secrets
there); the API key, user and API password go to
``Connection.credentials["source"]``. The choices Billbee's steps share with
the target (start date, payment reconciliation, customers, voucher date) are
the engine's policy form (``belegsync.web.forms.PolicyForm``).
"""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from .mapping import ORDER_STATES
from .settings import DEFAULT_STATES, DEFAULT_TAG

STATE_RULES = [
    (
        "current",
        _("The order is in one of these states when it is transferred (as in Billbee)"),
    ),
    (
        "ever",
        _("The order has been in one of these states at any time since the start date"),
    ),
]


class CredentialsForm(forms.Form):
    api_key = forms.CharField(
        label=_("Billbee API key"),
        help_text=_("The X-Billbee-Api-Key Billbee support issued for belegsync."),
    )
    user = forms.EmailField(
        label=_("Billbee user"), help_text=_("The e-mail address you log in to Billbee with.")
    )
    password = forms.CharField(
        label=_("Billbee API password"),
        help_text=_(
            "Not your login password: the API password from Billbee's settings "
            "(Settings → API). The API must be activated in your Billbee account."
        ),
    )


class GeneralForm(forms.Form):
    """Step 1: what is transferred (beside the start date, which is the policy's)."""

    shop_ids = forms.MultipleChoiceField(
        label=_("Shops"),
        required=False,
        help_text=_("Orders of these Billbee shops are transferred; none selected means all."),
        widget=forms.CheckboxSelectMultiple,
    )
    state_ids = forms.MultipleChoiceField(
        label=_("Order states"),
        choices=[(str(k), v) for k, v in ORDER_STATES.items()],
        initial=list(DEFAULT_STATES),
        widget=forms.CheckboxSelectMultiple,
        help_text=_(
            "What counts is not whether the order was ever in this state, but whether it "
            "is in it at the time of the transfer. So best choose several states an order "
            "stays in for long or for good, such as paid, shipped and completed."
        ),
    )
    state_rule = forms.ChoiceField(
        label=_("When does the state count?"),
        choices=STATE_RULES,
        initial="current",
        widget=forms.RadioSelect,
        help_text=_(
            "The second choice also transfers an order that passed a selected state "
            "between two syncs (known from the states belegsync saw and the order's history)."
        ),
    )
    export_tag = forms.CharField(
        label=_("Tag for exported orders"),
        initial=DEFAULT_TAG,
        max_length=50,
        help_text=_("Set on the order in Billbee once its voucher is in the bookkeeping."),
    )

    def __init__(self, *args: Any, shops: list[tuple[str, str]] | None = None, **kwargs: Any):
        super().__init__(*args, **kwargs)
        self.fields["shop_ids"].choices = shops or []
        if shops is None:
            self.fields["shop_ids"].help_text = _(
                "The shops are listed once Billbee accepts the credentials."
            )

    def clean_export_tag(self) -> str:
        tag: str = self.cleaned_data["export_tag"].strip()
        if not tag:
            raise forms.ValidationError(_("Give the tag a name."))
        return tag


class SettingsForm(GeneralForm):
    """Billbee's own settings on the generic connection form (shops need step 1)."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        del self.fields["shop_ids"]
