"""The sevDesk target's settings, as the product page describes them.

The keys are the connection's shared vocabulary (belegsync/connectors/settings.py):
a source's set-up pages (Billbee's three steps) and this form edit the same
``payment_accounts``, ``create_customers`` … ``mark_paid`` is the engine's own
switch and follows from the payment reconciliation choice.
"""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from belegsync.connectors.base import AccountChoice

RECONCILE_IN_SOURCE = "source"
RECONCILE_IN_SEVDESK = "sevdesk"


class SevdeskCredentialsForm(forms.Form):  # type: ignore[misc]
    api_token = forms.CharField(
        label=_("API token"),
        widget=forms.PasswordInput(render_value=False),
        help_text=_(
            "In sevDesk under Settings → Users, edit your administrator user: "
            "the field “API token”."
        ),
    )
    base_url = forms.URLField(
        assume_scheme="https",
        label=_("API address"),
        required=False,
        help_text=_("Leave empty for sevDesk itself; only for tests and the demo."),
    )

    def clean_api_token(self) -> str:
        token = str(self.cleaned_data["api_token"]).strip()
        if token.lower().startswith("bearer "):
            # sevDesk wants the bare token; a pasted "Bearer …" would be refused.
            token = token[7:].strip()
        return token


class SevdeskSettingsForm(forms.Form):  # type: ignore[misc]
    """Payment reconciliation, customers, voucher date and the account mapping.

    ``accounts`` are the manual check accounts (from ``account_choices``) and
    ``payment_methods`` the methods the source uses; one mapping field per
    method is added. Only manual accounts are offered: belegsync cannot book
    a payment on a real (online) bank account — sevDesk links those only to
    imported bank transactions, which belegsync does not have. Create a
    manual account per payment method in sevDesk (e.g. “PayPal BB”) and
    assign the payments to the real account there later.
    """

    payment_reconciliation = forms.ChoiceField(
        label=_("Payment reconciliation"),
        choices=[
            (RECONCILE_IN_SOURCE, _("in the source: send vouchers as paid")),
            (RECONCILE_IN_SEVDESK, _("in sevDesk: send vouchers as open")),
        ],
        initial=RECONCILE_IN_SOURCE,
        widget=forms.RadioSelect,
    )
    create_customers = forms.BooleanField(
        label=_("Create a sevDesk customer for every buyer"),
        required=False,
        help_text=_("An existing customer is reused: same customer number, else same e-mail."),
    )
    book_unassigned_as_default = forms.BooleanField(
        label=_("Book payments of unassigned payment methods as standard payment"),
        required=False,
    )
    default_payment_account = forms.ChoiceField(
        label=_("Account for the standard payment"),
        required=False,
        help_text=_("Empty: sevDesk's “Basiskonto”."),
    )
    document_date = forms.ChoiceField(
        label=_("Voucher date"),
        choices=[
            ("invoice", _("invoice date")),
            ("payment", _("payment date")),
            ("order", _("order date")),
        ],
        initial="invoice",
    )

    def __init__(
        self,
        *args: Any,
        accounts: list[AccountChoice] | None = None,
        payment_methods: list[str] | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        choices = [("", _("— not assigned —")), *((a.id, a.name) for a in accounts or [])]
        self.fields["default_payment_account"].choices = choices
        self.methods = list(payment_methods or [])
        for method in self.methods:
            self.fields[f"account_{method}"] = forms.ChoiceField(
                label=_("Manual account for “%(method)s”") % {"method": method},
                choices=choices,
                required=False,
            )

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        data["payment_accounts"] = {
            method: data.pop(f"account_{method}")
            for method in self.methods
            if data.get(f"account_{method}")
        }
        for method in self.methods:
            data.pop(f"account_{method}", None)
        data["mark_paid"] = data.get("payment_reconciliation") == RECONCILE_IN_SOURCE
        return data
