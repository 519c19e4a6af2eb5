"""The one HTTP client base every source and target client builds on.

It owns timeouts, pacing (a :class:`Limiter` per remote account), the mapping
of responses to typed errors, and the retry policy as data. Subclasses say how
to authenticate and how their remote system words its errors.

Retries and duplicates: a POST that timed out or lost its connection may have
been carried out, so it is never repeated here; only a 429 ("the call will not
be performed") or a connection that never opened is. The sync engine recovers
the rest by asking the target first (the *find* step).
"""

from __future__ import annotations

import email.utils
import json as jsonlib
import logging
import random
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from enum import StrEnum
from typing import Any, ClassVar

import httpx

from . import deadline
from .decoding import ACCEPTED, BrokenEncoding, decoded
from .egress import Destinations, GuardedTransport
from .errors import (
    AuthError,
    BadAnswer,
    ConnectorError,
    NetworkError,
    NotFound,
    PermanentError,
    PermissionDenied,
    RateLimited,
    RetryableError,
    ServerError,
    TooLarge,
    TooSlow,
    ValidationRejected,
)
from .ratelimit import Limiter, NoLimit

log = logging.getLogger("belegsync.http")

IDEMPOTENT_METHODS = frozenset({"GET", "HEAD", "PUT", "DELETE", "OPTIONS"})
#: Who is calling, for the remote's logs and support (sevDesk asks for a meaningful one).
USER_AGENT = "belegsync"
RAW_LIMIT = 2000
MB = 1024 * 1024


class BodyKind(StrEnum):
    """What an answer carries; each kind has its largest acceptable size."""

    JSON = "json"
    XML = "xml"
    PDF = "pdf"


#: A Billbee page of 250 orders is about 2 MB, an Afterbuy page of 250 sold items
#: about 3 MB, a real invoice PDF tens of kilobytes: these leave a wide margin and
#: stop a runaway answer long before it costs the worker its memory.
BODY_LIMITS = {BodyKind.JSON: 16 * MB, BodyKind.XML: 16 * MB, BodyKind.PDF: 20 * MB}
#: Connect, TLS, request, answer and body of one attempt together (:mod:`.deadline`).
DEADLINE_SECONDS = 60.0

#: The most of a remote's own words (a JSON error field) a message may quote.
EXCERPT_LIMIT = 200


def excerpt(value: object, limit: int = EXCERPT_LIMIT) -> str:
    """A remote's words fit to quote: one line, no control characters, at most ``limit``.

    Messages quote only a JSON error field through this, never a response body;
    pages escape it like any text.
    """
    text = " ".join("".join(c if c.isprintable() else " " for c in str(value or "")).split())
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _quoted(said: str) -> str:
    return f" ({said})" if said else ""


def parse_json(text: str | bytes, **options: Any) -> Any:
    """JSON from a remote; ValueError for anything that is not (also nesting too deep)."""
    try:
        return jsonlib.loads(text, **options)
    except RecursionError as exc:
        raise ValueError("the JSON is nested too deeply") from exc


@dataclass(frozen=True)
class RetryPolicy:
    """Exponential backoff with full jitter, bounded in attempts and delay."""

    attempts: int = 4
    base_delay: float = 0.5
    max_delay: float = 30.0

    def delay(self, attempt: int, retry_after: float | None = None) -> float:
        if retry_after is not None:
            return min(retry_after, self.max_delay)
        ceiling = min(self.max_delay, self.base_delay * 2**attempt)
        return random.uniform(0, ceiling)


NO_RETRY = RetryPolicy(attempts=1)


def parse_retry_after(value: str | None) -> float | None:
    """Retry-After as seconds or an HTTP date; None when absent or unreadable."""
    if not value:
        return None
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    return max(0.0, when.timestamp() - time.time())


