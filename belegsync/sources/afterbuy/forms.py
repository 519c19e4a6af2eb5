from __future__ import annotations

from typing import Any

from django import forms
from django.db.models import QuerySet
from django.utils.translation import gettext_lazy as _

from belegsync.documents.models import Connection

from .csv import column_label
from .importer import MODE_NOTHING, MODE_VALID


class UploadForm(forms.Form):
    connection = forms.ModelChoiceField(queryset=Connection.objects.none(), label=_("Connection"))
    file = forms.FileField(label=_("Rechnungsliste (CSV file)"))
    mode = forms.ChoiceField(
        label=_("When some rows have problems"),
        choices=[
            (MODE_VALID, _("import the valid invoices and list the others")),
            (MODE_NOTHING, _("import nothing until the file is correct")),
        ],
        initial=MODE_VALID,
        widget=forms.RadioSelect,
    )

    def __init__(self, *args: Any, connections: QuerySet[Connection], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field = self.fields["connection"]
        assert isinstance(field, forms.ModelChoiceField)
        field.queryset = connections
        if connections.count() == 1:
            field.initial = connections.first()


class MappingForm(forms.Form):
    """One choice per missing column: which header of the file holds it."""

    def __init__(
        self, *args: Any, missing: list[str], headers: list[str], language: str, **kwargs: Any
    ) -> None:
        super().__init__(*args, **kwargs)
        choices = [("", "—"), *((h, h) for h in headers if h)]
        for key in missing:
            self.fields[key] = forms.ChoiceField(label=column_label(key, language), choices=choices)
