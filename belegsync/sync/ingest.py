"""Store what a source read: the one way documents enter belegsync.

CSV upload, the Afterbuy API and Billbee all end here, so the rules are the
same for every source: one document per (connection, kind, number); a voucher
that does not add up becomes a *failed* document with the reasons, never a
silent fix; a skipped one is kept and shown; newer data for a document already
transferred waits for the merchant's re-upload instead of changing the books.
"""

from __future__ import annotations

import datetime as dt
import json
import sqlite3
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from enum import StrEnum
from functools import cache, partial
from operator import attrgetter
from typing import Any, NamedTuple

from django.db import DEFAULT_DB_ALIAS, IntegrityError, NotSupportedError, connections, transaction
from django.db.backends.base.base import BaseDatabaseWrapper
from django.db.models import Field, Model
from django.utils import timezone

from belegsync.bookkeeping import Problem, voucher_from_dict, voucher_to_dict
from belegsync.connectors.base import SourceDocument
from belegsync.connectors.errors import FailureReason
from belegsync.connectors.reasons import Reason, as_json, from_json
from belegsync.connectors.settings import Policy
from belegsync.documents.models import (
    Connection,
    CountBatch,
    Document,
    Event,
    NumberConflict,
)
from belegsync.documents.states import State, transition
from belegsync.lib import json_text

from . import conflicts
from .checks import voucher_problems


class Outcome(StrEnum):
    """What storing one source document did."""

    CREATED = "created"
    UPDATED = "updated"
    UNCHANGED = "unchanged"
    FAILED = "failed"
    SKIPPED = "skipped"
    #: Newer data for a document already transferred, kept for the merchant's re-upload.
    PENDING_REUPLOAD = "pending_reupload"


@dataclass
class IngestReport:
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    failed: int = 0
    skipped: int = 0
    pending_reupload: int = 0
    numbers_failed: list[str] = field(default_factory=list)

    def add(self, other: IngestReport) -> None:
        for name in ("created", "updated", "unchanged", "failed", "skipped", "pending_reupload"):
            setattr(self, name, getattr(self, name) + getattr(other, name))
        self.numbers_failed += other.numbers_failed


def problem_reasons(problems: list[Problem]) -> list[dict[str, Any]]:
    """The stored form of a voucher's problems (``Document.failure_details``)."""
    return as_json(Reason.of(p) for p in problems)


def _skips(sd: SourceDocument) -> list[dict[str, Any]] | None:
    """The stored form of a source document's skip reasons; None when it qualifies."""
    return as_json(sd.skip_reasons) or None


def _codes(reasons: list[dict[str, Any]] | None) -> str:
    """An event's message for logs and support: the codes, the text is rendered from them."""
    return ", ".join(str(r["code"]) for r in reasons or [])


def _columns(sd: SourceDocument) -> dict[str, Any]:
    v = sd.voucher
    return {
        "source_id": sd.source_id,
        "invoice_date": v.invoice_date,
        "currency": v.currency,
        "total_net": v.total_net,
        "total_gross": v.total_gross,
        "meta": dict(sd.meta),
    }


def _validation_failure(problems: list[Problem]) -> dict[str, Any]:
    return {
        "failure_reason": FailureReason.VALIDATION.value,
        "failure_details": problem_reasons(problems),
        "raw_error": "",
    }


def store(connection: Connection, sd: SourceDocument, actor: str = "system") -> Outcome:
    """Store one source document; returns what happened (created, updated, …)."""
    voucher = sd.voucher
    data = voucher_to_dict(voucher)
    problems = voucher_problems(voucher, connection.policy, timezone.localdate())
    with transaction.atomic():
        existing = (
            Document.objects.select_for_update()
            .filter(connection=connection, kind=voucher.kind.value, source_number=voucher.number)
            .first()
        )
        conflicts.release_all_moved(connection, [sd], actor)
        if existing is None:
            return _create(connection, sd, data, problems, actor)
        return _update(existing, sd, data, problems, actor)


class AsStored(str):
    """A value already in the form the database stores (a JSON value dumped, a date or a
    decimal as text; made by :func:`prepare`, maybe in another process): handed to the
    driver as it is by :func:`insert_rows`, where a plain ``str`` would be dumped as a
    JSON string or parsed as a date."""

    __slots__ = ()


