"""How a webhook is signed, and how a receiver checks it (docs/api.md shows both).

``Belegsync-Signature: t=<unix time>,v1=<hex HMAC-SHA256(secret, "<t>.<body>")>``.
The time is inside the signed text, so a recorded delivery replayed later is
refused by a receiver that checks the age (:func:`verify`'s ``tolerance``).
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
import time

HEADER = "Belegsync-Signature"
SCHEME = "whsec_"


def new_secret() -> str:
    return SCHEME + secrets.token_urlsafe(32)


def signature(secret: str, timestamp: int, body: bytes) -> str:
    signed = f"{timestamp}.".encode() + body
    return hmac.new(secret.encode(), signed, hashlib.sha256).hexdigest()


def header(secret: str, body: bytes, now: float | None = None) -> str:
    timestamp = int(time.time() if now is None else now)
    return f"t={timestamp},v1={signature(secret, timestamp, body)}"


def verify(
    secret: str, value: str, body: bytes, tolerance: int = 300, now: float | None = None
) -> bool:
    """Whether ``value`` (the header) signs ``body`` with ``secret`` within ``tolerance`` s."""
    parts = dict(item.split("=", 1) for item in value.split(",") if "=" in item)
    try:
        timestamp = int(parts["t"])
    except (KeyError, ValueError):
        return False
    current = time.time() if now is None else now
    if abs(current - timestamp) > tolerance:
        return False
    return hmac.compare_digest(parts.get("v1", ""), signature(secret, timestamp, body))
