"""A total deadline for one remote call: name lookup, connect, TLS, request, answer and
body together.

httpx's timeouts are per operation: a server that sends one byte every ten
seconds never trips a 30 s read timeout and holds a sync for good. So the
client opens a :func:`scope` around each call, and the socket layer
(:class:`~belegsync.connectors.egress.GuardedBackend`) gives every connect,
read and write only the time that is left of it (:class:`BoundedStream`); the name
lookup waits no longer either (:func:`~belegsync.connectors.egress.resolve`).
"""

from __future__ import annotations

import contextlib
import time
from collections.abc import Iterator
from contextvars import ContextVar
from typing import Any

import httpcore

_ends_at: ContextVar[float | None] = ContextVar("belegsync_deadline", default=None)


class DeadlinePassed(httpcore.ReadTimeout):
    """The call's total time is used up (httpx reports it as a ReadTimeout)."""


@contextlib.contextmanager
def scope(seconds: float) -> Iterator[None]:
    """Everything on the sockets inside must be done within ``seconds`` from now."""
    token = _ends_at.set(time.monotonic() + seconds)
    try:
        yield
    finally:
        _ends_at.reset(token)


def passed() -> bool:
    ends_at = _ends_at.get()
    return ends_at is not None and time.monotonic() >= ends_at


def bounded(timeout: float | None) -> float | None:
    """``timeout`` cut to what is left; DeadlinePassed when nothing is."""
    ends_at = _ends_at.get()
    if ends_at is None:
        return timeout
    left = ends_at - time.monotonic()
    if left <= 0:
        raise DeadlinePassed("the call's deadline passed")
    return left if timeout is None else min(timeout, left)


class BoundedStream(httpcore.NetworkStream):
    """A socket stream whose every operation ends by the call's deadline."""

    def __init__(self, stream: httpcore.NetworkStream) -> None:
        self._stream = stream

    def read(self, max_bytes: int, timeout: float | None = None) -> bytes:
        limit = bounded(timeout)
        try:
            return self._stream.read(max_bytes, limit)
        except httpcore.ReadTimeout as exc:
            if passed():
                raise DeadlinePassed("the call's deadline passed") from exc
            raise

    def write(self, buffer: bytes, timeout: float | None = None) -> None:
        self._stream.write(buffer, bounded(timeout))

    def close(self) -> None:
        self._stream.close()

    def start_tls(
        self,
        ssl_context: Any,
        server_hostname: str | None = None,
        timeout: float | None = None,
    ) -> httpcore.NetworkStream:
        tls = self._stream.start_tls(ssl_context, server_hostname, bounded(timeout))
        return BoundedStream(tls)

    def get_extra_info(self, info: str) -> Any:
        return self._stream.get_extra_info(info)