class Prepared(NamedTuple):
    """A source document made ready to store, without the database: what a new document's
    row and import event hold, worked out once (:func:`prepare`).

    Plain ``str`` (and None) in the form the database stores, cheap to send to another
    process: an import prepares its batches in a second process while this one stores the
    batch before (:mod:`belegsync.sync.imports`). A date, a ``Decimal``, a ``str``
    subclass or an enum would each be pickled by a call to rebuild it (18 of the 20 µs
    an invoice took to unpickle, 40 of the 47 µs to pickle). Only a failed or skipped
    document has its reasons as lists. ``source`` is the source document itself where it
    is at hand (None when prepared elsewhere; :meth:`document` then rebuilds it).
    """

    kind: str
    number: str
    source_id: str
    #: The voucher's stored form (``voucher_to_dict``) as JSON text.
    voucher: str
    #: ISO 8601 (``date.isoformat``), None for a voucher without one.
    invoice_date: str | None
    currency: str
    #: The decimals' text (``str(Decimal)``), as the database is given them.
    total_net: str
    total_gross: str
    #: JSON text.
    meta: str
    skip_details: list[dict[str, Any]] | None
    state: str
    #: An :class:`Outcome`'s value.
    outcome: str
    #: failure_reason, failure_details and raw_error of a voucher that does not add up.
    failure: dict[str, Any] | None
    source: SourceDocument | None
    #: PostgreSQL, prepared for another process: the row's ``COPY`` text of every column
    #: but those the storing process fills in and the voucher (:func:`copy_text_of`).
    copied: str | None = None

    def data(self) -> dict[str, Any]:
        """The voucher's stored form as a dict (``Document.voucher``)."""
        return json.loads(self.voucher)  # type: ignore[no-any-return]

    def document(self) -> SourceDocument:
        """The source document (rebuilt from its stored form when prepared elsewhere)."""
        if self.source is not None:
            return self.source
        return SourceDocument(
            voucher=voucher_from_dict(self.data()),
            source_id=self.source_id,
            skip_reasons=tuple(from_json(self.skip_details)),
            meta=json.loads(self.meta),
        )

    @property
    def reasons(self) -> list[dict[str, Any]]:
        """Why it is not waiting (its import event's reasons): the failure's or the skip's."""
        return (self.failure or {}).get("failure_details") or self.skip_details or []


#: How ``Document.voucher`` and ``meta`` are dumped: as ``json.dumps`` does (Django's
#: JSONField: no encoder), from an encoder made once (two dumps an invoice on import).
_dumps = json_text.dumps
_OUTCOMES = {outcome.value: outcome for outcome in Outcome}


def prepare(
    sd: SourceDocument,
    policy: Policy,
    today: dt.date,
    *,
    keep_source: bool = True,
    copy_text: bool = False,
) -> Prepared:
    """``sd`` ready to store for a connection with ``policy`` on ``today``: its stored
    form, its checks (:func:`~belegsync.sync.checks.voucher_problems`) and the state a new
    document of it starts in. ``keep_source=False``: leave the source document out (to
    send the result to another process); ``copy_text``: with its row's ``COPY`` text
    (PostgreSQL: :func:`copy_text_of`)."""
    voucher = sd.voucher
    problems = voucher_problems(voucher, policy, today)
    prepared = _prepared(sd, voucher_to_dict(voucher), problems, keep_source)
    return prepared._replace(copied=copy_text_of(prepared)) if copy_text else prepared


def _prepared(
    sd: SourceDocument, data: dict[str, Any], problems: list[Problem], keep_source: bool
) -> Prepared:
    voucher = sd.voucher
    state, outcome, failure = State.WAITING, Outcome.CREATED, None
    if problems:
        state, outcome, failure = State.FAILED, Outcome.FAILED, _validation_failure(problems)
    elif sd.skip_reasons:
        state, outcome = State.SKIPPED, Outcome.SKIPPED
    date = voucher.invoice_date
    # ``_value_``: an enum member's value itself, where ``.value`` is a property written
    # in Python (enum.py); three a document on import
    return Prepared(
        kind=voucher.kind._value_,
        number=voucher.number,
        source_id=sd.source_id,
        voucher=_dumps(data),
        invoice_date=None if date is None else date.isoformat(),
        currency=voucher.currency,
        total_net=_decimal_text(voucher.total_net),
        total_gross=_decimal_text(voucher.total_gross),
        meta=_dumps(dict(sd.meta)),
        skip_details=_skips(sd),
        state=state._value_,
        outcome=outcome._value_,
        failure=failure,
        source=sd if keep_source else None,
    )


def _decimal_text(value: Decimal) -> str:
    """A decimal as the database is given it: its text, as both drivers send a finite
    ``Decimal``. Django's ``DecimalField`` refuses a NaN or an infinity: so does this."""
    if not value.is_finite():
        raise ValueError(f"not a finite amount: {value}")
    return str(value)


def _new_row(connection: Connection, p: Prepared, now: Any) -> dict[str, Any]:
    """A new document's columns (by attribute name), as :func:`_document_columns` has them."""
    return {
        "connection_id": connection.pk,
        "voucher": p.voucher,
        "created_at": now,
        "updated_at": now,
        **_document_columns_of(p),
    }


def _import_event(
    document_id: int,
    row: dict[str, Any],
    actor: str,
    reasons: list[dict[str, Any]],
    detail: dict[str, Any],
    dumped: AsStored | None = None,
) -> dict[str, Any]:
    """The columns of a new document's import event (``row``: the document's; ``dumped``:
    ``detail`` dumped once for the batch, the detail of each event without reasons)."""
    return {
        "document_id": document_id,
        "at": row["created_at"],
        "actor": actor,
        "action": "import",
        "to_state": row["state"],
        "message": _codes(reasons) or "imported",
        "detail": {**detail, "reasons": reasons} if reasons else dumped or detail,
    }


