"""What a source and a target are (DESIGN.md §2), and the data between them.

Sources and targets import this module and :mod:`belegsync.bookkeeping`, never
each other and never the sync engine. Adding a system means one folder under
``sources/`` or ``targets/`` that implements one of these protocols and is
named in :mod:`belegsync.connectors.registry`.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, ClassVar, Protocol, TypeVar, runtime_checkable

from pydantic import BaseModel

from belegsync.bookkeeping import Voucher
from belegsync.bookkeeping.frozen import one_step_init

from .errors import PermanentError
from .ratelimit import Limiter, NoLimit
from .reasons import Reason
from .settings import AdapterSettings, Policy, TaxAdvisor, read

S = TypeVar("S", bound=AdapterSettings)


@dataclass(frozen=True)
class Cursor:
    """Where a source's last complete fetch ended (Singer's bookmark).

    ``value`` is opaque to the engine (a timestamp, an id); it is stored only
    after everything it covers is stored.
    """

    value: str = ""

    @property
    def is_start(self) -> bool:
        return not self.value


@one_step_init
@dataclass(frozen=True)
class SourceDocument:
    """One voucher as read from a source, with what the engine needs around it."""

    voucher: Voucher
    #: The source's own id of the order/invoice (e.g. Billbee order id).
    source_id: str
    #: Why the engine must not transfer it (start date, shop or state filter), if so.
    skip_reasons: tuple[Reason, ...] = ()
    #: Source-specific facts a later step needs (order state, shop id, PDF link).
    meta: Mapping[str, Any] = field(default_factory=dict)


@one_step_init
@dataclass(frozen=True)
class RejectedRow:
    """A part of a source file that did not become a document, and why.

    ``problems`` are the merchant's explanation per problem: where (``line``,
    ``column``, ``value``) and what to do, in the UI's languages (``de``, ``en``).
    """

    line: int
    number: str
    problems: tuple[Mapping[str, Any], ...]


@dataclass(frozen=True)
class FileReading:
    """A source file being read: what was detected, and its rows in file order.

    Iterating ``rows`` may raise ``errors.UnreadableFile`` when the file breaks
    part-way (cut off, another encoding from line N on).
    """

    #: Detected facts shown with the result, e.g. {"encoding": "UTF-8", "delimiter": ";"}.
    details: Mapping[str, str]
    rows: Iterator[SourceDocument | RejectedRow]
    #: Reads the whole file only for what breaks it as a whole (raising
    #: ``errors.UnreadableFile``), without making documents: the import's checking
    #: pass uses it when single bad rows do not stop the import. None: it reads ``rows``.
    check: Callable[[], None] | None = None


#: ``progress(bytes_read, bytes_total)``, called now and then while a file is read.
Progress = Callable[[int, int], None]


@dataclass(frozen=True)
class FetchResult:
    """A page of documents and the cursor that is safe to store once they are stored."""

    documents: list[SourceDocument]
    cursor: Cursor
    more: bool = False


@dataclass(frozen=True)
class RemoteRef:
    """A voucher's identity in the target (a *binding* in OCA's words)."""

    remote_id: str
    url: str = ""
    version: int | None = None
    #: The remote copy was found by the dedupe step rather than created now.
    adopted: bool = False
    #: Remote state facts, e.g. whether a file is attached, whether it is paid.
    facts: Mapping[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class Page:
    """A page of an adapter's own (set-up steps, uploads), linked from its connection.

    ``url_name`` is a Django URL name that takes the connection's ``pk``.
    """

    label: str
    url_name: str


@dataclass(frozen=True)
class AccountChoice:
    """An account a payment method can be mapped to (sevDesk check accounts …)."""

    id: str
    name: str


@dataclass(frozen=True)
class AdapterContext:
    """What an adapter is built from: one side's credentials and settings, the policy, pacing.

    ``settings`` is this side's own settings model (the engine passes the
    adapter's ``settings_model``); a plain mapping is read into the model by
    :meth:`settings_as`, so a test may describe it as a dict.
    """

    connection_id: int = 0
    credentials: Mapping[str, Any] = field(default_factory=dict)
    settings: BaseModel | Mapping[str, Any] = field(default_factory=dict)
    #: The engine's policy both sides follow (mark paid, document date, accounts …).
    policy: Policy = field(default_factory=Policy)
    #: The organisation's tax advisor's numbers (DATEV writes them into its files).
    advisor: TaxAdvisor = field(default_factory=TaxAdvisor)
    limiter: Limiter = field(default_factory=NoLimit)
    #: What belegsync stored of earlier documents of these source ids: their
    #: ``SourceDocument.meta`` by source id (e.g. order states seen before).
    remembered: Callable[[list[str]], dict[str, Mapping[str, Any]]] = lambda ids: {}

    def settings_as(self, model: type[S]) -> S:
        """This side's settings as the adapter's ``model`` (validated)."""
        if isinstance(self.settings, model):
            return self.settings
        if isinstance(self.settings, BaseModel):
            return model.model_validate(self.settings.model_dump())
        return read(model, self.settings)


@runtime_checkable
class Source(Protocol):
    """Where documents come from. A class may set ``fetches = False`` when its
    documents only arrive as uploads (``registry.fetching_kinds``): the scheduler
    then starts its cycle only when there is work, not every interval."""

    identifier: ClassVar[str]
    verbose_name: ClassVar[str]

    def fetch(self, cursor: Cursor, now: dt.datetime) -> Iterator[FetchResult]: ...

    def pdf(self, document: SourceDocument) -> bytes | None: ...

    def mark_transferred(self, document: SourceDocument) -> None: ...


@runtime_checkable
class FileSource(Source, Protocol):
    """A source whose documents arrive as files the merchant uploads (a Rechnungsliste).

    An upload becomes an import job; the engine reads the file through
    :meth:`read_file` and stores its documents like any fetched ones, so from
    then on they are documents of the connection like all others (PDF, mark
    transferred: the :class:`Source` methods).
    """

    #: What the files are, for the upload page ("Afterbuy Rechnungsliste (CSV)").
    file_label: ClassVar[str]
    #: The name ``belegsync import FORMAT FILE`` knows them by ("afterbuy-csv").
    file_format: ClassVar[str]

    def read_file(self, path: Path, progress: Progress | None = None) -> FileReading:
        """Open ``path``; raise ``errors.UnreadableFile`` when it cannot be read at all."""
        ...


@dataclass(frozen=True)
class MonthDocument:
    """One document of a month a file target writes: the engine's key, its voucher, its PDF."""

    key: int
    voucher: Voucher
    pdf: bytes | None = None


