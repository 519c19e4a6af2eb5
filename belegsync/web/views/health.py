"""``/healthz``: is the database answering? For load balancers and monitors, no login.

``/healthz?workers=1`` also asks whether a sync worker is alive (a heartbeat
within 30 s): the check for a monitor of the sync, not for a load balancer in
front of the web server, which must keep serving while workers restart.
"""

from __future__ import annotations

from django.contrib.auth.decorators import login_not_required
from django.http import HttpRequest, JsonResponse
from django.views.decorators.cache import never_cache

from belegsync.sync import health


@login_not_required
@never_cache
def healthz(request: HttpRequest) -> JsonResponse:
    status = health.check(workers=bool(request.GET.get("workers")))
    if not status.database:
        return JsonResponse({"database": "error"}, status=503)
    answer: dict[str, object] = {"database": "ok"}
    if not status.secrets:
        answer["secrets"] = "unreadable with the configured keys"
    if status.workers is not None:
        answer.update(workers="ok" if status.workers else "none alive", alive=status.workers)
    return JsonResponse(answer, status=200 if status.ok else 503)
