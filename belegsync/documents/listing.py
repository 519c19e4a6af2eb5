"""The document lists' filters and keyset pages: one query for the web lists, the API and
the CLI.

A page is found in two steps: the ids of its rows, newest first below a keyset (the last
id shown), read from an index alone where one holds the filters' columns
(:func:`ids`); then those rows. No OFFSET and no COUNT over the whole list: a list's
total comes from the kept counts where only the connection, the state and the invoice
dates narrow it, else from a count that stops at :data:`TOTAL_BOUND` (:func:`total`).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from django.core.exceptions import EmptyResultSet
from django.db import connection as db
from django.db.models import F, QuerySet, Sum
from django.db.models.expressions import RawSQL

from .models import Document, DocumentCount, DocumentDayCount

#: Columns a list row never shows: left unread, they keep a page of 50 small. The
#: row's connection is read with it (its name), but not its credentials: decrypting
#: them once per row was a tenth of a list page's time.
HEAVY_COLUMNS = (
    "voucher",
    "pending_voucher",
    "meta",
    "steps",
    "raw_error",
    "connection__credentials",
    "connection__settings",
)

#: What a row of the web list shows (number, kind, date, connection, gross, state, the
#: reasons of a failed or skipped one), and no more: each column read is a value to
#: convert per row (on PostgreSQL a timestamp is parsed in Python), a list of 50 rows
#: read a document's every column but the heavy ones.
ROW_COLUMNS = (
    "connection",
    "source_number",
    "kind",
    "invoice_date",
    "currency",
    "total_gross",
    "state",
    "failure_reason",
    "failure_details",
    "skip_details",
)

#: A search's total is counted up to this many documents; above, the list says "more
#: than 1,000". Counting every match of a common part ("RE-") read every document
#: (1.5 s at 1,000,000); no merchant pages through a thousand search results.
TOTAL_BOUND = 1000
#: How many matches PostgreSQL's search reads unordered before it walks the id order
#: (``listing._probe``), at least :data:`TOTAL_BOUND` (the total is counted from them):
#: five times it, so that a part of a number found a few thousand times (1,369 times
#: "0050" at 1,000,000 documents) is still sorted from the trigram index, while a
#: common part ("RE-") scans no more than 5,001 matches before its id walk (10,001:
#: 12-17 ms of the scan alone).
PROBE_BOUND = 5 * TOTAL_BOUND


@dataclass(frozen=True)
class Filters:
    """What a list asks for; empty values filter nothing."""

    state: str = ""
    number: str = ""
    date_from: dt.date | None = None
    date_to: dt.date | None = None
    connection_id: int | None = None

    @property
    def dated(self) -> bool:
        return self.date_from is not None or self.date_to is not None


@dataclass(frozen=True)
class Total:
    """How many documents a list has; ``bounded``: at least ``n`` (a search counted up to
    :data:`TOTAL_BOUND` and found more)."""

    n: int
    bounded: bool = False


def filtered(
    documents: QuerySet[Document], connection_ids: Iterable[int], filters: Filters
) -> QuerySet[Document]:
    """``documents`` of the caller's ``connection_ids`` narrowed by ``filters``: what a
    list means. :func:`ids` and :func:`total` find its pages and size on indexes.

    The connection ids go in as literals, not only as the join through the
    organisation: then SQLite walks the (connection, state, -id) index in order
    instead of sorting every row of the state in a temporary B-tree (96 ms → 2 ms
    at 100k documents).
    """
    if filters.state:
        documents = documents.filter(state=filters.state)
    if filters.number:
        # PostgreSQL answers this from the trigram index on the upper-cased number
        # (migration 0007); SQLite's FTS5 table is walked by ids() instead
        documents = documents.filter(source_number__icontains=filters.number)
    if filters.date_from:
        documents = documents.filter(invoice_date__gte=filters.date_from)
    if filters.date_to:
        documents = documents.filter(invoice_date__lte=filters.date_to)
    if filters.connection_id is not None:
        return documents.filter(connection_id=filters.connection_id)
    return documents.filter(connection_id__in=list(connection_ids))


#: The SQLite FTS5 table of numbers (migration ``0007_number_search``).
NUMBER_SEARCH = "document_number_search"
#: FTS5's trigram index answers patterns of at least three characters.
TRIGRAM = 3


def ids(
    documents: QuerySet[Document],
    filters: Filters,
    n: int,
    *,
    after: int | None = None,
    above: int | None = None,
) -> list[int]:
    """At most ``n`` ids of ``documents`` (:func:`filtered` by ``filters``): newest first
    below the keyset ``after``, or, with ``above``, oldest first above it (the page
    before).

    Only ids are read, so an index that holds the filters' columns answers alone: the
    (connection, state, invoice date) index a month of one state, sorting its ids
    instead of every row (160 ms → a few at 1,000,000 documents on SQLite). A number on
    SQLite walks the FTS5 table's matches in the list's order and stops at ``n``.
    """
    if _walks_numbers(filters):
        return _number_walk(documents, filters.number, n, after=after, above=above)
    if _probes_numbers(filters):
        matches = _probe(documents, n, after=after, above=above)
        if matches is not None:
            return matches
        # more than the probe's bound below the keyset: at least that share of the
        # table matches, so the id order finds a page soon (see _probe for when not)
    # With a date filter, SQLite (which plans without statistics) would rather walk the
    # (connection, state, -id) index from the keyset and read every row for its date, as
    # many as lie between the month's documents in id order; spelt ``id + 0`` the keyset
    # is no index range, and the date index answers, at a cost bounded by the month.
    opaque = filters.dated and db.vendor == "sqlite"
    return keyset_ids(documents, n, after=after, above=above, opaque_keyset=opaque)


def keyset_ids(
    rows: QuerySet[Any],
    n: int,
    *,
    after: int | None = None,
    above: int | None = None,
    opaque_keyset: bool = False,
) -> list[int]:
    """At most ``n`` ids of ``rows``: newest first below ``after``, or oldest first above
    ``above``. ``opaque_keyset``: compare ``id + 0``, which no index range answers (so the
    planner picks the filters' index)."""
    key = "keyset" if opaque_keyset else "id"
    if opaque_keyset:
        rows = rows.alias(keyset=F("id") + 0)
    if above is not None:
        chosen = rows.filter(**{f"{key}__gt": above}).order_by("id")
    else:
        chosen = rows.order_by("-id")
        if after is not None:
            chosen = chosen.filter(**{f"{key}__lt": after})
    return list(chosen.values_list("id", flat=True)[:n])


def _probes_numbers(filters: Filters) -> bool:
    return bool(filters.number) and db.vendor == "postgresql"


def _probe(
    documents: QuerySet[Document],
    n: int,
    *,
    after: int | None = None,
    above: int | None = None,
) -> list[int] | None:
    """At most ``n`` ids of ``documents`` newest first below the keyset ``after`` (oldest
    first above ``above``), where it has at most :data:`PROBE_BOUND` of them; None
    where it has more.

    PostgreSQL's ``ORDER BY id DESC LIMIT n`` over a search lets the planner guess
    from the statistics' sample how soon the primary key's walk meets ``n`` matches:
    with a sample that holds one "0050" of 100 it expects 10,101 matches spread
    evenly and walks the ids, while the real 1,369 sit among the oldest (948,743 rows
    filtered away, 1,988 ms; with the other sample the trigram index and a sort,
    37-55 ms). The subquery behind ``OFFSET 0`` has no order for the planner to bet
    on: it reads the matches from the trigram index (few) or scans the table until the
    bound (common, as "RE-"), and stops there; only those are sorted. Its cost is the
    matches up to the bound, whatever the estimate; what it leaves to the id walk are
    searches with more matches than the bound, at least 0.5 % of the table at 1,000,000
    documents. Their worst case: all of them far below the keyset (an old year's
    prefix), where the walk reads every row between (see bench/README.md).
    """
    if after is not None:
        documents = documents.filter(id__lt=after)
    if above is not None:
        documents = documents.filter(id__gt=above)
    compiled = _sql(documents.order_by().values("id"))
    if compiled is None:
        return []
    inner, params = compiled
    order = "ASC" if above is not None else "DESC"
    # the fence (OFFSET 0) keeps the LIMIT from becoming a bet on the id order; a CTE
    # would fence too, but is costed for every match (and so JIT-compiled). The count
    # is of the bounded matches, before the sort keeps n of them: 10,001 ids of a common
    # part are not sent to Python (that took 15-25 ms).
    sql = (
        "SELECT id, count(*) OVER () FROM "  # noqa: S608 (parameters only)
        f"(SELECT id FROM ({inner} OFFSET 0) AS matches LIMIT %s) AS probed "
        f"ORDER BY id {order} LIMIT %s"
    )
    with db.cursor() as cursor:
        cursor.execute(sql, [*params, PROBE_BOUND + 1, n])
        found = cursor.fetchall()
    if found and found[0][1] > PROBE_BOUND:
        return None
    return [row[0] for row in found]


def _sql(query: QuerySet[Any]) -> tuple[str, tuple[Any, ...]] | None:
    """``query`` as SQL and its parameters, to be used inside a statement of this module;
    None where it can match nothing: Django then compiles no SQL (it raises
    ``EmptyResultSet``), e.g. for the documents of an organisation without a connection
    (``connection_id IN ()``), which a search must answer with an empty page."""
    try:
        return query.query.sql_with_params()
    except EmptyResultSet:
        return None


def _walks_numbers(filters: Filters) -> bool:
    return (
        bool(filters.number)
        and db.vendor == "sqlite"
        and len(filters.number) >= TRIGRAM
        and _has_number_search()
    )


def _number_walk(
    documents: QuerySet[Document],
    text: str,
    n: int,
    *,
    after: int | None = None,
    above: int | None = None,
) -> list[int]:
    """The ids of ``documents`` among the FTS5 table's matches of ``text``, in id order.

    The FTS5 table is the outer loop, read in rowid order (it streams its matches in
    that order), and each match is looked up by its id in ``documents``, so the walk
    stops at the ``n``-th: a common part ("RE-") costs ``n`` look-ups, not its million
    matches (the ``id IN (matches)`` of before read them all: 1.2 s). FTS's LIKE knows no
    escape and folds more than ASCII case, so it finds more than ``icontains``: the
    documents' own ``icontains`` in ``documents`` keeps the meaning exact.
    """
    rowid = f'"{NUMBER_SEARCH}"."rowid"'
    one = documents.filter(id=RawSQL(rowid, ())).order_by().values("id")  # noqa: S611
    compiled = _sql(one)
    if compiled is None:
        return []
    inner, inner_params = compiled
    where = ["source_number LIKE %s"]
    params: list[object] = [f"%{text}%"]
    if after is not None:
        where.append("rowid < %s")
        params.append(after)
    if above is not None:
        where.append("rowid > %s")
        params.append(above)
    order = "ASC" if above is not None else "DESC"
    # constant table and column names; the text and the keysets go in as parameters
    sql = (
        f"SELECT rowid FROM {NUMBER_SEARCH} WHERE {' AND '.join(where)} "  # noqa: S608
        f"AND EXISTS ({inner}) ORDER BY rowid {order} LIMIT %s"
    )
    with db.cursor() as cursor:
        cursor.execute(sql, [*params, *inner_params, n])
        return [row[0] for row in cursor.fetchall()]


def total(documents: QuerySet[Document], connection_ids: Iterable[int], filters: Filters) -> Total:
    """How many documents :func:`filtered` gives for ``filters``.

    Narrowed by state, connection and invoice dates only (every list as it opens, a
    month), the kept counts answer (:func:`kept_total`) instead of a COUNT over every
    matching document (81 ms for a month at 1,000,000). A number: a count bounded by
    :data:`TOTAL_BOUND`.
    """
    if filters.number:
        if _walks_numbers(filters):
            return _bounded(_number_walk(documents, filters.number, TOTAL_BOUND + 1))
        if _probes_numbers(filters):
            matches = _probe(documents, TOTAL_BOUND + 1)
            return _bounded(TOTAL_BOUND + 1 if matches is None else matches)
        return _bounded(documents.order_by()[: TOTAL_BOUND + 1].count())
    wanted = [filters.connection_id] if filters.connection_id is not None else list(connection_ids)
    return Total(kept_total(wanted, filters.state, filters.date_from, filters.date_to))


def kept_total(
    connection_ids: Iterable[int],
    state: str = "",
    date_from: dt.date | None = None,
    date_to: dt.date | None = None,
) -> int:
    """How many documents of ``connection_ids`` are in ``state`` (any: "") with an invoice
    date from ``date_from`` to ``date_to``, from the counts the database keeps: a few rows
    per connection (``DocumentCount``), or per connection and day with a date
    (``DocumentDayCount``, which leaves out documents without an invoice date, as a date
    filter does)."""
    if date_from is not None or date_to is not None:
        counts = DocumentDayCount.objects.filter(connection_id__in=connection_ids)
        if date_from is not None:
            counts = counts.filter(day__gte=date_from)
        if date_to is not None:
            counts = counts.filter(day__lte=date_to)
    else:
        counts = DocumentCount.objects.filter(connection_id__in=connection_ids)
    if state:
        counts = counts.filter(state=state)
    return int(counts.aggregate(n=Sum("n"))["n"] or 0)


def _bounded(found: int | list[int]) -> Total:
    n = found if isinstance(found, int) else len(found)
    return Total(TOTAL_BOUND, bounded=True) if n > TOTAL_BOUND else Total(n)


class Found:
    """One list for a page: its ids and its total, a search's matches found once.

    The first page of a search reads up to :data:`TOTAL_BOUND` + 1 ids and takes the
    page and the total from them (on PostgreSQL from the probe's matches, or, where it
    found more than its bound, the page alone from the id walk): two queries read the
    common trigrams twice (at 1,000,000 documents SQLite's FTS5 table 34 + 42 ms for a
    part of a number in one state, PostgreSQL's trigram index 19 + 16 ms for
    ``RE-00500``); 1,001 ids of a common part cost about 3 ms.
    """

    def __init__(
        self, documents: QuerySet[Document], connection_ids: Iterable[int], filters: Filters
    ) -> None:
        self.documents = documents
        self.connection_ids = list(connection_ids)
        self.filters = filters
        self._first: list[int] | None = None
        #: PostgreSQL's probe found more matches than its bound (so more than the total's)
        self._more = False

    def ids(self, n: int, *, after: int | None = None, above: int | None = None) -> list[int]:
        if after is None and above is None and n <= TOTAL_BOUND + 1 and self.filters.number:
            if self._first is None and not self._more:
                self._first = self._first_ids()
                self._more = self._first is None
            if self._first is not None:
                return self._first[:n]
            # a common part: the page alone from the id walk (ids() would probe again)
            return keyset_ids(self.documents, n)
        return ids(self.documents, self.filters, n, after=after, above=above)

    def _first_ids(self) -> list[int] | None:
        """Up to :data:`TOTAL_BOUND` + 1 ids newest first; None where PostgreSQL's probe
        found more than its bound, and the total is known without them."""
        if not _probes_numbers(self.filters):
            return ids(self.documents, self.filters, TOTAL_BOUND + 1)
        return _probe(self.documents, TOTAL_BOUND + 1)

    def total(self) -> Total:
        if self._more:
            return Total(TOTAL_BOUND, bounded=True)
        if self._first is not None:
            return _bounded(self._first)
        return total(self.documents, self.connection_ids, self.filters)


def _has_number_search() -> bool:
    """Whether this SQLite has the FTS5 table; once seen, not asked again (a query
    of the schema on every search otherwise)."""
    key = db.settings_dict["NAME"]
    if key not in _SEARCH_SEEN and NUMBER_SEARCH in db.introspection.table_names(
        include_views=False
    ):
        _SEARCH_SEEN.add(key)
    return key in _SEARCH_SEEN


#: The SQLite databases (by file) known to have the number search table.
_SEARCH_SEEN: set[str] = set()


def rows(found: list[int]) -> list[Document]:
    """The documents of ``found`` (ids from :func:`ids`) for a list, newest first."""
    return list(
        Document.objects.filter(id__in=found)
        .select_related("connection")
        .defer(*HEAVY_COLUMNS)
        .order_by("-id")
    )


def page(
    documents: QuerySet[Document], filters: Filters, after: int | None, size: int
) -> tuple[list[Document], int | None]:
    """One page by id descending after the keyset ``after``, and the next page's keyset.

    Reads one id more than it shows to know whether a next page exists.
    """
    found = ids(documents, filters, size + 1, after=after)
    shown = rows(found[:size])
    return shown, (found[size - 1] if len(found) > size else None)
