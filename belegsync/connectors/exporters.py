"""What a manual export format is: a class declared in the registry, like sources and targets.

pretix's exporters are the model: every format has a stable ``identifier``, a
``verbose_name``, the ``tag`` it gives the documents it exported, its own
settings (``settings_model``, a subclass of :class:`AdapterSettings`, with an
optional ``settings_form`` named by path in its folder, as an adapter's) and one
work method, :meth:`Exporter.writer`. The engine of manual exports
(``belegsync.exports.service``) selects documents, hands them to the writer one
by one and keeps the file; a format knows nothing of Django.

Adding a format: a class in its system's folder and one line in
``registry.EXPORTERS`` (``tests/test_new_adapter.py`` shows it).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from pathlib import Path
from typing import Any, ClassVar, Protocol, runtime_checkable

from .base import MonthDocument
from .reasons import Reason
from .settings import AdapterSettings, TaxAdvisor

#: A document handed to a writer: the engine's key, its voucher, its PDF (only for a
#: format with ``reads_pdfs``). The same shape a month file's target gets.
ExportDocument = MonthDocument


class LeftOut(Exception):
    """A document the format cannot carry: ``reasons`` say why (group EXPORTS)."""

    def __init__(self, message: str, reasons: list[Reason]) -> None:
        super().__init__(message)
        self.reasons = reasons


class ExportWriter(Protocol):
    """One export's file(s) being written, a document at a time."""

    #: Numbers the format had to change → what they became (DATEV's Belegfeld 1).
    number_map: Mapping[str, str]

    def add(self, document: ExportDocument) -> str:
        """Write the document; return its reference in the file, or raise :class:`LeftOut`."""
        ...

    def finish(self) -> list[Path]:
        """Close and check the files; return them (several are zipped into one)."""
        ...

    def abort(self) -> None:
        """Close what is open (a failed export's file handles, e.g. on a full disk)."""
        ...


@runtime_checkable
class Exporter(Protocol):
    identifier: ClassVar[str]
    verbose_name: ClassVar[Any]
    #: The tag the exported documents get ("mark them with the tag"); formats may share one.
    tag: ClassVar[str]
    #: Each document's PDF is read and handed over (the engine reads them in small chunks).
    reads_pdfs: ClassVar[bool]
    settings_model: ClassVar[type[AdapterSettings]]

    def __init__(self, settings: AdapterSettings, advisor: TaxAdvisor) -> None:
        """``settings``: the organisation's settings of this format; ``advisor``: its tax
        advisor's numbers (the organisation's, for every format that needs them)."""
        ...

    def writer(
        self,
        directory: Path,
        *,
        created_at: dt.datetime,
        period: tuple[dt.date, dt.date] | None,
    ) -> ExportWriter:
        """A writer whose files go into ``directory`` (removed by the engine afterwards)."""
        ...


#: Optional class attributes of an exporter:
#:   ``settings_form: str``         its form ("forms.X" in its folder), shown on the exports'
#:                                  settings page; its cleaned data are changes to the model
#:   ``settings_help: str``         a line above that form
#:   ``uses_advisor: bool``         its settings page also edits the tax advisor's numbers
#:   ``missing_settings_code: str`` the reason code when its settings were never saved and
#:                                  the model has required fields (default
#:                                  ``export.no_settings``)
