from __future__ import annotations

from typing import Any

from django import forms

from .csv import column_label


class MappingForm(forms.Form):
    """One choice per missing column: which header of the file holds it."""

    def __init__(
        self, *args: Any, missing: list[str], headers: list[str], language: str, **kwargs: Any
    ) -> None:
        super().__init__(*args, **kwargs)
        choices = [("", "—"), *((h, h) for h in headers if h)]
        for key in missing:
            self.fields[key] = forms.ChoiceField(label=column_label(key, language), choices=choices)