def _create(
    connection: Connection,
    sd: SourceDocument,
    data: dict[str, Any],
    problems: list[Problem],
    actor: str,
) -> Outcome:
    prepared = _prepared(sd, data, problems, keep_source=True)
    row = {**_new_row(connection, prepared, timezone.now()), **_columns(sd), "voucher": data}
    document = Document.objects.create(**row)  # the ORM prepares each value itself
    Event.objects.create(**_import_event(document.pk, row, actor, prepared.reasons, {}))
    return _OUTCOMES[prepared.outcome]


def _update(
    document: Document,
    sd: SourceDocument,
    data: dict[str, Any],
    problems: list[Problem],
    actor: str,
) -> Outcome:
    same = document.voucher == data and (document.skip_details or None) == _skips(sd)
    if same:
        return Outcome.UNCHANGED
    if conflicts.competes(document, sd, data):
        if conflicts.skipped(document, sd, data):
            return Outcome.UNCHANGED  # the merchant kept another one for this number
        conflicts.hold(document, sd, data, actor)
        return Outcome.FAILED
    if document.state in (State.PROCESSING, State.DONE, State.MANUAL):
        if document.voucher == data or document.pending_voucher == data:
            return Outcome.UNCHANGED
        Document.objects.filter(pk=document.pk).update(pending_voucher=data)
        Event.objects.create(
            document=document,
            actor=actor,
            action="newer_data",
            message="The source has newer data for this voucher; re-upload to send it.",
        )
        return Outcome.PENDING_REUPLOAD
    Document.objects.filter(pk=document.pk).update(
        voucher=data, skip_details=_skips(sd), updated_at=timezone.now(), **_columns(sd)
    )
    return _recheck(document, sd, problems, actor)


def _recheck(
    document: Document, sd: SourceDocument, problems: list[Problem], actor: str
) -> Outcome:
    """Move an updated document to the state its new data calls for."""
    state = document.state
    if problems:
        if state == State.FAILED:
            Document.objects.filter(pk=document.pk).update(**_validation_failure(problems))
            return Outcome.FAILED
        if state == State.SKIPPED:
            transition(document, "unskip", actor=actor)
        failure = _validation_failure(problems)
        transition(
            document,
            "fail",
            actor=actor,
            message=_codes(failure["failure_details"]),
            detail={
                "reason": FailureReason.VALIDATION.value,
                "reasons": failure["failure_details"],
            },
            **failure,
        )
        return Outcome.FAILED
    if state == State.FAILED:
        if document.failure_reason != FailureReason.VALIDATION:
            return Outcome.UPDATED  # rejected by the target: the merchant decides (reset)
        transition(document, "recheck", actor=actor, failure_reason="", failure_details=None)
        state = State.WAITING
    skips = _skips(sd)
    # a document the target already holds is finished, never skipped: the month
    # report would call a month complete that has a half-transferred voucher in it
    if skips and state == State.WAITING and not _reached_target(document):
        transition(document, "skip", actor=actor, message=_codes(skips), detail={"reasons": skips})
        return Outcome.SKIPPED
    if not skips and state == State.SKIPPED:
        transition(document, "unskip", actor=actor)
    return Outcome.UPDATED


def _reached_target(document: Document) -> bool:
    return bool(document.remote_id or (document.steps or {}).get("remote"))


class Stored(NamedTuple):
    """What became of one source document in a batch (a tuple: one a document, made
    without a frozen dataclass's ``__setattr__`` calls)."""

    number: str
    outcome: Outcome
    #: The state the document had before, None for a new one.
    previous_state: str | None


def store_batch(
    connection: Connection,
    batch: Sequence[SourceDocument | Prepared],
    actor: str = "system",
    detail: dict[str, Any] | None = None,
) -> list[Stored]:
    """Store many source documents: new ones in one bulk insert, known ones one by one.

    The rules are those of :func:`store`; this only saves round trips for the
    common cases (new, unchanged), which is what a large import or a first
    fetch consists of. A number that appears twice in the batch goes through
    :func:`store` the second time. The documents may come prepared (:func:`prepare`)
    already (an import prepares them in a second process), else they are prepared here.
    """
    if not batch:
        return []
    policy, today = connection.policy, timezone.localdate()
    ready = [item if isinstance(item, Prepared) else prepare(item, policy, today) for item in batch]
    _release_moved(connection, ready, actor)
    now = timezone.now()
    existing = {
        (kind, number): (state, voucher, pending, skip or None)
        for kind, number, state, voucher, pending, skip in _known(connection, ready)
    }
    results: list[Stored | None] = []
    fresh: list[tuple[int, Prepared]] = []
    later: list[tuple[int, Prepared, str | None]] = []
    seen: set[tuple[str, str]] = set()
    for index, p in enumerate(ready):
        key = (p.kind, p.number)
        known = existing.get(key)
        results.append(None)
        if known is None and key not in seen:
            seen.add(key)
            fresh.append((index, p))
            continue
        if known is not None:
            state, stored, pending, skip = known
            if skip == p.skip_details and p.data() in (stored, pending):
                results[index] = Stored(p.number, Outcome.UNCHANGED, state)
                continue
        later.append((index, p, known[0] if known else None))
    detail = detail or {}
    dumped = AsStored(_dumps(detail))
    try:
        with transaction.atomic():
            new = [p for _, p in fresh]
            ids = _insert_documents(connection, new, now)
            _insert_import_events(ids, new, now, actor, detail, dumped)
    except IntegrityError:
        # another process stored one of these numbers meanwhile: take the careful path
        later = [(index, p, None) for index, p in fresh] + later
        fresh = []
    for index, p in fresh:
        results[index] = Stored(p.number, _OUTCOMES[p.outcome], None)
    for index, p, previous in later:
        results[index] = Stored(p.number, store(connection, p.document(), actor), previous)
    return [r for r in results if r is not None]


