"""``/healthz``: is the database answering? For load balancers and monitors, no login.

``/healthz?workers=1`` also asks whether a sync worker is alive (a heartbeat
within 30 s): the check for a monitor of the sync, not for a load balancer in
front of the web server, which must keep serving while workers restart.
"""

from __future__ import annotations

import logging

from django.contrib.auth.decorators import login_not_required
from django.db import DatabaseError, connection
from django.http import HttpRequest, JsonResponse
from django.views.decorators.cache import never_cache

from belegsync.sync.heartbeat import alive

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
    if not request.GET.get("workers"):
        return JsonResponse({"database": "ok"})
    workers = alive()
    return JsonResponse(
        {"database": "ok", "workers": "ok" if workers else "none alive", "alive": workers},
        status=200 if workers else 503,
    )
