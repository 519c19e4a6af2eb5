"""What the engine keeps for itself: shared pacing, worker heartbeats, cycle records."""

from __future__ import annotations

from django.db import models
from django.utils import timezone

from belegsync.documents.models import Connection


class RateBucket(models.Model):
    """One remote account's token bucket, shared by every worker on every machine.

    ``key`` names the remote system and account (never a credential); ``tokens``
    may go negative: a worker that borrowed from the future sleeps until then.
    """

    key = models.CharField(max_length=200, primary_key=True)
    tokens = models.FloatField()
    #: Wall-clock seconds (time.time()) of the last update; every machine's clock counts.
    updated = models.FloatField()


class WorkerHeartbeat(models.Model):
    """A worker process says it is alive every few seconds (``/healthz``, dashboard)."""

    name = models.CharField(max_length=150, primary_key=True)
    started_at = models.DateTimeField(default=timezone.now)
    seen_at = models.DateTimeField(default=timezone.now, db_index=True)


class CycleRecord(models.Model):
    """One sync cycle of a connection: what it fetched and moved, and how long it took."""

    connection = models.ForeignKey(Connection, on_delete=models.CASCADE, related_name="cycles")
    worker = models.CharField(max_length=150)
    started_at = models.DateTimeField()
    seconds = models.FloatField(default=0.0)
    fetched = models.PositiveIntegerField(default=0)
    transferred = models.PositiveIntegerField(default=0)
    failed = models.PositiveIntegerField(default=0)
    retried = models.PositiveIntegerField(default=0)
    note = models.TextField(blank=True)

    class Meta:
        indexes = [models.Index(fields=["connection", "-started_at"], name="cycle_conn_started")]