def _insert_import_events(
    ids: list[int],
    batch: list[Prepared],
    now: Any,
    actor: str,
    detail: dict[str, Any],
    dumped: AsStored,
) -> None:
    """The import events of new documents (``batch``, made at ``now``; ``ids`` in its
    order): those without reasons (a waiting document's, nearly all), which differ
    in their document only, made by the database from the ids (:func:`insert_for_each`),
    one statement a state; those with reasons inserted after them, one by one.

    Built and sent row by row they cost 6 µs of this process and 10 µs of PostgreSQL's an
    invoice, made from the ids 1.5 and 8 (1,000 events 100 times in a 1M database,
    ``worker-scratch/events_micro.py``)."""
    plain: dict[str, list[int]] = {}
    rows: list[dict[str, Any]] = []
    templates: dict[str, dict[str, Any]] = {}
    for pk, p in zip(ids, batch, strict=True):
        reasons, state = p.reasons, p.state
        if reasons:
            row = {"created_at": now, "state": state}
            rows.append(_import_event(pk, row, actor, reasons, detail, dumped))
            continue
        if state not in plain:
            plain[state] = []
            row = {"created_at": now, "state": state}
            templates[state] = _import_event(pk, row, actor, reasons, detail, dumped)
        plain[state].append(pk)
    for state, pks in plain.items():
        insert_for_each(Event, "document_id", pks, templates[state])
    insert_rows(Event, rows)


def _insert_documents(connection: Connection, batch: list[Prepared], now: Any) -> list[int]:
    """New documents in one bulk insert, counted by the kept tables at once
    (:meth:`CountBatch.inserting`); their ids in the order of ``batch``."""
    wrapper = connections[DEFAULT_DB_ALIAS]
    if wrapper.vendor == "postgresql":
        return _copy_documents(wrapper, connection, batch, now)
    columns = _document_columns(connection, batch, now)

    def insert() -> list[int]:
        return insert_columns(
            Document, columns, len(batch), stored=_STORED_COLUMNS, returning_ids=True
        )

    with wrapper.cursor() as cursor:
        return CountBatch.inserting(cursor.cursor, wrapper.vendor, insert)


#: The columns of a new document (by attribute name) that :class:`Prepared` holds, but
#: the voucher, each with its attribute of :class:`Prepared`.
_PREPARED_COLUMNS = {
    "kind": "kind",
    "source_number": "number",
    "state": "state",
    "skip_details": "skip_details",
    "source_id": "source_id",
    "invoice_date": "invoice_date",
    "currency": "currency",
    "total_net": "total_net",
    "total_gross": "total_gross",
    "meta": "meta",
}
#: The columns of a new document that :class:`Prepared` holds in their stored form.
_STORED_COLUMNS = frozenset(
    {"voucher", "invoice_date", "total_net", "total_gross", "meta", "kind", "source_number"}
    | {"source_id", "currency", "state"}
)


def _document_columns(
    connection: Connection, batch: list[Prepared], now: Any
) -> dict[str, list[Any]]:
    """The columns of new documents (by attribute name), made from the prepared forms by
    column: a dict a row, and reading each value back out of it, cost 10 µs an invoice.
    The values of :data:`_STORED_COLUMNS` are in their stored form."""
    count = len(batch)
    columns: dict[str, list[Any]] = {
        "connection_id": [connection.pk] * count,
        "voucher": [p.voucher for p in batch],
        "created_at": [now] * count,
        "updated_at": [now] * count,
    }
    for name, attribute in _PREPARED_COLUMNS.items():
        value = attrgetter(attribute)
        columns[name] = [value(p) for p in batch]
    failed = [(i, p.failure) for i, p in enumerate(batch) if p.failure]
    if failed:
        for name in failed[0][1]:
            default = Document._meta.get_field(name).get_default()
            values = columns[name] = [default] * count
            for i, failure in failed:
                values[i] = failure[name]
    return columns


