"""The visitor's address, for throttling logins (django-axes' ``AXES_CLIENT_IP_CALLABLE``).

Behind a reverse proxy every request comes from the proxy's address, so one
attacker's wrong passwords would lock out everyone behind it. The operator may
name the header the proxy writes the visitor's address into
(``BELEGSYNC_CLIENT_IP_HEADER``, e.g. ``X-Forwarded-For``) and how many proxies
stand in front (``BELEGSYNC_TRUSTED_PROXIES``, default 1).

Each proxy *appends* the address it was connected from, so only the last
``trusted_proxies`` entries of the header were written by someone we trust; what
stands before them came from the visitor and may be anything. The address is
therefore the entry ``trusted_proxies`` from the right, never the left-most one.
Without the setting no header is read at all.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Mapping

from django.conf import settings
from django.http import HttpRequest


def meta_key(header: str) -> str:
    """How a WSGI server hands a request header to Django (``X-Real-IP`` → ``HTTP_X_REAL_IP``)."""
    return "HTTP_" + header.upper().replace("-", "_")


def address_from(meta: Mapping[str, object], header: str, trusted_proxies: int) -> str | None:
    """The visitor's address: from ``header`` as written by the trusted proxies, else the peer's.

    A header missing, shorter than the number of trusted proxies (a request that did
    not pass them all) or holding no address at the trusted position falls back to the
    connection's own address: never to an entry a visitor could have written.
    """
    peer = str(meta.get("REMOTE_ADDR") or "") or None
    if not header:
        return peer
    entries = [e.strip() for e in str(meta.get(meta_key(header)) or "").split(",") if e.strip()]
    if len(entries) < trusted_proxies:
        return peer
    try:
        return str(ipaddress.ip_address(entries[-trusted_proxies]))
    except ValueError:
        return peer


def client_ip(request: HttpRequest) -> str | None:
    return address_from(
        request.META, settings.BELEGSYNC_CLIENT_IP_HEADER, settings.BELEGSYNC_TRUSTED_PROXIES
    )
