"""Which webhook URLs belegsync may send to: never into the host's own network.

A webhook URL is the one remote address a merchant types in: https (or http)
only, no login in it, and every address its host name resolves to must be
public. It is checked when it is saved (:func:`refusal`, for the form's
message) and again by every delivery at the socket: :func:`client` sends
through the egress layer's :class:`~belegsync.connectors.egress.GuardedBackend`,
which resolves the name once, checks those addresses and connects to a
checked one. So a DNS answer that changes between the check and the connect
(DNS rebinding) cannot point a delivery into the network.

``BELEGSYNC_WEBHOOK_ALLOW_PRIVATE`` (tests, a receiver on the same machine)
trusts the host with whatever it resolves to, as a host the operator names in
``BELEGSYNC_ALLOWED_REMOTES`` is trusted; the connection still goes to the
address that was resolved once.
"""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import urlsplit

import httpcore
import httpx
from django.conf import settings
from django.utils.translation import gettext as _

from belegsync.connectors import egress

REMOTE = "webhooks"
#: How long saving an address waits for its name to resolve.
LOOKUP_TIMEOUT = 10.0


class PrivateAddress(egress.AddressRefused):
    """The receiver's host resolved into the host's own network; nothing was sent."""


@dataclass(frozen=True)
class WebhookDestinations(egress.Destinations):
    """One receiver's origin; its addresses must be public unless the host is trusted."""

    def check_addresses(self, host: str, addresses: list[str]) -> None:
        try:
            super().check_addresses(host, addresses)
        except egress.AddressRefused:
            inside = next(a for a in addresses if not egress.is_public(a))
            raise PrivateAddress(private(host, inside)) from None


def private(host: str, address: str) -> str:
    return _(
        "%(host)s points into a private network (%(ip)s); belegsync sends webhooks "
        "only to public addresses."
    ) % {"host": host, "ip": address}


def malformed(url: str) -> str:
    """What is wrong with ``url`` as written; empty when nothing is."""
    parts = urlsplit(url)
    try:
        parts.port  # noqa: B018 - a port out of range raises here
    except ValueError:
        return _("Enter an address that starts with https://.")
    if parts.scheme not in ("https", "http") or not parts.hostname:
        return _("Enter an address that starts with https://.")
    if parts.username or parts.password:
        return _("Leave user name and password out of the address.")
    return ""


def destinations(url: str) -> WebhookDestinations:
    """Where a delivery to ``url`` may go: its own origin, to public addresses."""
    parts = urlsplit(url)
    origin = egress.Base.of(f"{parts.scheme}://{parts.netloc}")
    trusted = getattr(settings, "BELEGSYNC_WEBHOOK_ALLOW_PRIVATE", False)
    return WebhookDestinations(
        REMOTE, {origin: origin}, frozenset({origin.host}) if trusted else frozenset()
    )


def client(url: str) -> httpx.Client:
    """An httpx client that can reach only ``url``'s origin, through the guarded sockets."""
    allowed = destinations(url)
    return httpx.Client(
        transport=egress.GuardedTransport(allowed),
        event_hooks={"request": [allowed.check_url]},
        follow_redirects=False,
    )


def refusal(url: str) -> str:
    """Why belegsync will not send to ``url``; empty when it may (asked when it is saved)."""
    wrong = malformed(url)
    if wrong or getattr(settings, "BELEGSYNC_WEBHOOK_ALLOW_PRIVATE", False):
        return wrong
    parts = urlsplit(url)
    host = parts.hostname or ""
    try:
        host.encode("idna")  # a name the resolver cannot take, refused at once
        found = egress.resolve(host, parts.port or 443, timeout=LOOKUP_TIMEOUT)
    except (httpcore.ConnectError, httpcore.ConnectTimeout, UnicodeError):
        return _("The host name %(host)s cannot be resolved.") % {"host": host}
    try:
        destinations(url).check_addresses(host, found)
    except PrivateAddress as refused:
        return refused.message
    return ""
