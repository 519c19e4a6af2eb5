"""Adapters with the optional form attributes, to test how the web shell uses them."""

from __future__ import annotations

from typing import ClassVar

from django import forms

from belegsync.connectors.base import AdapterContext
from belegsync.connectors.errors import PermanentError, RetryableError
from belegsync.connectors.settings import AdapterSettings
from belegsync.sources.memory import MemorySource
from belegsync.targets.memory import MemoryTarget

SECRET = "sk-very-secret-4711"


class KeyForm(forms.Form):
    api_key = forms.CharField(label="API key", widget=forms.PasswordInput)
    login = forms.CharField(label="Login name")


class BookingSettings(AdapterSettings):
    ledger: str = "main"


class BookingForm(forms.Form):
    ledger = forms.CharField(label="Ledger")


class CheckedTarget(MemoryTarget):
    identifier: ClassVar[str] = "checked"
    verbose_name: ClassVar[str] = "Checked books"
    credentials_form = KeyForm
    settings_model = BookingSettings
    settings_form = BookingForm
    policy_fields = ("mark_paid", "customer_per_buyer")
    checked: ClassVar[list[dict[str, str]]] = []

    @classmethod
    def check_credentials(cls, context: AdapterContext) -> None:
        cls.checked.append(dict(context.credentials))
        if context.credentials.get("api_key") == "wrong":
            raise PermanentError("The API key was refused (401).")
        if context.credentials.get("api_key") == "offline":
            raise RetryableError("The service answered 503.")


class PlainSource(MemorySource):
    identifier: ClassVar[str] = "plain"
    verbose_name: ClassVar[str] = "Plain shop"
