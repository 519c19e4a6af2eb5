"""Bearer tokens: every endpoint but health acts as the token's user."""

from __future__ import annotations

import math
import threading
import time
from typing import Any

from django.conf import settings
from django.db import connection
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

    Counted in the database (:func:`count_request`), so every web process and
    host of one installation counts the same requests. A fixed window: at most
    twice the limit can pass around a minute's turn, and ``Retry-After`` is
    exact (the seconds to the next minute). The wait is kept per thread, as
    ninja asks for it right after refusing.
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
        count = count_request(token.pk, minute)
        self._refused.wait = (minute + 1) * 60 - now
        return count <= limit

    def wait(self) -> float | None:
        return float(math.ceil(getattr(self._refused, "wait", 60.0)))


#: The table is RequestCount's (``api_requestcount``); a literal, so the statement is fixed.
COUNT_REQUEST = (
    "INSERT INTO api_requestcount (token_id, minute, requests) VALUES (%s, %s, 1) "
    "ON CONFLICT (token_id) DO UPDATE SET "
    "requests = CASE WHEN api_requestcount.minute = excluded.minute "
    "THEN api_requestcount.requests + 1 ELSE 1 END, "
    "minute = excluded.minute "
    "RETURNING requests"
)


def count_request(token_id: int, minute: int) -> int:
    """Count one request of the token in ``minute``; how many it has sent in it so far.

    One statement, atomic on SQLite (>= 3.35) and PostgreSQL alike: the
    token's row is created, counted on, or restarted at 1 when its minute has
    passed, and the new count comes back (``RETURNING``). Refused requests
    count too, so a client that keeps hammering stays refused to the minute's
    end. Outside a transaction the row lock is held for this statement only.
    """
    with connection.cursor() as cursor:
        cursor.execute(COUNT_REQUEST, [token_id, minute])
        (count,) = cursor.fetchone()
    return int(count)