#: The columns of a new document's ``COPY`` row that the storing process fills in, first
#: in the row; the voucher follows them, then the columns of :func:`copy_text_of`.
_COPY_FIRST = ("id", "connection_id", "created_at", "updated_at", "voucher")


def copy_text_of(p: Prepared) -> str:
    """The ``COPY`` text (PostgreSQL's text format) of a new document's columns but
    :data:`_COPY_FIRST`, in :func:`_copy_rest`'s order: made where the document is
    prepared, in the reading process, so that the storing process only puts the id,
    the connection, the time and the voucher in front of it. Built and written value by
    value (``Copy.write_row``) they cost the storing process 8.5 µs an invoice."""
    if p.failure is None and p.skip_details is None:
        plain = _plain_copy_text(p)
        if plain is not None:
            return plain
    return _copy_text_by_column(p)


def _copy_text_by_column(p: Prepared) -> str:
    """:func:`copy_text_of` value by value: each escaped, the columns' defaults between."""
    columns = _document_columns_of(p)
    return "\t".join(
        _copy_value(columns[f.attname]) if f.attname in columns else default
        for f, default in _copy_rest()
    )


def _plain_copy_text(p: Prepared) -> str | None:
    """:func:`copy_text_of` of a document neither failed nor skipped (nearly every one),
    from a template with its columns' defaults in place; None where a value is NULL or
    holds a character to escape (then :func:`_copy_text_by_column`). 6.3 → 1.5 µs an
    invoice."""
    template, values_of = _plain_copy_layout()
    values = values_of(p)
    if None in values:
        return None
    given = "".join(values)
    if "\\" in given or "\t" in given or "\n" in given or "\r" in given:
        return None
    return template.format(*values)


@cache
def _plain_copy_layout() -> tuple[str, Callable[[Prepared], tuple[Any, ...]]]:
    """:func:`_plain_copy_text`'s template (``{}`` for each of :data:`_PREPARED_COLUMNS`
    but the skip details, which are NULL) and how to read its values from a document."""
    parts, attributes = [], []
    for f, default in _copy_rest():
        if f.attname in _PREPARED_COLUMNS and f.attname != "skip_details":
            parts.append("{}")
            attributes.append(_PREPARED_COLUMNS[f.attname])
        else:
            parts.append(default.replace("{", "{{").replace("}", "}}"))
    return "\t".join(parts), attrgetter(*attributes)


def _document_columns_of(p: Prepared) -> dict[str, Any]:
    """The columns of one new document that :class:`Prepared` sets, but the voucher (its
    failure's only where it failed)."""
    columns = {name: getattr(p, attribute) for name, attribute in _PREPARED_COLUMNS.items()}
    if p.failure:
        columns.update(p.failure)
    return columns


@cache
def _copy_rest() -> tuple[tuple[Field[Any, Any], str], ...]:
    """The document's columns after :data:`_COPY_FIRST`, in the model's order, each with
    its default's ``COPY`` text (prepared as :func:`insert_columns` prepares it)."""
    wrapper = connections[DEFAULT_DB_ALIAS]
    return tuple(
        (f, _copy_value(_preparer(f, wrapper)(f.get_default())))
        for f in _writable(Document, ())
        if f.attname not in _COPY_FIRST
    )


def _copy_value(value: Any) -> str:
    """One value in ``COPY``'s text format: NULL as ``\\N``; in text a backslash, tab,
    newline and carriage return escaped, every other character as it is."""
    if value is None:
        return "\\N"
    if type(value) is bool:
        return "t" if value else "f"
    if type(value) is int or (type(value) is Decimal and value.is_finite()):
        return str(value)
    if type(value) is not str:
        if isinstance(value, (list, dict)):
            return _copy_value(_dumps(value))
        if not isinstance(value, str):
            raise TypeError(f"no COPY text for {type(value).__name__}")
        value = str(value)  # AsStored, or a state (a text choice: its value)
    if "\\" in value:
        value = value.replace("\\", "\\\\")
    if "\t" in value or "\n" in value or "\r" in value:
        value = value.replace("\t", "\\t").replace("\n", "\\n").replace("\r", "\\r")
    return value


def _copy_documents(
    wrapper: BaseDatabaseWrapper, connection: Connection, batch: list[Prepared], now: Any
) -> list[int]:
    """New documents by ``COPY`` from their rows' text (:func:`copy_text_of`, made here
    for a document prepared without it); their ids in the order of ``batch``."""
    if not batch:
        return []
    quote = wrapper.ops.quote_name
    meta = Document._meta
    names = [*_COPY_FIRST, *(f.attname for f, _ in _copy_rest())]
    columns = ", ".join(quote(meta.get_field(name).column) for name in names)
    at = _copy_value(now.isoformat())
    head = f"{connection.pk}\t{at}\t{at}"
    with wrapper.cursor() as cursor:
        ids = _next_ids(cursor.cursor, Document, len(batch))
        text = "".join(
            f"{pk}\t{head}\t{_copy_value(p.voucher)}\t{p.copied or copy_text_of(p)}\n"
            for pk, p in zip(ids, batch, strict=True)
        )
        with cursor.cursor.copy(f"COPY {quote(meta.db_table)} ({columns}) FROM STDIN") as copy:
            copy.write(text)
    return ids


