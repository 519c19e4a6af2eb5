"""The one way a list page pages: newest first by id, keyset links, a total.

A page is the ``size`` rows with ids below the keyset ``after`` (one row more is read to
know whether a next page exists). Its number travels in the link (``p``) beside the
keyset, so "51–100 of 1.234" costs no count of the rows before it; the total is one
COUNT bounded by the list's filters; "previous" reads at most ``size`` ids upwards.
The document list, the export overview and the export history page with it, and
``web/_pager.html`` draws first / previous / next.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django.db.models import Model, QuerySet
from django.http import HttpRequest

#: The query parameters a pager link sets.
PARAMETERS = ("after", "p")


@dataclass(frozen=True)
class Pages:
    """Where this page is in the list: its rows' numbers, the total, its neighbours."""

    total: int
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


def previous_after(rows: QuerySet[Any], first_id: int, size: int) -> int | None:
    """The keyset of the page before the one that starts at ``first_id``; None for page 1."""
    newer = list(rows.filter(id__gt=first_id).order_by("id").values_list("id", flat=True)[:size])
    if len(newer) < size:
        return None
    return newer[-1] + 1


def page(
    request: HttpRequest,
    rows: QuerySet[Any],
    size: int,
    *,
    shown: Callable[[QuerySet[Any]], QuerySet[Any]] = lambda rows: rows,
    total: Callable[[], int] | None = None,
) -> tuple[list[Model], Pages]:
    """The request's page of ``rows`` (already filtered), newest first, and its place.

    ``shown`` adds what only the shown rows need (``select_related``, ``defer``);
    ``total`` answers "of N" where a list knows it cheaper than ``rows.count()``.
    """
    after = _int(request.GET.get("after", ""))
    chosen = rows.filter(id__lt=after) if after is not None else rows
    found = list(shown(chosen).order_by("-id")[: size + 1])
    next_after = found[size - 1].pk if len(found) > size else None
    found = found[:size]
    number = max(1, _int(request.GET.get("p", "")) or 1) if after is not None else 1
    first = (number - 1) * size + 1 if found else 0
    previous = None
    if found and number > 2:
        previous = previous_after(rows, found[0].pk, size)
    query = request.GET.copy()
    for name in PARAMETERS:
        query.pop(name, None)
    return found, Pages(
        total=total() if total is not None else rows.count(),
        first=first,
        last=first + len(found) - 1 if found else 0,
        number=number,
        previous_after=previous,
        next_after=next_after,
        base_query=query.urlencode(),
        size=size,
    )
