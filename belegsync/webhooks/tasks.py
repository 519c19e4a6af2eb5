"""The webhook task: collect new events into deliveries, then send what is due."""

from __future__ import annotations

from django_tasks import task

from . import outbox, sender
from .models import Endpoint


@task(queue_name="default")
def dispatch() -> int:
    outbox.collect()
    return sender.send_due()


def enqueue_dispatch() -> bool:
    """Queue a dispatch when any organisation has an endpoint (the scheduler's tick)."""
    if not Endpoint.objects.filter(active=True).exists():
        return False
    dispatch.enqueue()
    return True
