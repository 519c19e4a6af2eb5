"""Which limiter paces a connection's requests.

An adapter class names its remote system's limit as ``rate`` (a
:class:`~belegsync.connectors.ratelimit.Rate`). For now each process keeps its
own token bucket per remote system; the shared bucket (database row or Redis)
that keeps many workers under one account's limit together comes with the
[sync] issue and plugs in here.
"""

from __future__ import annotations

from functools import cache

from belegsync.connectors import registry
from belegsync.connectors.ratelimit import Limiter, NoLimit, Rate, TokenBucket
from belegsync.documents.models import Connection


@cache
def _bucket(kind: str, rate: Rate) -> TokenBucket:
    return TokenBucket(rate)


def limiter_for(connection: Connection, side: str) -> Limiter:
    if side == "source":
        kind, cls = connection.source_kind, registry.source_class(connection.source_kind)
    else:
        kind, cls = connection.target_kind, registry.target_class(connection.target_kind)
    rate: Rate | None = getattr(cls, "rate", None)
    return _bucket(kind, rate) if rate else NoLimit()