def _release_moved(connection: Connection, batch: list[Prepared], actor: str) -> None:
    """:func:`conflicts.release_all_moved` for the batch; first one look-up whether the
    connection has any number conflict at all (nearly none has: then no source document
    needs to be rebuilt, and no look-up of a thousand source ids is made)."""
    if not NumberConflict.objects.filter(connection=connection).exists():
        return
    conflicts.release_all_moved(connection, [p.document() for p in batch], actor)


def _writable(model: type[Model], names: Iterable[str]) -> list[Field[Any, Any]]:
    """``model``'s columns but its primary key, in their order; a TypeError where ``names``
    (attribute names) holds one it does not have."""
    fields = [f for f in model._meta.concrete_fields if not f.primary_key]
    unknown = set(names) - {f.attname for f in fields}
    if unknown:
        raise TypeError(f"{model.__name__} has no columns {sorted(unknown)}")
    return fields


def insert_rows(
    model: type[Model], rows: Sequence[Mapping[str, Any]], *, returning_ids: bool = False
) -> list[int]:
    """Insert new rows of ``model`` (columns by attribute name, omitted ones take their
    default) in as few statements as the database allows: ``COPY`` on PostgreSQL,
    multi-row ``INSERT … VALUES`` on SQLite. With ``returning_ids``, the new rows'
    primary keys in the order of ``rows`` (else an empty list).

    ``bulk_create`` builds the SQL of every batch in Python, value by value, and
    model instances cost their ``__init__``: together 80 % of storing a new
    invoice. This prepares each value the way Django saves it, with a shortcut
    for values that need none (:func:`_preparer`), and hands the rows to the
    driver's own cursor. One statement for many rows matters on SQLite beyond the
    round trips: inside a savepoint (an import's batch is one) FTS5 writes a new
    index segment per statement, so the number index's trigger behind an
    ``executemany`` rewrote 12 times the data stored.
    """
    if not rows:
        return []
    given = {}
    for f in _writable(model, set().union(*(row.keys() for row in rows))):
        name = f.attname
        if any(name in row for row in rows):
            default = f.get_default()  # of the rows that leave the column out
            given[name] = [row.get(name, default) for row in rows]
    return insert_columns(model, given, len(rows), returning_ids=returning_ids)


def insert_columns(
    model: type[Model],
    columns: Mapping[str, Sequence[Any]],
    count: int,
    *,
    stored: frozenset[str] = frozenset(),
    returning_ids: bool = False,
) -> list[int]:
    """:func:`insert_rows` by columns: ``count`` new rows of ``model``, each column's values
    (by attribute name) in the order of the rows, an omitted column its default in every
    row. The columns named in ``stored`` hold values in the form the database stores
    (a str or None: as :class:`AsStored`), handed to the driver as they are; the others
    are prepared (:func:`_preparer`).
    """
    if not count:
        return []
    wrapper = connections[DEFAULT_DB_ALIAS]  # the wrapper itself: the proxy costs a look-up per use
    fields = _writable(model, columns)
    prepared: list[Sequence[Any]] = []
    for f in fields:
        # the default prepared by the shortcut too: a JSON default ({} of Document.steps)
        # prepared the generic way is a wrapper that psycopg dumped again for every row
        # (12 µs an invoice on PostgreSQL); the shortcut dumps it once, to its text
        prepare, name = _preparer(f, wrapper), f.attname
        values = columns.get(name)
        if values is None:
            prepared.append([prepare(f.get_default())] * count)
        elif len(values) != count:
            raise ValueError(f"{model.__name__}.{name}: {len(values)} values for {count} rows")
        else:
            prepared.append(values if name in stored else [prepare(v) for v in values])
    quote = wrapper.ops.quote_name
    table = quote(model._meta.db_table)
    names = [quote(f.column) for f in fields]
    with wrapper.cursor() as cursor:
        if wrapper.vendor == "postgresql":
            ids = _next_ids(cursor.cursor, model, count) if returning_ids else []
            if ids:
                prepared, names = [ids, *prepared], [quote(model._meta.pk.column), *names]
            with cursor.cursor.copy(f"COPY {table} ({', '.join(names)}) FROM STDIN") as copy:
                for row in zip(*prepared, strict=True):
                    copy.write_row(row)
            return ids
        return _insert_values(wrapper, cursor.cursor, model, names, prepared, returning_ids)


