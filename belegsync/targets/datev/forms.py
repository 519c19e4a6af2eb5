"""The DATEV target's settings form: what the tax advisor tells the merchant."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _


class DatevSettingsForm(forms.Form):  # type: ignore[misc]
    consultant_number = forms.IntegerField(
        label=_("consultant number (Beraternummer)"), min_value=1001, max_value=9_999_999
    )
    client_number = forms.IntegerField(
        label=_("client number (Mandantennummer)"), min_value=1, max_value=99_999
    )
    fiscal_year_start_month = forms.IntegerField(
        label=_("fiscal year starts in month"), min_value=1, max_value=12, initial=1
    )
    account_length = forms.IntegerField(
        label=_("account length (Sachkontenlänge)"), min_value=4, max_value=8, initial=4
    )
    chart = forms.ChoiceField(
        label=_("chart of accounts"), choices=[("03", "SKR03"), ("04", "SKR04")], initial="03"
    )
    oss_tax_key = forms.CharField(label=_("OSS tax key"), max_length=4, required=False)
    lock_bookings = forms.BooleanField(
        label=_("lock bookings on import (Festschreibung)"), required=False
    )
