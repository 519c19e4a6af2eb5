"""Bearer tokens: every endpoint but health acts as the token's user."""

from __future__ import annotations

import math
import threading
import time
from typing import Any

from django.conf import settings
from django.core.cache import cache
from django.http import HttpRequest
from ninja.security import HttpBearer
from ninja.throttling import BaseThrottle

from belegsync.documents.roles import Permission
from belegsync.services import Actor

from . import tokens
from .models import ApiToken


class TokenAuth(HttpBearer):
    def authenticate(self, request: HttpRequest, token: str) -> ApiToken | None:
        return tokens.authenticate(token)


def actor(request: HttpRequest, permission: Permission | None = None) -> Actor:
    """The actor of an authenticated request (``request.auth`` is its token).

    With ``permission``, its role must allow it (``RoleForbids``: 403) — for the
    reads; what changes something the services check themselves.
    """
    token: Any = getattr(request, "auth", None)
    if not isinstance(token, ApiToken):  # pragma: no cover - ninja answers 401 first
        raise PermissionError("Not authenticated.")
    who = tokens.actor_for(token)
    if permission is not None:
        who.require(permission)
    return who


class TokenThrottle(BaseThrottle):
    """``BELEGSYNC_API_REQUESTS_PER_MINUTE`` per token and clock minute; past it, 429.

    A counter per token and minute in Django's cache (``add`` + ``incr``, atomic
    in every backend): exact for one ``belegsync run`` process; several web
    processes share it once they share a cache. The wait until the next minute
    is kept per thread, as ninja asks for it right after refusing.
    """

    def __init__(self, clock: Any = time.time) -> None:
        self._clock = clock
        self._refused = threading.local()

    def allow_request(self, request: HttpRequest) -> bool:
        token = getattr(request, "auth", None)
        if not isinstance(token, ApiToken):
            return True
        limit = int(getattr(settings, "BELEGSYNC_API_REQUESTS_PER_MINUTE", 600))
        now = self._clock()
        minute = int(now // 60)
        key = f"belegsync-api-rate:{token.pk}:{minute}"
        cache.add(key, 0, timeout=120)
        try:
            count = cache.incr(key)
        except ValueError:  # evicted between add and incr: this request opens the minute
            cache.set(key, 1, timeout=120)
            count = 1
        self._refused.wait = (minute + 1) * 60 - now
        return bool(count <= limit)

    def wait(self) -> float | None:
        return float(math.ceil(getattr(self._refused, "wait", 60.0)))
