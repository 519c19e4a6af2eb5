"""Where belegsync may send a request: each remote system's own address, nothing else.

Addresses of remote systems are not user input. Every client names its system
(``remote``) and the system's own base URLs (``addresses``, constants in the
adapter); no form, setting or API call can change them. The one other way is
the operator's: the environment variable ``BELEGSYNC_ALLOWED_REMOTES`` lists,
per system, the one address to use instead (the local test doubles that
``belegsync demo`` and the tests start, a proxy in front of the remote)::

    BELEGSYNC_ALLOWED_REMOTES="billbee=http://127.0.0.1:8001,sevdesk=https://proxy.internal/sevdesk"

An entry replaces the system's scheme, host and port and puts its path in
front of the system's own path (``https://api.billbee.io/api/v1/`` becomes
``http://127.0.0.1:8001/api/v1/``).

Two checks hold every request to that, also every hop of a redirect:

* :func:`check_url` (an httpx request hook): the URL lies under one of the
  client's permitted bases — same scheme, host, port and path prefix;
* :class:`GuardedBackend` (the socket layer): the host name is resolved once,
  and a system's own host must resolve to public addresses only, so a DNS
  answer pointing inside the network is refused; the connection then goes to
  the checked address (no second lookup an attacker could answer otherwise).
  Hosts the operator named are trusted with whatever they resolve to.
"""

from __future__ import annotations

import ipaddress
import os
import queue
import socket
import threading
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

import httpcore
import httpx

from . import deadline
from .errors import ConfigError

ENV = "BELEGSYNC_ALLOWED_REMOTES"
#: The systems belegsync has clients for (``ApiClient.remote``).
SYSTEMS = ("afterbuy", "billbee", "lexoffice", "sevdesk")


class AddressRefused(ConfigError):
    """A request to an address outside the permitted ones; nothing was sent."""


@dataclass(frozen=True)
class Base:
    """A permitted base: scheme, host, port and the path every request's path starts with."""

    scheme: str
    host: str
    port: int
    path: str

    @classmethod
    def of(cls, url: str) -> Base:
        parts = urlsplit(url)
        scheme = parts.scheme.lower()
        if scheme not in ("http", "https") or not parts.hostname:
            raise ValueError(f"{url!r} is not an http(s) URL with a host")
        if parts.query or parts.fragment or parts.username or parts.password:
            raise ValueError(f"{url!r} may not carry a query, fragment or login")
        try:
            port = parts.port or (443 if scheme == "https" else 80)
        except ValueError as exc:
            raise ValueError(f"{url!r} has no valid port") from exc
        return cls(scheme, parts.hostname.lower(), port, parts.path)

    @property
    def origin(self) -> str:
        default = 443 if self.scheme == "https" else 80
        host = f"[{self.host}]" if ":" in self.host else self.host
        port = "" if self.port == default else f":{self.port}"
        return f"{self.scheme}://{host}{port}"

    @property
    def url(self) -> str:
        return self.origin + self.path

    def under(self, replacement: Base) -> Base:
        """This base moved to ``replacement``'s origin, behind its path."""
        return Base(
            replacement.scheme,
            replacement.host,
            replacement.port,
            replacement.path.rstrip("/") + self.path,
        )

    def covers(self, url: httpx.URL) -> bool:
        prefix = self.path.rstrip("/")
        path = url.path
        return (
            url.scheme == self.scheme
            and (url.host or "").lower() == self.host
            and (url.port or (443 if url.scheme == "https" else 80)) == self.port
            and (path == prefix or path.startswith(prefix + "/") or not prefix)
        )


def parse(raw: str) -> dict[str, Base]:
    """``system=URL`` entries, separated by commas or blanks; ValueError says what is wrong."""
    found: dict[str, Base] = {}
    for entry in raw.replace(",", " ").split():
        system, sep, url = entry.partition("=")
        system = system.strip().lower()
        if not sep or not url:
            raise ValueError(f"{entry!r} is not of the form system=URL")
        if system not in SYSTEMS:
            raise ValueError(f"{system!r} is not one of {', '.join(SYSTEMS)}")
        if system in found:
            raise ValueError(f"{system!r} is listed twice")
        found[system] = Base.of(url)
    return found


def with_remote(raw: str, system: str, url: str) -> str:
    """The setting ``raw`` with ``system`` sent to ``url`` (what demo and the tests set)."""
    entries = parse(raw)
    entries[system] = Base.of(url)
    return ",".join(f"{name}={base.url}" for name, base in entries.items())


def replacements(env: Mapping[str, str] | None = None) -> dict[str, Base]:
    """The operator's addresses by system (read when a client is made, so tests can set it)."""
    return parse((os.environ if env is None else env).get(ENV, ""))


