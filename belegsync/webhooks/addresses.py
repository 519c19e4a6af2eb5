"""Which webhook URLs belegsync may send to: never into the host's own network.

A webhook URL is the one remote address a merchant types in, so it is checked
when it is saved and again before every delivery (a name may resolve
elsewhere later): https (or http) only, and every address the host name
resolves to must be public. ``BELEGSYNC_WEBHOOK_ALLOW_PRIVATE`` (tests, a
receiver on the same machine) lifts the address rule.
"""

from __future__ import annotations

import ipaddress
import socket
from urllib.parse import urlsplit

from django.conf import settings
from django.utils.translation import gettext as _


def refusal(url: str) -> str:
    """Why belegsync will not send to ``url``; empty when it may."""
    parts = urlsplit(url)
    if parts.scheme not in ("https", "http") or not parts.hostname:
        return _("Enter an address that starts with https://.")
    if parts.username or parts.password:
        return _("Leave user name and password out of the address.")
    if getattr(settings, "BELEGSYNC_WEBHOOK_ALLOW_PRIVATE", False):
        return ""
    try:
        found = socket.getaddrinfo(parts.hostname, parts.port or 443, type=socket.SOCK_STREAM)
    except (OSError, UnicodeError):
        return _("The host name %(host)s cannot be resolved.") % {"host": parts.hostname}
    for *_ignored, address in found:
        ip = ipaddress.ip_address(address[0])
        if not ip.is_global:
            return _(
                "%(host)s points into a private network (%(ip)s); belegsync sends webhooks "
                "only to public addresses."
            ) % {"host": parts.hostname, "ip": ip}
    return ""
