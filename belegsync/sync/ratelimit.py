"""Which limiter paces a connection's requests, shared by every worker.

An adapter class names its remote system's limit as ``rate`` (a
:class:`~belegsync.connectors.ratelimit.Rate`); a connection may override it
with the setting ``target_rate_per_second`` / ``source_rate_per_second`` (an
account with another limit, a local fake). The bucket for one remote account
lives where all workers see it (``BELEGSYNC_SHARED_LIMITER``):

- ``database`` (default): a :class:`~belegsync.sync.models.RateBucket` row,
  read and written under a row lock (``SELECT … FOR UPDATE`` on PostgreSQL, the
  write lock of SQLite's IMMEDIATE transactions);
- ``redis``: a hash updated by one Lua script, timed by Redis's own clock;
- ``process``: each process its own in-memory bucket (one worker only).

A worker takes a token, possibly borrowed from the future, and sleeps until it
is due outside any lock, so N workers on one account send at the account's
rate together, in the order they asked.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from functools import cache
from typing import Any

from django.conf import settings
from django.db import transaction

from belegsync.connectors import registry
from belegsync.connectors.ratelimit import Limiter, NoLimit, Rate, TokenBucket
from belegsync.documents.models import Connection

from .models import RateBucket


class DatabaseBucket:
    """A token bucket per key in a database row that every worker shares."""

    def __init__(
        self,
        rate: Rate,
        prefix: str,
        clock: Callable[[], float] = time.time,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self.rate = rate
        self.prefix = prefix
        self._clock = clock
        self._sleep = sleep

    def reserve(self, key: str) -> float:
        """Take a token; return how long to wait before sending."""
        name = f"{self.prefix}:{key}"
        burst, per_second = float(self.rate.burst), self.rate.per_second
        with transaction.atomic():
            row = RateBucket.objects.select_for_update().filter(key=name).first()
            # The clock is read under the lock, so updates are ordered; a clock behind
            # the row's (another machine) counts as the row's time.
            now = self._clock()
            if row is None:
                tokens = burst - 1
                _, created = RateBucket.objects.get_or_create(
                    key=name, defaults={"tokens": tokens, "updated": now}
                )
                if not created:  # another worker made the row meanwhile: take it properly
                    return self.reserve(key)
            else:
                now = max(now, row.updated)
                tokens = min(burst, row.tokens + (now - row.updated) * per_second) - 1
                RateBucket.objects.filter(key=name).update(tokens=tokens, updated=now)
        return 0.0 if tokens >= 0 else -tokens / per_second

    def acquire(self, key: str) -> None:
        wait = self.reserve(key)
        if wait > 0:
            self._sleep(wait)


#: KEYS[1] bucket; ARGV rate, burst. Returns the tokens left (a string: Lua numbers
#: become integers in Redis replies).
REDIS_SCRIPT = """
local rate = tonumber(ARGV[1])
local burst = tonumber(ARGV[2])
local t = redis.call('TIME')
local now = tonumber(t[1]) + tonumber(t[2]) / 1000000
local data = redis.call('HMGET', KEYS[1], 'tokens', 'updated')
local tokens = tonumber(data[1]) or burst
local updated = tonumber(data[2]) or now
if now > updated then
  tokens = math.min(burst, tokens + (now - updated) * rate)
else
  now = updated
end
tokens = tokens - 1
redis.call('HSET', KEYS[1], 'tokens', tostring(tokens), 'updated', tostring(now))
redis.call('EXPIRE', KEYS[1], 3600)
return tostring(tokens)
"""


@cache
def _redis(url: str) -> Any:
    import redis

    return redis.Redis.from_url(url)


class RedisBucket:
    """A token bucket per key in Redis, for installations that run RQ anyway."""

    def __init__(
        self, rate: Rate, prefix: str, url: str, sleep: Callable[[float], None] = time.sleep
    ) -> None:
        self.rate = rate
        self.prefix = prefix
        self._script = _redis(url).register_script(REDIS_SCRIPT)
        self._sleep = sleep

    def reserve(self, key: str) -> float:
        tokens = float(
            self._script(
                keys=[f"belegsync:rate:{self.prefix}:{key}"],
                args=[self.rate.per_second, self.rate.burst],
            )
        )
        return 0.0 if tokens >= 0 else -tokens / self.rate.per_second

    def acquire(self, key: str) -> None:
        wait = self.reserve(key)
        if wait > 0:
            self._sleep(wait)


@cache
def _process_bucket(kind: str, rate: Rate) -> TokenBucket:
    return TokenBucket(rate)


def rate_for(connection: Connection, side: str) -> tuple[str, Rate | None]:
    """The remote system's kind and the rate to pace this connection's side at."""
    cls: type
    if side == "source":
        kind, cls = connection.source_kind, registry.source_class(connection.source_kind)
    else:
        kind, cls = connection.target_kind, registry.target_class(connection.target_kind)
    rate: Rate | None = getattr(cls, "rate", None)
    override = connection.settings_of(side).rate_per_second
    if override:
        rate = Rate(per_second=float(override), burst=rate.burst if rate else 1)
    return kind, rate


def limiter_for(connection: Connection, side: str) -> Limiter:
    kind, rate = rate_for(connection, side)
    if rate is None:
        return NoLimit()
    where = settings.BELEGSYNC_SHARED_LIMITER
    if where == "redis":
        return RedisBucket(rate, kind, settings.BELEGSYNC_REDIS_URL)
    if where == "process":
        return _process_bucket(kind, rate)
    return DatabaseBucket(rate, kind)