@dataclass(frozen=True)
class Destinations:
    """Where one client may go: its system's own bases, or the operator's replacement."""

    remote: str
    #: Each own base (as the adapter names it) → where its requests go.
    placed: Mapping[Base, Base]
    #: Hosts the operator named: resolved addresses are not restricted.
    trusted_hosts: frozenset[str]

    @classmethod
    def of(cls, remote: str, addresses: Iterable[str]) -> Destinations:
        own = [Base.of(url) for url in addresses]
        replacement = replacements().get(remote)
        if replacement is None:
            return cls(remote, {b: b for b in own}, frozenset())
        return cls(remote, {b: b.under(replacement) for b in own}, frozenset({replacement.host}))

    def base_url(self, own: str) -> str:
        """Where to send what the adapter addresses to its system's ``own`` base URL."""
        placed = self.placed.get(Base.of(own))
        if placed is None:
            raise ValueError(f"{own!r} is not an address of {self.remote}")
        return placed.url

    def check_url(self, request: httpx.Request) -> None:
        """Refuse a request outside the permitted bases (an httpx 'request' hook)."""
        if not any(base.covers(request.url) for base in self.placed.values()):
            raise refused(self.remote, str(request.url.copy_with(query=None)))

    def check_addresses(self, host: str, addresses: list[str]) -> None:
        if host.lower() in self.trusted_hosts:
            return
        for address in addresses:
            if not is_public(address):
                raise refused(self.remote, f"{host} ({address})")


def is_public(address: str) -> bool:
    """Is the IP ``address`` (an IPv6 one may carry a ``%zone``) on the public internet?"""
    return ipaddress.ip_address(address.split("%", 1)[0]).is_global


def refused(remote: str, where: str) -> AddressRefused:
    return AddressRefused(
        f"belegsync does not send requests for {remote} to {where}: only to the system's own "
        f"address or one the operator allowed in {ENV}.",
        code="remote.address_refused",
        params={"system": remote},
    )


class GuardedBackend(httpcore.NetworkBackend):
    """Resolve once, check the addresses, connect to a checked one (no second lookup);
    every socket operation ends by the call's deadline (:mod:`.deadline`)."""

    def __init__(self, destinations: Destinations) -> None:
        self.destinations = destinations
        self._sockets = httpcore.SyncBackend()

    def connect_tcp(
        self,
        host: str,
        port: int,
        timeout: float | None = None,
        local_address: str | None = None,
        socket_options: Iterable[Any] | None = None,
    ) -> httpcore.NetworkStream:
        addresses = resolve(host, port, timeout)
        self.destinations.check_addresses(host, addresses)
        error: Exception | None = None
        for address in addresses:
            try:
                stream = self._sockets.connect_tcp(
                    address, port, deadline.bounded(timeout), local_address, socket_options
                )
            except httpcore.ConnectError as exc:
                error = exc
            else:
                return deadline.BoundedStream(stream)
        raise error or httpcore.ConnectError(f"{host} has no address")

    def connect_unix_socket(self, *args: Any, **kwargs: Any) -> httpcore.NetworkStream:
        raise refused(self.destinations.remote, "a unix socket")

    def sleep(self, seconds: float) -> None:
        self._sockets.sleep(seconds)


def resolve(host: str, port: int, timeout: float | None = None) -> list[str]:
    """The host's addresses, in the resolver's order, within the connect ``timeout`` and
    the call's deadline; ConnectError when there are none.

    ``getaddrinfo`` blocks in C and takes no timeout: a name server that does not
    answer holds it as long as resolv.conf allows, for every search domain and
    attempt, outside any socket the deadline bounds. So the lookup runs in a thread
    of its own, and the call stops waiting when its time is up; the thread is left
    to end with the resolver (it holds no lock and no connection).
    """
    try:
        return [str(ipaddress.ip_address(host))]
    except ValueError:
        pass  # a name: ask the resolver
    limit = deadline.bounded(timeout)
    answer: queue.SimpleQueue[list[str] | OSError] = queue.SimpleQueue()
    threading.Thread(
        target=_look_up, args=(host, port, answer), name=f"resolve {host}", daemon=True
    ).start()
    try:
        found = answer.get(timeout=limit)
    except queue.Empty:
        if deadline.passed():
            raise deadline.DeadlinePassed(f"{host} was not resolved before the deadline") from None
        raise httpcore.ConnectTimeout(f"{host} was not resolved within {limit:.0f} s") from None
    if isinstance(found, OSError):
        raise httpcore.ConnectError(f"{host} cannot be resolved ({found})") from found
    return found


def _look_up(host: str, port: int, answer: queue.SimpleQueue[list[str] | OSError]) -> None:
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except OSError as exc:
        answer.put(exc)
    except UnicodeError as exc:  # a name IDNA cannot encode ('a..b.org'): no answer
        answer.put(OSError(f"not a host name: {exc}"))
    else:
        answer.put(list(dict.fromkeys(str(info[4][0]) for info in infos)))


class GuardedTransport(httpx.HTTPTransport):
    """httpx's own transport on a :class:`GuardedBackend`."""

    def __init__(self, destinations: Destinations) -> None:
        super().__init__()
        limits = httpx.Limits(max_connections=100, max_keepalive_connections=20)
        self._pool = httpcore.ConnectionPool(
            ssl_context=httpx.create_ssl_context(),
            max_connections=limits.max_connections,
            max_keepalive_connections=limits.max_keepalive_connections,
            keepalive_expiry=5.0,
            network_backend=GuardedBackend(destinations),
        )
