"""What the API's lists and lookups share: keyset pages, and another organisation's 404."""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterator
from typing import Any, TypeVar

from django.db.models import Model, QuerySet

from belegsync.services.actor import NotAllowed, RoleForbids

from . import problems

Row = TypeVar("Row", bound=Model)


def cursor_page(
    rows: QuerySet[Row], after: int | None, limit: int, out: Callable[[Row], dict[str, Any]]
) -> dict[str, Any]:
    """The rows after the keyset ``after``, newest (highest id) first, and the next keyset.

    Reads one row more than it shows to know whether a next page exists.
    """
    if after is not None:
        rows = rows.filter(id__lt=after)
    found = list(rows.order_by("-id")[: limit + 1])
    next_after = found[limit - 1].pk if len(found) > limit else None
    return {"items": [out(row) for row in found[:limit]], "next_after": next_after}


@contextlib.contextmanager
def not_found_unless_own(detail: str) -> Iterator[None]:
    """A service's ``NotAllowed`` (not the organisation's, or no such object) as 404 with
    ``detail``; a role's refusal (``RoleForbids``) of the organisation's own object stays 403."""
    try:
        yield
    except RoleForbids:
        raise
    except NotAllowed:
        raise problems.not_found(detail) from None
