"""What the engine keeps for itself: shared pacing, worker heartbeats, cycle records,
and the import jobs of uploaded files."""

from __future__ import annotations

import uuid

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

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


def _upload_path(job: ImportJob, filename: str) -> str:
    # the original name is kept on the job; the stored name only has to be unique
    return f"imports/{timezone.now():%Y/%m}/{uuid.uuid4().hex}.upload"


class ImportOutcome(models.TextChoices):
    """What became of one row of an imported file (the result page's lines)."""

    CREATED = "created", _("new")
    UPDATED = "updated", _("updated")
    UNCHANGED = "unchanged", _("unchanged")
    SKIPPED = "skipped", _("skipped (outside the connection's filters)")
    ALREADY_TRANSFERRED = "already_transferred", _("skipped (already transferred)")
    PENDING_REUPLOAD = "pending_reupload", _("newer data kept for re-upload")
    FAILED = "failed", _("failed (voucher does not add up)")
    REJECTED = "rejected", _("not imported (problems in the file)")


class ImportJob(models.Model):
    """One uploaded file on its way into a connection: the one way files come in.

    It is read by a task through the connection's ``FileSource`` and stored by
    :mod:`belegsync.sync.ingest` like any fetched document. Everything the result
    page shows lives here, so it survives restarts: progress, the count per
    outcome (complete) with the first numbers of each, and the rejected rows
    with their reasons.
    """

    class State(models.TextChoices):
        PENDING = "pending", _("waiting to start")
        RUNNING = "running", _("importing")
        DONE = "done", _("done")
        FAILED = "failed", _("the file cannot be read")
        NEEDS_MAPPING = "needs_mapping", _("columns to assign")

    class Mode(models.TextChoices):
        VALID = "valid", _("import the valid invoices and list the others")
        NOTHING = "nothing", _("import nothing until the file is correct")

    connection = models.ForeignKey(Connection, on_delete=models.CASCADE, related_name="import_jobs")
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL
    )
    #: Who uploaded it, as the documents' history names them ("alice", "cli").
    actor = models.CharField(max_length=150)
    file = models.FileField(upload_to=_upload_path, max_length=300)
    #: The name the merchant's file had.
    filename = models.CharField(max_length=200)
    size = models.PositiveBigIntegerField(default=0)
    sha256 = models.CharField(max_length=64, blank=True)
    mode = models.CharField(max_length=10, choices=Mode.choices, default=Mode.VALID)
    state = models.CharField(max_length=20, choices=State.choices, default=State.PENDING)
    created_at = models.DateTimeField(default=timezone.now)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    #: The worker reading it and until when; another may take over after that.
    worker = models.CharField(max_length=150, blank=True)
    lease_until = models.DateTimeField(null=True, blank=True)
    attempts = models.PositiveIntegerField(default=0)
    #: Bytes of the file read in the current pass, and the pass (1: checking, 2: storing).
    bytes_done = models.PositiveBigIntegerField(default=0)
    phase = models.PositiveSmallIntegerField(default=0)
    #: Rows (documents and rejected parts) already stored: a restart resumes after them.
    rows_done = models.PositiveIntegerField(default=0)
    #: What the source detected (encoding, separator …).
    details = models.JSONField(blank=True, default=dict)
    #: {outcome: count} over the whole file, and the first numbers of each outcome.
    counts = models.JSONField(blank=True, default=dict)
    numbers = models.JSONField(blank=True, default=dict)
    #: The rejected rows' problems, the first PROBLEMS_KEPT of them; the total beside.
    problems = models.JSONField(blank=True, default=list)
    problems_total = models.PositiveIntegerField(default=0)
    #: Why the file as a whole could not be read (UnreadableFile.as_dict()).
    file_error = models.JSONField(null=True, blank=True)

    NUMBERS_KEPT = 200
    PROBLEMS_KEPT = 1000

    class Meta:
        indexes = [
            models.Index(fields=["connection", "-id"], name="importjob_conn_id"),
            models.Index(fields=["state", "lease_until"], name="importjob_state_lease"),
        ]

    def __str__(self) -> str:
        return f"{self.filename} #{self.pk}"

    def count(self, outcome: ImportOutcome | str) -> int:
        return int(self.counts.get(str(outcome), 0))

    @property
    def finished(self) -> bool:
        return self.state in (self.State.DONE, self.State.FAILED, self.State.NEEDS_MAPPING)

    @property
    def stored(self) -> int:
        """Documents this import created or changed."""
        return sum(
            self.count(o)
            for o in (ImportOutcome.CREATED, ImportOutcome.UPDATED, ImportOutcome.FAILED)
        )

    @property
    def nothing_imported(self) -> bool:
        return self.stored == 0 and self.count(ImportOutcome.PENDING_REUPLOAD) == 0

    @property
    def percent(self) -> int:
        """Both passes (checking, storing) as one bar."""
        if self.finished:
            return 100
        if not self.size:
            return 0
        done = min(self.bytes_done, self.size) + (self.size if self.phase >= 2 else 0)
        return min(99, done * 100 // (2 * self.size))


class MonthFile(models.Model):
    """One month's file of a connection whose target delivers files (DATEV).

    Never changed once made: documents that arrive for a month already
    delivered go into the next ``sequence`` (a correction), beside the first.
    """

    connection = models.ForeignKey(
        "documents.Connection", on_delete=models.PROTECT, related_name="month_files"
    )
    #: The first day of the month (by the connection's document date).
    month = models.DateField()
    sequence = models.PositiveSmallIntegerField(default=1)
    name = models.CharField(max_length=200)
    content = models.BinaryField()
    size = models.PositiveIntegerField()
    sha256 = models.CharField(max_length=64)
    created_at = models.DateTimeField(default=timezone.now)
    documents = models.ManyToManyField("documents.Document", related_name="month_files")

    class Meta:
        ordering = ["-month", "sequence"]
        constraints = [
            models.UniqueConstraint(
                fields=["connection", "month", "sequence"], name="month_file_unique"
            )
        ]

    def __str__(self) -> str:
        return self.name
