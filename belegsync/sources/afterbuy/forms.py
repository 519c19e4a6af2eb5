"""Afterbuy's UI part: the credentials and settings forms of both sources, the column mapping."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from .csv import column_label


class MappingForm(forms.Form):
    """One choice per missing column: which header of the file holds it."""

    def __init__(self, *args: Any, missing: list[str], headers: list[str], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        choices = [("", "—"), *((h, h) for h in headers if h)]
        for key in missing:
            self.fields[key] = forms.ChoiceField(label=column_label(key), choices=choices)


KINDS = [("invoice", _("Invoices")), ("credit_note", _("Credit notes (Gutschriften)"))]


class ApiCredentialsForm(forms.Form):  # type: ignore[misc]
    partner_token = forms.CharField(
        label=_("Afterbuy PartnerToken"),
        required=False,
        help_text=_("Identifies the integration; issued by Afterbuy for the XML API."),
    )
    account_token = forms.CharField(
        label=_("Afterbuy AccountToken"),
        required=False,
        help_text=_("Identifies your Afterbuy account (Afterbuy: settings of the XML API)."),
    )
    partner_id = forms.CharField(
        label=_("Legacy: PartnerID"),
        required=False,
        help_text=_("Only for older accounts without tokens: all four legacy fields."),
    )
    partner_password = forms.CharField(label=_("Legacy: partner password"), required=False)
    user_id = forms.CharField(label=_("Legacy: UserID"), required=False)
    user_password = forms.CharField(label=_("Legacy: user password"), required=False)
    web_user = forms.CharField(
        label=_("Afterbuy login: user name"),
        required=False,
        help_text=_("Needed to download the invoice PDFs (the API has none)."),
    )
    web_password = forms.CharField(label=_("Afterbuy login: password"), required=False)


class ApiSettingsForm(forms.Form):  # type: ignore[misc]
    afterbuy_documents = forms.MultipleChoiceField(
        label=_("Documents"),
        choices=KINDS,
        initial=["invoice", "credit_note"],
        widget=forms.CheckboxSelectMultiple,
    )
    afterbuy_export_tag = forms.CharField(
        label=_("Tag for transferred orders"),
        required=False,
        max_length=50,
        help_text=_("Set on the order in Afterbuy once it is in the bookkeeping; empty: none."),
    )


class CsvCredentialsForm(forms.Form):  # type: ignore[misc]
    web_user = forms.CharField(
        label=_("Afterbuy login: user name"),
        required=False,
        help_text=_("Needed to download the invoice PDFs (the API has none)."),
    )
    web_password = forms.CharField(label=_("Afterbuy login: password"), required=False)
