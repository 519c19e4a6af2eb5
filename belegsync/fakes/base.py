"""The frame of every local test double: a real HTTP server on 127.0.0.1.

A fake is a WSGI app with its own reading of the remote system's rules. This
module gives each fake the same machinery, so tests and ``demo`` drive them
alike:

- routing (werkzeug), JSON helpers;
- a rate limit like the remote's: at most N requests in any sliding second;
- fault injection on demand: the next N requests, or a share of all
  requests, answer 429 / 500 / 503, time out, drop the connection or are slow;
- a control API under ``/__fake__/`` (state, faults, stats, credentials) for
  tests that run the fake in another process;
- :func:`serve_in_thread` for tests, :func:`serve_forever` for the CLI;
- every refusal in the system's own error shape and content type (no route,
  wrong method, a bad value, even a bug in the fake: never an HTML page);
- :data:`OBSERVERS`: callables that see every exchange (tests record what
  clients send and check it against the official specs).

Fakes import nothing from ``sources`` or ``targets``: they are evidence, not an
echo of the client.
"""

from __future__ import annotations

import collections
import contextlib
import json
import logging
import random
import socket
import threading
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any, ClassVar

from werkzeug.exceptions import HTTPException, MethodNotAllowed, NotFound
from werkzeug.routing import Map, Rule
from werkzeug.serving import BaseWSGIServer, make_server
from werkzeug.wrappers import Request, Response

log = logging.getLogger("belegsync.fakes")

FAULT_KINDS = ("429", "500", "503", "timeout", "drop", "slow")
#: Where a reference says "unverified", a double answers by one of two readings: the one
#: it was built on ("documented", the default) or the other one of each ("alternative").
READINGS = ("documented", "alternative")


class Dropped(Exception):
    """The fake closed the connection without answering."""


@dataclass
class Faults:
    """What goes wrong, and how often. Thread-safe through the owning fake's lock."""

    queued: collections.deque[str] = field(default_factory=collections.deque)
    probability: float = 0.0
    kinds: tuple[str, ...] = ("429", "500", "503")
    #: Seconds a "timeout" fault sleeps before answering 504 (longer than the client waits).
    timeout_seconds: float = 5.0
    slow_seconds: float = 1.0
    #: Only requests whose path starts with this are affected ("" = all).
    path_prefix: str = ""
    rng: random.Random = field(default_factory=lambda: random.Random(1))

    def draw(self, path: str) -> str | None:
        if self.path_prefix and not path.startswith(self.path_prefix):
            return None
        if self.queued:
            return self.queued.popleft()
        if self.probability and self.rng.random() < self.probability:
            return self.rng.choice(self.kinds)
        return None


class SlidingWindow:
    """At most ``limit`` requests per key in any window of ``seconds``."""

    def __init__(self, limit: int, seconds: float = 1.0) -> None:
        self.limit = limit
        self.seconds = seconds
        self._hits: dict[str, collections.deque[float]] = collections.defaultdict(collections.deque)

    def admit(self, key: str, now: float) -> bool:
        hits = self._hits[key]
        while hits and now - hits[0] >= self.seconds:
            hits.popleft()
        if len(hits) >= self.limit:
            return False
        hits.append(now)
        return True


@dataclass(frozen=True)
class Exchange:
    """One request to a fake and its answer, as the wire carried them."""

    system: str
    method: str
    path: str
    query: str
    request_headers: dict[str, str]
    request_body: bytes
    status: int
    response_headers: dict[str, str]
    response_body: bytes
    #: The answer is the fake's :meth:`FakeApp.crash_response` to a bug of its own.
    crashed: bool = False

    @property
    def request_content_type(self) -> str:
        return self.request_headers.get("Content-Type", "")

    @property
    def response_content_type(self) -> str:
        return self.response_headers.get("Content-Type", "")


CRASHED = "belegsync.fake.crashed"
#: Called with every :class:`Exchange` of every fake in this process (tests only).
OBSERVERS: list[Callable[[Exchange], None]] = []


def json_response(data: Any, status: int = 200, headers: dict[str, str] | None = None) -> Response:
    return Response(
        json.dumps(data, ensure_ascii=False, default=str),
        status=status,
        headers=headers,
        content_type="application/json; charset=utf-8",
    )