def insert_for_each(
    model: type[Model], column: str, values: Sequence[int], row: Mapping[str, Any]
) -> None:
    """Insert one row of ``model`` for each of ``values`` (integers) in ``column`` (an
    attribute name), its other columns as in ``row`` (omitted ones take their default),
    in one ``INSERT … SELECT`` over the values: the database makes the rows, nothing is
    built or sent a row. The rows are inserted in the order of ``values``.

    PostgreSQL is given the values as one array and each constant cast to its column's
    type (a bare literal in a ``SELECT`` is text, which a jsonb column refuses); SQLite as
    one JSON array (``json_each``), its constants bare (a cast would give a text date
    NUMERIC affinity and cut it to its year).
    """
    if not values:
        return
    wrapper = connections[DEFAULT_DB_ALIAS]
    fields = _writable(model, {column, *row.keys()})
    postgres = wrapper.vendor == "postgresql"
    quote = wrapper.ops.quote_name
    selected, params = [], []
    for f in fields:
        if f.attname == column:
            selected.append("value")
            continue
        prepare = _preparer(f, wrapper)
        params.append(prepare(row[f.attname] if f.attname in row else f.get_default()))
        selected.append(f"CAST(%s AS {f.db_type(wrapper)})" if postgres else "%s")
    if postgres:
        source, params = "unnest(%s::bigint[]) AS value", [*params, list(values)]
    else:
        source, params = "json_each(%s)", [*params, _dumps(list(values))]
    names = ", ".join(quote(f.column) for f in fields)
    with wrapper.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {quote(model._meta.db_table)} ({names}) "  # noqa: S608 (names from the model)
            f"SELECT {', '.join(selected)} FROM {source}",
            params,
        )


def _next_ids(cursor: Any, model: type[Model], count: int) -> list[int]:
    """``count`` primary keys for new rows of ``model``, drawn from its sequence (PostgreSQL:
    ``COPY`` returns nothing, so the rows are given their keys)."""
    cursor.execute(
        "SELECT nextval(pg_get_serial_sequence(%s, %s)) FROM generate_series(1, %s)",
        [model._meta.db_table, model._meta.pk.column, count],
    )
    return [int(row[0]) for row in cursor.fetchall()]


