"""Billbee's webhooks as belegsync uses them: a call says only "look now".

The swagger gives the registration (``POST /api/v1/webhooks``, ``WebHookApiModel``:
``WebHookUri``, ``Secret``, ``Filters`` …) and says Billbee calls the URI once when it
is registered, the *echo*, unless ``?noecho`` is appended (reference README §5.6).
What the calls carry and how they are signed is **unverified** for Billbee; the API is
the ASP.NET WebHooks framework's, and belegsync follows that framework:

- the echo is ``GET <uri>?echo=<text>``, answered 200 with the text alone;
- a call is a POST signed ``ms-signature: sha256=<hex HMAC-SHA256 of the body with
  the registration's Secret>`` (a Secret of 32 to 64 characters);
- a receiver that answers 410 Gone has its registration dropped by the sender.

The payload is never read: the receiver only makes the connection due, and the
next cycle fetches the orders as it always does (the cursor, the checks, the
reasons). So a call that was lost, doubled or forged changes nothing but when.
"""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets
from collections.abc import Iterable

SIGNATURE_HEADER = "ms-signature"
#: What the echo may be: the framework sends a random token; nothing else is reflected.
ECHO = re.compile(r"[A-Za-z0-9_.~-]{1,128}")
#: The filters belegsync asks for: every change of an order (``order.created`` is the
#: name the official SDK's tests use; the full list is unverified, read at registration).
ORDER_FILTERS = "order."
#: All events, where Billbee offers no order filter by name.
ALL_EVENTS = "*"


def new_token() -> str:
    """The secret part of the receiver's URL (only its hash is stored)."""
    return secrets.token_urlsafe(32)


def new_secret() -> str:
    """The key Billbee signs its calls with: 64 characters, the framework's maximum."""
    return secrets.token_hex(32)


def token_sha256(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def token_matches(token: str, stored_sha256: str) -> bool:
    """Constant-time: how long the comparison takes says nothing about the stored hash."""
    return hmac.compare_digest(token_sha256(token), stored_sha256)


def signature_valid(secret: str, body: bytes, header: str) -> bool:
    """True when ``header`` is ``sha256=<hex>`` of ``body`` with ``secret`` (any hex case)."""
    algorithm, _, hexdigest = header.strip().partition("=")
    if algorithm.strip().lower() != "sha256" or not secret:
        return False
    try:
        given = bytes.fromhex(hexdigest.strip())
    except ValueError:
        return False
    expected = hmac.new(secret.encode(), body, hashlib.sha256).digest()
    return hmac.compare_digest(given, expected)


def filters_for(available: Iterable[str]) -> list[str]:
    """The filters to register: Billbee's order events, or all events if it names none."""
    orders = sorted(name for name in available if name.lower().startswith(ORDER_FILTERS))
    return orders or [ALL_EVENTS]