@dataclass(frozen=True)
class WrittenMonth:
    """A file target's file of one month, and what became of each document handed to it."""

    name: str
    content: bytes
    #: Document key → its reference in the file (DATEV: Belegfeld 1).
    included: Mapping[int, str] = field(default_factory=dict)
    #: Document key → why the format cannot carry it (left out, not in the file).
    left_out: Mapping[int, Reason] = field(default_factory=dict)


@runtime_checkable
class Target(Protocol):
    identifier: ClassVar[str]
    verbose_name: ClassVar[str]

    def find(self, voucher: Voucher) -> RemoteRef | None: ...

    def create(self, voucher: Voucher) -> RemoteRef: ...

    def attach(self, ref: RemoteRef, pdf: bytes, filename: str) -> RemoteRef: ...

    def mark_paid(self, ref: RemoteRef, voucher: Voucher) -> RemoteRef: ...

    def preview(self, voucher: Voucher) -> dict[str, Any]:
        """The exact JSON body ``create`` would send for ``voucher``; sends nothing."""
        ...

    def check(self, voucher: Voucher, policy: Policy) -> list[PermanentError]:
        """Everything this target would refuse about ``voucher`` under ``policy``.

        Every problem at once, each as the error the step would raise (an
        unsupported treatment, a rate or currency it cannot book, a payment it
        cannot mark as paid, a missing account mapping). Writes nothing; may
        read (profile, accounts). The engine asks right before it creates, so
        nothing is created in the target and then failed at a later step.
        """
        ...


#: Optional class attributes of an adapter, read by the web UI and the engine:
#:   ``rate: Rate``                      the remote's documented limit (pacing)
#:   ``credentials_form: str``           its form, by path in its folder ("forms.X"; the
#:                                       web shell imports it): fields stored encrypted
#:                                       in credentials[side]
#:   ``settings_model: type[AdapterSettings]``
#:                                       its own settings (Connection.settings[side])
#:   ``settings_form: str``              the form ("forms.X") of (some of) those fields; its
#:                                       cleaned data are changes to the model
#:   ``policy_fields: tuple[str, ...]``  the policy's choices it follows, shown once on
#:                                       the connection form (POLICY_FORM_FIELDS)
#:   ``policy_help: dict[str, str]``     what a policy choice means for this system
#:   ``check_credentials(context)``      classmethod: raise a ConnectorError when the
#:                                       remote refuses them (run on save)
#:   ``pages: tuple[Page, ...]``         its own pages, linked from the connection page
#:   ``delivers_month_files: bool``       a file target (DATEV): the engine hands it each
#:                                       month that is over (``month_of(voucher)``,
#:                                       ``month_file(month, documents, sequence=,
#:                                       created_at=) -> WrittenMonth``) instead of
#:                                       transferring documents one by one
#:   ``requires_advisor: bool``         it cannot run without the tax advisor's numbers
#:                                       (``context.advisor``, the organisation's): the
#:                                       connection stays in set-up until they are set
#:   ``required_settings: tuple[(field, label), ...]``
#:                                       own settings without which it cannot run: the
#:                                       connection stays in set-up until they are set
#:   ``create_with_pdf(voucher, pdf, filename) -> RemoteRef``
#:                                       create with the PDF in one go, where attaching
#:                                       afterwards costs more (sevDesk)
