"""Pacing before sending, so belegsync stays under a remote account's limit.

A :class:`Limiter` hands out permission to send one request for a key (the
remote account). :class:`TokenBucket` is the in-process one; the sync engine
plugs in one that all workers share (database row or Redis), with the same
interface.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Protocol


class Limiter(Protocol):
    def acquire(self, key: str) -> None:
        """Block until one request for ``key`` may be sent."""


@dataclass(frozen=True)
class Rate:
    """``per_second`` requests on average, up to ``burst`` at once."""

    per_second: float
    burst: int = 1


class TokenBucket:
    """A thread-safe token bucket per key, in this process's memory."""

    def __init__(
        self,
        rate: Rate,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self.rate = rate
        self._clock = clock
        self._sleep = sleep
        self._lock = threading.Lock()
        self._buckets: dict[str, tuple[float, float]] = {}

    def _reserve(self, key: str) -> float:
        """Take a token (possibly borrowed from the future); return the wait."""
        with self._lock:
            now = self._clock()
            tokens, last = self._buckets.get(key, (float(self.rate.burst), now))
            tokens = min(float(self.rate.burst), tokens + (now - last) * self.rate.per_second)
            tokens -= 1
            self._buckets[key] = (tokens, now)
            return 0.0 if tokens >= 0 else -tokens / self.rate.per_second

    def acquire(self, key: str) -> None:
        wait = self._reserve(key)
        if wait > 0:
            self._sleep(wait)


class NoLimit:
    def acquire(self, key: str) -> None:
        return None