class ApiClient:
    """Base for remote API clients. One instance per remote account."""

    #: Name of the remote system in merchant-facing messages.
    system: ClassVar[str] = "the remote system"
    #: The system's key in ``BELEGSYNC_ALLOWED_REMOTES`` (:mod:`.egress`).
    remote: ClassVar[str] = ""
    #: The system's own base URLs; the first is the default. Never user input.
    addresses: ClassVar[tuple[str, ...]] = ()
    timeout: ClassVar[httpx.Timeout] = httpx.Timeout(30.0, connect=10.0)
    #: What this system's answers carry (the size limit), unless a call says otherwise.
    kind: ClassVar[BodyKind] = BodyKind.JSON
    #: Seconds one attempt may take in all; an instance may set less (tests).
    deadline: float = DEADLINE_SECONDS

    def __init__(
        self,
        base_url: str | None = None,
        *,
        limiter: Limiter | None = None,
        limiter_key: str = "",
        retry: RetryPolicy = RetryPolicy(),
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self.destinations = Destinations.of(self.remote, self.addresses)
        url = self.destinations.base_url(base_url or self.addresses[0])
        self.limiter = limiter or NoLimit()
        self.limiter_key = limiter_key or url
        self.retry = retry
        self._sleep = sleep
        self.http = httpx.Client(
            base_url=url,
            timeout=self.timeout,
            transport=GuardedTransport(self.destinations),
            # every request and every hop of a redirect is checked before it is sent
            event_hooks={"request": [self.destinations.check_url]},
            follow_redirects=False,
            trust_env=False,
            # only what .decoding unpacks within the size limit
            headers={
                "User-Agent": USER_AGENT,
                "Accept-Encoding": ACCEPTED,
                **self.auth_headers(),
            },
            auth=self.auth(),
        )

    # -- what subclasses say -------------------------------------------------

    def auth_headers(self) -> dict[str, str]:
        return {}

    def auth(self) -> httpx.Auth | None:
        return None

    def error_message(self, response: httpx.Response) -> str:
        """The remote system's own words for a failed response: an :func:`excerpt` of
        its JSON error field, or nothing (never the body)."""
        return ""

    def error_for(self, response: httpx.Response) -> ConnectorError:
        """Map a failed response to the typed error family."""
        status = response.status_code
        raw = response.text[:RAW_LIMIT]
        said = excerpt(self.error_message(response))
        if status == 401:
            return AuthError(
                f"{self.system} did not accept the credentials{_quoted(said)}. "
                "Check the API key in the connection settings.",
                raw=raw,
                status=status,
                code="remote.auth",
                params={"system": self.system},
            )
        if status == 403:
            return PermissionDenied(
                f"{self.system} refused access{_quoted(said)}. "
                "The API key lacks a permission this connection needs.",
                raw=raw,
                status=status,
                code="remote.permission",
                params={"system": self.system},
            )
        if status == 404:
            return NotFound(
                f"{self.system}: not found{_quoted(said)}.",
                raw=raw,
                status=status,
                code="remote.not_found",
                params={"system": self.system},
            )
        if status == 429:
            return RateLimited(
                f"{self.system} is rate limiting requests.",
                raw=raw,
                status=status,
                retry_after=parse_retry_after(response.headers.get("Retry-After")),
                code="remote.rate_limited",
                params={"system": self.system},
            )
        if status >= 500:
            return ServerError(
                f"{self.system} answered with an error ({status}).",
                raw=raw,
                status=status,
                retry_after=parse_retry_after(response.headers.get("Retry-After")),
                code="remote.server_error",
                params={"system": self.system, "status": status},
            )
        return ValidationRejected(
            f"{self.system} rejected the request: {said or 'no reason given'}",
            raw=raw,
            status=status,
            code="remote.rejected",
            params={"system": self.system, "remote_message": said},
        )

    # -- sending -------------------------------------------------------------

    def request(self, method: str, path: str, **kwargs: Any) -> httpx.Response:
        """Send with pacing and retries; return a 2xx/3xx response or raise typed.

        The retries of one call end within its deadline too: a server that stalls
        past the read timeout is not waited for once per attempt."""
        attempt = 0
        started = time.monotonic()
        while True:
            try:
                return self._send_once(method, path, **kwargs)
            except RetryableError as error:
                attempt += 1
                if attempt >= self.retry.attempts or not self._may_repeat(method, error):
                    raise
                delay = self.retry.delay(attempt, error.retry_after)
                if time.monotonic() - started + delay >= self.deadline:
                    raise
                log.info(
                    "retrying %s %s after %s (attempt %d, in %.1fs)",
                    method,
                    path,
                    type(error).__name__,
                    attempt,
                    delay,
                )
                self._sleep(delay)

    def _may_repeat(self, method: str, error: RetryableError) -> bool:
        if isinstance(error, TooSlow):
            return False
        if method.upper() in IDEMPOTENT_METHODS:
            return True
        return isinstance(error, RateLimited) or (
            isinstance(error, NetworkError) and error.never_sent
        )

    def _send_once(
        self,
        method: str,
        path: str,
        *,
        kind: BodyKind | None = None,
        limit: int | None = None,
        **kwargs: Any,
    ) -> httpx.Response:
        """One attempt within the deadline, its body read up to the kind's limit."""
        self.limiter.acquire(self.limiter_key)
        started = time.monotonic()
        try:
            with deadline.scope(self.deadline):
                response = self.http.send(
                    self.http.build_request(method, path, **kwargs), stream=True
                )
                try:
                    self._read_body(response, limit or BODY_LIMITS[kind or self.kind])
                finally:
                    response.close()
        except httpx.ConnectError as exc:
            raise NetworkError(
                f"{self.system} cannot be reached ({exc}).",
                raw=repr(exc),
                never_sent=True,
                code="remote.unreachable",
                params={"system": self.system},
            ) from exc
        except httpx.TimeoutException as exc:
            if time.monotonic() - started >= self.deadline:
                raise TooSlow(
                    f"{self.system} took longer than {self.deadline:.0f} s to answer; "
                    "belegsync gave up and tries again later.",
                    raw=repr(exc),
                    code="remote.too_slow",
                    params={"system": self.system, "seconds": round(self.deadline)},
                ) from exc
            if isinstance(exc, httpx.ConnectTimeout):
                # no connection (or not even its address) within the connect timeout:
                # nothing was sent, so even a POST may be repeated
                raise NetworkError(
                    f"{self.system} cannot be reached ({exc}).",
                    raw=repr(exc),
                    never_sent=True,
                    code="remote.unreachable",
                    params={"system": self.system},
                ) from exc
            raise NetworkError(
                f"{self.system} did not answer in time.",
                raw=repr(exc),
                code="remote.timeout",
                params={"system": self.system},
            ) from exc
        except httpx.DecodingError as exc:
            raise self.bad_answer(None, f"its encoding is broken: {exc}") from exc
        except httpx.TransportError as exc:
            raise NetworkError(
                f"The connection to {self.system} broke ({exc}).",
                raw=repr(exc),
                code="remote.connection_broken",
                params={"system": self.system},
            ) from exc
        if response.status_code >= 400:
            raise self.error_for(response)
        return response

    def _read_body(self, response: httpx.Response, limit: int) -> None:
        """Read the streamed body, cut at ``limit`` bytes (declared, sent or unpacked).

        The limit holds for what a compressed body unpacks to while it is unpacked
        (:mod:`.decoding`), not after a chunk of it was unpacked whole."""
        declared = response.headers.get("Content-Length", "")
        if declared.isdigit() and int(declared) > limit:
            raise self._too_large(limit, int(declared))
        body = bytearray()
        try:
            for piece in decoded(
                self._counted(response.iter_raw(), limit),
                response.headers.get("Content-Encoding", ""),
            ):
                body += piece
                if len(body) > limit:
                    raise self._too_large(limit)
        except BrokenEncoding as exc:
            raise self.bad_answer(None, f"its encoding is broken: {exc}") from exc
        # the read body becomes the response's content (decoded: no Content-Encoding)
        response._content = bytes(body)

    def _counted(self, raw: Iterator[bytes], limit: int) -> Iterator[bytes]:
        """The body as sent, cut at ``limit`` too (a packed stream that unpacks to nothing)."""
        sent = 0
        for chunk in raw:
            sent += len(chunk)
            if sent > limit:
                raise self._too_large(limit)
            yield chunk

    def _too_large(self, limit: int, declared: int | None = None) -> PermanentError:
        size = f"{declared} bytes" if declared else f"more than {limit} bytes"
        return TooLarge(
            f"{self.system} sent an answer of {size}, more than the {limit // MB} MB "
            "belegsync reads; it was cut off and nothing of it was used.",
            code="remote.too_large",
            params={"system": self.system, "limit_mb": limit // MB},
        )

    def json(self, method: str, path: str, **kwargs: Any) -> Any:
        response = self.request(method, path, **kwargs)
        if not response.content:
            return None
        try:
            return parse_json(response.content)
        except ValueError as exc:
            raise self.bad_answer(response, str(exc)) from exc

    def bad_answer(self, response: httpx.Response | None, what: str) -> PermanentError:
        """An answer belegsync cannot read (not JSON, not the documented shape)."""
        return BadAnswer(
            f"{self.system} sent an answer belegsync cannot read ({what}).",
            raw=response.text[:RAW_LIMIT] if response is not None else "",
            status=response.status_code if response is not None else None,
            code="remote.bad_answer",
            params={"system": self.system},
        )

    def close(self) -> None:
        self.http.close()

    def __enter__(self) -> ApiClient:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
