"""``/healthz``: is the database answering? For load balancers and monitors, no login."""

from __future__ import annotations

import logging

from django.contrib.auth.decorators import login_not_required
from django.db import DatabaseError, connection
from django.http import HttpRequest, JsonResponse
from django.views.decorators.cache import never_cache

log = logging.getLogger("belegsync.web")


@login_not_required
@never_cache
def healthz(request: HttpRequest) -> JsonResponse:
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            cursor.fetchone()
    except DatabaseError as error:
        log.warning("healthz: database check failed: %s", type(error).__name__)
        return JsonResponse({"database": "error"}, status=503)
    return JsonResponse({"database": "ok"})
