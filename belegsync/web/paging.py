"""The one way a list page pages: newest first by id, keyset links, a total.

A page is the ``size`` rows with ids below the keyset ``after`` (one row more is read to
know whether a next page exists). Its number travels in the link (``p``) beside the
keyset, so "51–100 of 1.234" costs no count of the rows before it; the total is one
COUNT bounded by the list's filters, or what the list knows cheaper (the document list:
kept counts, or "more than 1.000" for a search); "previous" reads at most ``size`` ids
upwards. A list that finds its ids on an index of its own (``ids``, the document list's
``listing.ids``) reads only the page's rows.
The document list, the export overview and the export history page with it, and
``web/_pager.html`` draws first / previous / next.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Protocol

from django.db.models import Model, QuerySet
from django.http import HttpRequest

from belegsync.documents import listing

#: The query parameters a pager link sets.
PARAMETERS = ("after", "p")


@dataclass(frozen=True)
class Pages:
    """Where this page is in the list: its rows' numbers, the total, its neighbours."""

    total: int
    #: ``total`` is a lower bound: the list has more (a search counted up to a bound).
    bounded: bool
    first: int
    last: int
    number: int
    previous_after: int | None
    next_after: int | None
    #: The request's query without the pager's parameters (filters stay).
    base_query: str
    size: int

    @property
    def has_previous(self) -> bool:
        return self.number > 1

    @property
    def several(self) -> bool:
        return self.total > self.size


def _int(value: str) -> int | None:
    return int(value) if value.isdigit() else None


class Ids(Protocol):
    """At most ``n`` ids of a list: newest first below ``after``, or oldest first above
    ``above``."""

    def __call__(
        self, n: int, *, after: int | None = None, above: int | None = None
    ) -> list[int]: ...


def previous_after(ids: Ids, first_id: int, size: int) -> int | None:
    """The keyset of the page before the one that starts at ``first_id``; None for page 1."""
    newer = ids(size, above=first_id)
    if len(newer) < size:
        return None
    return newer[-1] + 1


def page(
    request: HttpRequest,
    rows: QuerySet[Any],
    size: int,
    *,
    shown: Callable[[QuerySet[Any]], QuerySet[Any]] = lambda rows: rows,
    total: Callable[[], int | listing.Total] | None = None,
    ids: Ids | None = None,
) -> tuple[list[Model], Pages]:
    """The request's page of ``rows`` (already filtered), newest first, and its place.

    ``shown`` adds what only the shown rows need (``select_related``, ``defer``);
    ``total`` answers "of N" where a list knows it cheaper than ``rows.count()``;
    ``ids`` finds the page's ids where a list knows a better plan than ``rows``' own
    (then only the page's rows are read, by id).
    """
    after = _int(request.GET.get("after", ""))
    if ids is None:
        chosen = rows.filter(id__lt=after) if after is not None else rows
        found = list(shown(chosen).order_by("-id")[: size + 1])
        next_after = found[size - 1].pk if len(found) > size else None
        found = found[:size]
        ids = functools.partial(listing.keyset_ids, rows)
    else:
        keys = ids(size + 1, after=after)
        next_after = keys[size - 1] if len(keys) > size else None
        chosen = rows.model._default_manager.filter(id__in=keys[:size])
        found = list(shown(chosen).order_by("-id"))
    number = max(1, _int(request.GET.get("p", "")) or 1) if after is not None else 1
    first = (number - 1) * size + 1 if found else 0
    previous = None
    if found and number > 2:
        previous = previous_after(ids, found[0].pk, size)
    query = request.GET.copy()
    for name in PARAMETERS:
        query.pop(name, None)
    counted = total() if total is not None else rows.count()
    if not isinstance(counted, listing.Total):
        counted = listing.Total(counted)
    return found, Pages(
        total=counted.n,
        bounded=counted.bounded,
        first=first,
        last=first + len(found) - 1 if found else 0,
        number=number,
        previous_after=previous,
        next_after=next_after,
        base_query=query.urlencode(),
        size=size,
    )
