"""Billbee's webhooks in the double: registrations through ``/api/v1/webhooks`` and
their delivery as real HTTP POSTs.

The swagger gives the registration model (``WebHookApiModel``: ``Id``,
``WebHookUri``, ``Secret``, ``Description``, ``IsPaused``, ``Filters``, ``Headers``,
``Properties``) and says that Billbee calls the URI once on registration ("echo")
unless ``?noecho`` is appended (tests/reference/billbee/README.md §5.6). Filter
names beyond ``order.created``, the payload and the signature are **unverified**;
the double follows the ASP.NET WebHooks framework the API shape comes from: the
echo is ``GET <uri>?echo=<random>`` answered with the same text, a delivery is a
POST of ``{Id, Attempt, Properties, Notifications: [{Action, ...}]}`` signed
``ms-signature: sha256=<hex HMAC of the body with Secret>``, with the
registration's ``Headers``; a receiver that answers 410 Gone has its registration
dropped (the framework's ``OnWebHookGone``). A receiver should not depend on either: belegsync's
authenticates by a secret in its own URL and treats a call only as "look now".
"""

from __future__ import annotations

import hashlib
import hmac
import json
import secrets
import threading
from typing import Any

import httpx

#: Filters the double offers (``GET /webhooks/filters``); the real list is unverified.
FILTERS = {
    "order.created": "An order was added.",
    "order.updated": "An order was changed.",
    "order.invoice_created": "An invoice was created for an order.",
}


def sign(secret: str, body: bytes) -> str:
    return "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


def echo_check(uri: str, timeout: float = 5.0) -> str | None:
    """The registration's echo call; None when it passed, else what went wrong."""
    if "noecho" in uri:
        return None
    echo = secrets.token_hex(8)
    try:
        answer = httpx.get(uri, params={"echo": echo}, timeout=timeout)
    except httpx.HTTPError as exc:
        return f"echo call failed: {exc}"
    if answer.status_code != 200 or answer.text.strip() != echo:
        return f"echo call answered {answer.status_code}"
    return None


class Deliveries:
    """Registered webhooks and what was delivered to them (for tests and the bench)."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.hooks: dict[str, dict[str, Any]] = {}
        #: (webhook id, action, HTTP status or the error's text), as delivered.
        self.log: list[tuple[str, str, int | str]] = []
        self.synchronous = False

    def register(self, body: dict[str, Any]) -> dict[str, Any]:
        hook = {
            "Id": body.get("Id") or secrets.token_hex(8),
            "WebHookUri": body["WebHookUri"],
            "Secret": body.get("Secret") or "",
            "Description": body.get("Description") or "",
            "IsPaused": bool(body.get("IsPaused", False)),
            "Filters": list(body.get("Filters") or []),
            "Headers": dict(body.get("Headers") or {}),
            "Properties": dict(body.get("Properties") or {}),
        }
        with self.lock:
            self.hooks[hook["Id"]] = hook
        return hook

    def public(self, hook: dict[str, Any]) -> dict[str, Any]:
        """A registration as the API returns it: the secret is not echoed back."""
        return {**hook, "Secret": None}

    def wanted(self, action: str) -> list[dict[str, Any]]:
        with self.lock:
            return [
                h
                for h in self.hooks.values()
                if not h["IsPaused"]
                and (not h["Filters"] or action in h["Filters"] or "*" in h["Filters"])
            ]

    def notify(self, action: str, data: dict[str, Any]) -> None:
        """Deliver ``action`` to every registration that wants it, each in its own thread
        (Billbee calls out of band; a slow receiver does not slow the API)."""
        for hook in self.wanted(action):
            if self.synchronous:
                self._deliver(hook, action, data)
            else:
                threading.Thread(
                    target=self._deliver, args=(hook, action, data), daemon=True
                ).start()

    def _deliver(self, hook: dict[str, Any], action: str, data: dict[str, Any]) -> None:
        body = json.dumps(
            {
                "Id": secrets.token_hex(8),
                "Attempt": 1,
                "Properties": hook["Properties"],
                "Notifications": [{"Action": action, **data}],
            }
        ).encode()
        headers = {"Content-Type": "application/json", **hook["Headers"]}
        if hook["Secret"]:
            headers["ms-signature"] = sign(hook["Secret"], body)
        try:
            answer = httpx.post(hook["WebHookUri"], content=body, headers=headers, timeout=10)
            outcome: int | str = answer.status_code
        except httpx.HTTPError as exc:
            outcome = f"{type(exc).__name__}: {exc}"
        with self.lock:
            self.log.append((hook["Id"], action, outcome))
            if outcome == 410:  # the receiver says the registration is gone
                self.hooks.pop(hook["Id"], None)