def _insert_values(
    wrapper: BaseDatabaseWrapper,
    cursor: Any,
    model: type[Model],
    names: list[str],
    columns: Sequence[Sequence[Any]],
    returning_ids: bool,
) -> list[int]:
    """SQLite: multi-row ``INSERT … VALUES`` statements, as long as the parameter limit allows.

    The keys come back by ``RETURNING`` (SQLite 3.35) in no promised order; a table's
    new keys grow in the order its rows are inserted, so sorted they are the rows'.
    """
    if returning_ids and not wrapper.features.can_return_rows_from_bulk_insert:
        raise NotSupportedError("reading the new keys back needs SQLite 3.35 or later")
    table = wrapper.ops.quote_name(model._meta.db_table)
    returning = f" RETURNING {wrapper.ops.quote_name(model._meta.pk.column)}"
    marks = "(" + ", ".join(["?"] * len(names)) + ")"
    per_statement = max(1, _max_parameters(wrapper) // len(names))
    values = list(zip(*columns, strict=True))
    ids: list[int] = []
    for start in range(0, len(values), per_statement):
        chunk = values[start : start + per_statement]
        cursor.execute(
            f"INSERT INTO {table} ({', '.join(names)}) VALUES "  # noqa: S608 (names from the model)
            f"{', '.join([marks] * len(chunk))}{returning if returning_ids else ''}",
            [value for row in chunk for value in row],
        )
        if returning_ids:
            ids += sorted(row[0] for row in cursor.fetchall())
    return ids


def _max_parameters(wrapper: BaseDatabaseWrapper) -> int:
    """How many parameters one statement may have (SQLite's compiled-in limit)."""
    wrapper.ensure_connection()
    limit = getattr(wrapper.connection, "getlimit", None)
    if limit is None:
        return wrapper.features.max_query_params or 999
    return int(limit(sqlite3.SQLITE_LIMIT_VARIABLE_NUMBER))


#: Fields whose prepared value is the value itself when it is of this exact type.
_AS_IS = {
    "CharField": str,
    "TextField": str,
    "URLField": str,
    "BooleanField": bool,
    "IntegerField": int,
    "PositiveIntegerField": int,
    "BigIntegerField": int,
    "ForeignKey": int,
}


def _preparer(f: Field[Any, Any], wrapper: BaseDatabaseWrapper) -> Callable[[Any], Any]:
    """How to prepare one field's values for the driver, as ``Field.get_db_prep_save`` does.

    A str for a CharField or an int for a key is what Django would send as it is, so
    it is passed through (the generic path costs 20 µs a value); a finite Decimal
    too (``DecimalField`` only checks it), a date goes to the backend's adapter, a value
    :class:`AsStored` of a decimal, date or JSON field is passed through, and
    a JSON value is dumped as Django dumps it (``ops.adapt_json_value``: ``json.dumps``
    with the field's encoder; on PostgreSQL the same text, which ``COPY`` reads as
    jsonb) when it is a dict or a list. Any other value takes the generic path. Every
    other field takes it too, once per distinct object in a row (the batch's rows share
    one timestamp).
    """
    kind = f.get_internal_type()
    as_is = _AS_IS.get(kind)
    generic = partial(f.get_db_prep_save, connection=wrapper)
    if as_is is not None:
        return lambda value: value if type(value) is as_is else generic(value)
    if kind == "DecimalField":
        return lambda value: (
            value
            if type(value) is AsStored or (type(value) is Decimal and value.is_finite())
            else generic(value)
        )
    if kind == "DateField":
        adapt = wrapper.ops.adapt_datefield_value
        return lambda value: (
            value
            if type(value) is AsStored
            else adapt(value)
            if type(value) is dt.date
            else generic(value)
        )
    if kind == "JSONField":
        dumps = partial(json.dumps, cls=f.encoder)  # type: ignore[attr-defined]
        # None is SQL NULL, as JSONField.get_db_prep_save has it (a waiting document's
        # skip details: the generic path cost a call chain a row)
        return lambda value: (
            value
            if value is None or type(value) is AsStored
            else dumps(value)
            if type(value) is dict or type(value) is list
            else generic(value)
        )
    last: list[Any] = [_UNSET, None]

    def prepare(value: Any) -> Any:
        if value is not last[0]:
            last[0], last[1] = value, generic(value)
        return last[1]

    return prepare


_UNSET = object()


def _known(
    connection: Connection, batch: Sequence[Prepared]
) -> list[tuple[str, str, str, Any, Any, Any]]:
    """The batch's documents already stored: kind, number, state, voucher, pending voucher
    and skip details of each (:func:`_known_sql`)."""
    if not batch:
        return []
    wrapper = connections[DEFAULT_DB_ALIAS]
    sql, params = _known_sql(connection, batch)
    with wrapper.cursor() as cursor:
        cursor.execute(sql, params)
        rows = cursor.fetchall()
    fields = [Document._meta.get_field(name) for name in _KNOWN]
    converters = [(i, f.from_db_value) for i, f in enumerate(fields) if hasattr(f, "from_db_value")]
    known = []
    for row in rows:
        values = list(row)
        for i, convert in converters:
            values[i] = convert(values[i], None, wrapper)
        known.append(tuple(values))
    return known  # type: ignore[return-value]


_KNOWN = ("kind", "source_number", "state", "voucher", "pending_voucher", "skip_details")


def _known_sql(connection: Connection, batch: Sequence[Prepared]) -> tuple[str, list[Any]]:
    """The look-up of the batch's stored documents.

    Filtered on all three columns of ``document_number_unique``, so both databases
    look each number up in that index; without the kind SQLite walks the
    connection's whole part of it and PostgreSQL scans the table, and an import
    grows with the square of its size. Written as SQL: the ORM's ``__in`` prepares
    each of the thousand numbers on its own (5 µs an invoice), and a new batch finds
    nothing to convert.

    On PostgreSQL the keys are two arrays (a thousand placeholders cost psycopg 1.3 to
    2 ms a batch more to parse and fill in), and each is looked up on its own by a
    ``LATERAL`` subquery with ``LIMIT 1``, which the planner cannot merge into a join:
    an equality on every column of the unique index, which it takes whatever its
    statistics say. A filter on all the numbers at once (``= ANY``) was planned on the
    statistics: taken before the table grew, they had it walk the connection's part
    of the index for every batch, unless the table was analysed at each doubling.
    """
    wrapper = connections[DEFAULT_DB_ALIAS]
    meta, quote = Document._meta, wrapper.ops.quote_name
    column = {name: quote(meta.get_field(name).column) for name in (*_KNOWN, "connection")}
    selected = ", ".join(column[name] for name in _KNOWN)
    if wrapper.vendor == "postgresql":
        keys = sorted({(p.kind, p.number) for p in batch})
        sql = (
            "SELECT stored.* FROM unnest(%s::text[], %s::text[]) AS wanted(kind, number) "  # noqa: S608 (names from the model)
            f"CROSS JOIN LATERAL (SELECT {selected} FROM {quote(meta.db_table)} "
            f"WHERE {column['connection']} = %s AND {column['kind']} = wanted.kind "
            f"AND {column['source_number']} = wanted.number LIMIT 1) AS stored"
        )
        return sql, [[kind for kind, _ in keys], [number for _, number in keys], connection.pk]
    kinds, numbers = sorted({p.kind for p in batch}), sorted({p.number for p in batch})
    select = f"SELECT {selected} FROM {quote(meta.db_table)} WHERE {column['connection']} = %s AND "  # noqa: S608 (names from the model)
    sql = (
        f"{select}{column['kind']} IN ({', '.join(['%s'] * len(kinds))}) AND "
        f"{column['source_number']} IN ({', '.join(['%s'] * len(numbers))})"
    )
    return sql, [connection.pk, *kinds, *numbers]


def store_all(
    connection: Connection, documents: list[SourceDocument], actor: str = "system"
) -> IngestReport:
    report = IngestReport()
    for stored in store_batch(connection, documents, actor):
        setattr(report, stored.outcome, getattr(report, stored.outcome) + 1)
        if stored.outcome == Outcome.FAILED:
            report.numbers_failed.append(stored.number)
    return report
