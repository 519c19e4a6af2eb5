"""The DATEV target's and the DATEV export's settings forms: what the tax advisor tells
the merchant.

Every refusal of a DATEV field reads as its reason (``rules.py``): the field as the tax
advisor names it and what to enter, instead of Django's generic "Dieser Wert muss größer
oder gleich 1001 sein." The export's settings form (:class:`DatevExportSettingsForm`)
does the same through :func:`explain_refusals` and :func:`add_reasons`.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from django import forms
from django.utils.functional import lazy
from django.utils.translation import gettext_lazy as _

from belegsync.connectors.reasons import Reason
from belegsync.connectors.settings import TaxAdvisor
from belegsync.reasons import render

from . import rules
from .settings import DatevExportSettings, extf_settings

__all__ = ["DatevExportSettingsForm", "DatevSettingsForm", "add_reasons", "explain_refusals"]

#: Every way a form field can refuse a value (the field's own and its validators' codes).
_REFUSALS = ("required", "invalid", "min_value", "max_value", "max_length", "invalid_choice")

_rendered = lazy(render, str)


def _posted_length(form: forms.BaseForm) -> int | None:
    try:
        return int(form.data.get(form.add_prefix("account_length")) or "")
    except (TypeError, ValueError):
        return None


def explain_refusals(form: forms.BaseForm) -> None:
    """Let each DATEV field refuse a value with its reason, in the reader's language."""
    values = {"account_length": _posted_length(form)}
    for name, field in form.fields.items():
        if name not in rules.CODES:
            continue
        text = _rendered(rules.reason(name, values))
        field.error_messages = {**field.error_messages, **dict.fromkeys(_REFUSALS, text)}


def add_reasons(form: forms.BaseForm, reasons: Iterable[Reason]) -> None:
    """Reasons found after the fields' own checks, each at its field where the form has it."""
    for reason in reasons:
        field = reason.field if reason.field in form.fields else None
        if field and field in form.errors:
            continue  # the field's own refusal says the same
        form.add_error(field, render(reason))


class DatevSettingsForm(forms.Form):  # type: ignore[misc]
    """A DATEV connection's own settings. The advisor's numbers are the organisation's,
    entered once under Exports → DATEV settings (``DatevExportSettingsForm``)."""

    fiscal_year_start_month = forms.IntegerField(
        label=_("fiscal year starts in month"),
        min_value=rules.RANGES["fiscal_year_start_month"].low,
        max_value=rules.RANGES["fiscal_year_start_month"].high,
        initial=1,
    )
    account_length = forms.IntegerField(
        label=_("account length (Sachkontenlänge)"),
        min_value=rules.RANGES["account_length"].low,
        max_value=rules.RANGES["account_length"].high,
        initial=4,
    )
    chart = forms.ChoiceField(
        label=_("chart of accounts"), choices=[("03", "SKR03"), ("04", "SKR04")], initial="03"
    )
    oss_tax_key = forms.CharField(label=_("OSS tax key"), max_length=4, required=False)
    lock_bookings = forms.BooleanField(
        label=_("lock bookings on import (Festschreibung)"), required=False
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        explain_refusals(self)

    def clean(self) -> dict[str, Any]:
        data: dict[str, Any] = super().clean() or {}
        add_reasons(self, rules.check(data))
        return data


class DatevExportSettingsForm(DatevSettingsForm):
    """The organisation's settings for manual DATEV exports (``DatevExportSettings``), and
    its tax advisor's numbers (``TaxAdvisor``), which its DATEV connections use too."""

    consultant_number = forms.IntegerField(
        label=_("consultant number (Beraternummer)"),
        min_value=rules.RANGES["consultant_number"].low,
        max_value=rules.RANGES["consultant_number"].high,
    )
    client_number = forms.IntegerField(
        label=_("client number (Mandantennummer)"),
        min_value=rules.RANGES["client_number"].low,
        max_value=rules.RANGES["client_number"].high,
    )

    debtor_mode = forms.ChoiceField(
        label=_("customer accounts"),
        choices=[
            ("collective", _("one collective debtor")),
            ("per_customer", _("a debtor per customer number")),
        ],
        initial="collective",
    )
    collective_debtor = forms.IntegerField(
        label=_("collective debtor"), min_value=1, required=False
    )
    debtor_base = forms.IntegerField(
        label=_("first debtor for customer numbers"), min_value=1, required=False
    )
    book_payments = forms.BooleanField(label=_("book payments"), required=False)
    bank_account = forms.IntegerField(label=_("bank account"), min_value=1, required=False)
    revenue_accounts = forms.JSONField(
        label=_("Revenue accounts (overrides, as JSON)"), required=False, initial=dict
    )
    payment_accounts = forms.JSONField(
        label=_("Accounts per payment method (as JSON)"), required=False, initial=dict
    )

    field_order = [
        "consultant_number",
        "client_number",
        "fiscal_year_start_month",
        "account_length",
        "chart",
        "debtor_mode",
        "collective_debtor",
        "debtor_base",
        "oss_tax_key",
        "book_payments",
        "bank_account",
        "revenue_accounts",
        "payment_accounts",
        "lock_bookings",
    ]

    def clean(self) -> dict[str, Any]:
        """What DATEV would refuse, each at its field as a reason (what to enter), checked
        as the writer will read them (a debtor outside the debtor range …)."""
        data: dict[str, Any] = super().clean() or {}
        for name in ("revenue_accounts", "payment_accounts"):
            if name in data and not _accounts(data[name]):
                add_reasons(self, [rules.reason(name)])
        if self.errors:
            return data
        for key in ("revenue_accounts", "payment_accounts"):
            data[key] = data.get(key) or {}
        try:
            own = DatevExportSettings.model_validate(
                {k: v for k, v in data.items() if k not in TaxAdvisor.model_fields}
            )
            advisor = TaxAdvisor.model_validate(
                {k: v for k, v in data.items() if k in TaxAdvisor.model_fields}
            )
            extf_settings(
                own,
                advisor,
                book_payments=own.book_payments,
                payment_accounts=own.payment_accounts,
            )
        except rules.BadSetting as refused:
            add_reasons(self, refused.reasons)
        return data


def _accounts(value: Any) -> bool:
    """A JSON mapping of keys to account numbers (``{"paypal": 1360}``), or nothing."""
    if value in (None, ""):
        return True
    if not isinstance(value, dict):
        return False
    return all(_account_number(v) for v in value.values())


def _account_number(value: Any) -> bool:
    if isinstance(value, bool):
        return False
    return isinstance(value, int) or (isinstance(value, str) and value.isdigit())