class FakeApp:
    """Base class of a fake remote system. Subclasses add ``rules`` and handlers.

    A handler is a method ``on_<endpoint>(request, **url_args) -> Response``.
    """

    system = "fake"
    rules: tuple[Rule, ...] = ()

    def __init__(self, *, rate_limit: int | None = None) -> None:
        self.lock = threading.RLock()
        # Rules are bound to one Map; each instance gets unbound copies of the class's.
        self.url_map = Map([rule.empty() for rule in (*self.rules, *self._control_rules())])
        self.faults = Faults()
        self.window = SlidingWindow(rate_limit) if rate_limit else None
        self.stats: collections.Counter[str] = collections.Counter()
        self.requests: list[tuple[str, str, int]] = []

    # -- what subclasses say -------------------------------------------------

    def authenticate(self, request: Request) -> Response | str:
        """Return the caller's account key, or the response that refuses it."""
        return "default"

    def rate_limited_response(self) -> Response:
        return json_response({"message": "Too many requests"}, status=429)

    def server_error_response(self, status: int) -> Response:
        return json_response({"message": "Internal error"}, status=status)

    def state(self) -> dict[str, Any]:
        """Everything the fake holds, for tests and ``/__fake__/state``."""
        return {}

    #: The behaviours the reference marks unverified: switch → what each reading does.
    unverified: ClassVar[dict[str, str]] = {}

    def set_reading(self, reading: str) -> None:
        """Answer every unverified behaviour by ``reading`` (see :data:`READINGS`)."""
        if reading not in READINGS:
            raise ValueError(f"unknown reading {reading!r}; choose from {READINGS}")
        self.reading = reading
        self.apply_reading(alternative=reading == "alternative")

    def apply_reading(self, *, alternative: bool) -> None:
        """Set this system's switches (subclasses with unverified behaviours)."""

    def reset_state(self) -> None:
        pass

    def set_credentials(self, data: dict[str, Any]) -> None:
        """Change what credentials are accepted (revoke / restore a key)."""

    # -- request flow --------------------------------------------------------

    def __call__(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> Any:
        request = Request(environ)
        response = self.dispatch(request)
        return response(environ, start_response)

    def dispatch(self, request: Request) -> Response:
        try:
            adapter = self.url_map.bind_to_environ(request.environ)
            endpoint, args = adapter.match()
        except NotFound:
            return self.finish(request, self.not_found_response(request))
        except HTTPException as exc:
            return self.finish(request, self._http_error(request, exc))
        if endpoint.startswith("control_"):
            return getattr(self, endpoint)(request, **args)  # type: ignore[no-any-return]
        try:
            response = self.before(request)
            if response is None:
                with self.lock:
                    response = getattr(self, f"on_{endpoint}")(request, **args)
        except Dropped:
            raise
        except HTTPException as exc:
            response = self._http_error(request, exc)
        except Exception:
            # A bug of the fake: say so in the log and in the stats, answer like the system.
            log.exception("%s fake failed on %s %s", self.system, request.method, request.path)
            request.environ[CRASHED] = True
            with self.lock:
                self.stats["crashes"] += 1
            response = self.crash_response(request)
        return self.finish(request, response)

    def error_response(self, request: Request, status: int, message: str) -> Response:
        """A refusal in this system's own error shape (subclasses say which)."""
        return json_response({"message": message}, status)

    def not_found_response(self, request: Request) -> Response:
        return self.error_response(request, 404, f"No route {request.method} {request.path}")

    def method_not_allowed_response(self, request: Request, allowed: list[str]) -> Response:
        message = f"The requested resource does not support http method '{request.method}'."
        response = self.error_response(request, 405, message)
        response.headers["Allow"] = ", ".join(sorted(allowed))
        return response

    def crash_response(self, request: Request) -> Response:
        """What a bug in the fake answers: the system's 500, never a traceback."""
        return self.server_error_response(500)

    def _http_error(self, request: Request, exc: HTTPException) -> Response:
        if type(exc).__module__ != "werkzeug.exceptions":
            return exc.get_response()  # the fake's own error
        if isinstance(exc, MethodNotAllowed):
            return self.method_not_allowed_response(request, list(exc.valid_methods or ()))
        return self.error_response(request, exc.code or 400, exc.description or exc.name)

    def before(self, request: Request) -> Response | None:
        account = self.authenticate(request)
        if isinstance(account, Response):
            return account
        with self.lock:
            fault = self.faults.draw(request.path)
            admitted = self.window is None or self.window.admit(account, time.monotonic())
        if fault:
            return self.apply_fault(request, fault)
        if not admitted:
            self.stats["rate_limited"] += 1
            return self.rate_limited_response()
        return None

    def apply_fault(self, request: Request, fault: str) -> Response | None:
        self.stats[f"fault_{fault}"] += 1
        if fault == "429":
            return self.rate_limited_response()
        if fault in ("500", "503"):
            return self.server_error_response(int(fault))
        if fault == "timeout":
            time.sleep(self.faults.timeout_seconds)
            return json_response({"message": "Gateway timeout"}, status=504)
        if fault == "slow":
            time.sleep(self.faults.slow_seconds)
            return None
        if fault == "drop":
            drop_connection(request)
        raise ValueError(f"unknown fault {fault}")

    def finish(self, request: Request, response: Response) -> Response:
        with self.lock:
            self.stats[str(response.status_code)] += 1
            self.requests.append((request.method, request.path, response.status_code))
        if OBSERVERS:
            self.observe(request, response)
        return response

    def observe(self, request: Request, response: Response) -> None:
        exchange = Exchange(
            system=self.system,
            method=request.method,
            path=request.path,
            query=request.query_string.decode("latin-1"),
            request_headers=dict(request.headers),
            request_body=request.get_data(cache=True),
            status=response.status_code,
            response_headers=dict(response.headers),
            response_body=response.get_data(),
            crashed=bool(request.environ.get(CRASHED)),
        )
        for observer in list(OBSERVERS):
            observer(exchange)

    # -- control API -----------------------------------------------------------

    def _control_rules(self) -> Iterable[Rule]:
        return (
            Rule("/__fake__/state", endpoint="control_state", methods=["GET"]),
            Rule("/__fake__/reset", endpoint="control_reset", methods=["POST"]),
            Rule("/__fake__/faults", endpoint="control_faults", methods=["POST"]),
            Rule("/__fake__/stats", endpoint="control_stats", methods=["GET"]),
            Rule("/__fake__/credentials", endpoint="control_credentials", methods=["POST"]),
        )

    def control_state(self, request: Request) -> Response:
        with self.lock:
            return json_response(self.state())

    def control_reset(self, request: Request) -> Response:
        with self.lock:
            self.reset_state()
            self.stats.clear()
            self.requests.clear()
        return json_response({"ok": True})

    def control_faults(self, request: Request) -> Response:
        data = request.get_json(force=True)
        with self.lock:
            self.configure_faults(**data)
        return json_response({"ok": True})

    def control_stats(self, request: Request) -> Response:
        with self.lock:
            return json_response(dict(self.stats))

    def control_credentials(self, request: Request) -> Response:
        with self.lock:
            self.set_credentials(request.get_json(force=True))
        return json_response({"ok": True})

    def configure_faults(
        self,
        *,
        next: list[str] | None = None,
        probability: float | None = None,
        kinds: list[str] | None = None,
        path_prefix: str | None = None,
        timeout_seconds: float | None = None,
        slow_seconds: float | None = None,
        seed: int | None = None,
    ) -> None:
        for kind in [*(next or []), *(kinds or [])]:
            if kind not in FAULT_KINDS:
                raise ValueError(f"unknown fault {kind!r}; choose from {FAULT_KINDS}")
        if next is not None:
            self.faults.queued.extend(next)
        if probability is not None:
            self.faults.probability = probability
        if kinds is not None:
            self.faults.kinds = tuple(kinds)
        if path_prefix is not None:
            self.faults.path_prefix = path_prefix
        if timeout_seconds is not None:
            self.faults.timeout_seconds = timeout_seconds
        if slow_seconds is not None:
            self.faults.slow_seconds = slow_seconds
        if seed is not None:
            self.faults.rng = random.Random(seed)


def drop_connection(request: Request) -> None:
    """Close the client's connection without a response, like a dying proxy."""
    sock = request.environ.get("werkzeug.socket")
    if sock is not None:
        with contextlib.suppress(OSError):
            sock.shutdown(socket.SHUT_RDWR)
        sock.close()
    raise Dropped()


@dataclass
class RunningFake:
    app: FakeApp
    server: BaseWSGIServer
    thread: threading.Thread

    @property
    def url(self) -> str:
        host, port = self.server.server_address[:2]
        return f"http://{host}:{port}"

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()
        self.thread.join(timeout=5)


def serve_in_thread(app: FakeApp, host: str = "127.0.0.1", port: int = 0) -> RunningFake:
    """Start ``app`` on a free port (``port=0``) in a daemon thread."""
    logging.getLogger("werkzeug").setLevel(logging.WARNING)
    server = make_server(host, port, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, name=f"fake-{app.system}", daemon=True)
    thread.start()
    return RunningFake(app=app, server=server, thread=thread)


def serve_forever(app: FakeApp, host: str, port: int) -> None:
    """Serve ``app`` in the foreground until interrupted (``belegsync fake …``)."""
    server = make_server(host, port, app, threaded=True)
    log.warning("%s fake listening on http://%s:%d", app.system, host, port)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        server.server_close()
