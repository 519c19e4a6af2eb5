"""The sevDesk target's credentials form.

What the product page lists as sevDesk's settings (payment reconciliation,
customers, unassigned payments, voucher date) are the engine's policy, asked
once on the connection form (``policy_fields``); the payment methods' accounts
are set on the source's accounts step. Only manual check accounts are offered
there (``SevdeskTarget.account_choices``): belegsync cannot book a payment on a
real (online) bank account — sevDesk links those only to imported bank
transactions, which belegsync does not have.
"""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _


class SevdeskCredentialsForm(forms.Form):  # type: ignore[misc]
    api_token = forms.CharField(
        label=_("API token"),
        widget=forms.PasswordInput(render_value=False),
        help_text=_(
            "In sevDesk under Settings → Users, edit your administrator user: "
            "the field “API token”."
        ),
    )

    def clean_api_token(self) -> str:
        token = str(self.cleaned_data["api_token"]).strip()
        if token.lower().startswith("bearer "):
            # sevDesk wants the bare token; a pasted "Bearer …" would be refused.
            token = token[7:].strip()
        return token
