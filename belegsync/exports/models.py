"""Manual exports: the organisation's settings of each format, export jobs and document tags."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from belegsync.connectors import registry
from belegsync.documents.models import Document, Organisation


def _formats() -> list[tuple[str, tuple[str, Any]]]:
    """One choice per exporter in the registry (``connectors.registry.EXPORTERS``)."""
    return [
        (identifier.upper().replace("-", "_"), (identifier, exporter.verbose_name))
        for identifier, exporter in (
            (identifier, registry.exporter_class(identifier)) for identifier in registry.EXPORTERS
        )
    ]


#: The export formats the registry declares at start-up, as choices (the job's field, the
#: API's schema). What a format is and does is its exporter's: ``registry.exporter_class``.
ExportFormat = models.TextChoices("ExportFormat", _formats())  # type: ignore[misc]


class TagOption(models.TextChoices):
    #: Export the selection as it is, touch no tags.
    NONE = "", _("export all selected, leave tags alone")
    #: Mark every exported document with the format's tag.
    TAG = "tag", _("mark the exported documents with the tag")
    #: Leave out documents that already carry the format's tag.
    ONLY_UNTAGGED = "only_untagged", _("export only documents without the tag yet")


class ExporterSettings(models.Model):
    """An organisation's settings of one export format: its exporter's ``settings_model``,
    stored as JSON and written only through ``services.exports.update_format_settings``."""

    organisation = models.ForeignKey(
        Organisation, on_delete=models.CASCADE, related_name="exporter_settings"
    )
    #: The exporter's identifier in ``connectors.registry.EXPORTERS``.
    exporter = models.CharField(max_length=40)
    settings = models.JSONField(blank=True, default=dict)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["organisation", "exporter"], name="exporter_settings_unique"
            )
        ]

    def __str__(self) -> str:
        return f"{self.exporter} settings of {self.organisation_id}"


class ExportJob(models.Model):
    """One manual export: who, when, which documents, which file, what was left out."""

    class State(models.TextChoices):
        #: Waiting for a task to run it (``service.run_queued``).
        QUEUED = "queued", _("waiting to start")
        RUNNING = "running", _("running")
        DONE = "done", _("done")
        FAILED = "failed", _("failed")

    organisation = models.ForeignKey(
        Organisation, on_delete=models.CASCADE, related_name="export_jobs"
    )
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL
    )
    created_at = models.DateTimeField(default=timezone.now)
    finished_at = models.DateTimeField(null=True, blank=True)
    format = models.CharField(max_length=20, choices=ExportFormat.choices)
    option = models.CharField(max_length=20, choices=TagOption.choices, blank=True)
    tag = models.CharField(max_length=40)
    state = models.CharField(max_length=20, choices=State.choices, default=State.RUNNING)
    error = models.TextField(blank=True)
    #: The process writing it and until when: a running job whose lease ran out lost its
    #: process (killed, out of disk) and is ended by ``service.recover``.
    worker = models.CharField(max_length=150, blank=True)
    lease_until = models.DateTimeField(null=True, blank=True)
    #: The filters the selection was made with, for the history.
    criteria = models.JSONField(blank=True, default=dict)
    #: What a queued job exports: {"criteria": Criteria.as_json(), "ids": [...] or None}.
    selection = models.JSONField(blank=True, default=dict)
    file_name = models.CharField(max_length=200, blank=True)
    #: Relative to settings.DATA_DIR / "exports".
    file_path = models.CharField(max_length=300, blank=True)
    file_size = models.PositiveBigIntegerField(default=0)
    exported_count = models.PositiveIntegerField(default=0)
    left_out_count = models.PositiveIntegerField(default=0)
    #: {"files": [...], "left_out": [{number, reason}], "number_map": [...], …}
    summary = models.JSONField(blank=True, default=dict)
    documents = models.ManyToManyField(
        Document, through="ExportedDocument", related_name="export_jobs"
    )

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["organisation", "-id"], name="exportjob_org_id")]

    def __str__(self) -> str:
        return f"{self.get_format_display()} #{self.pk}"

    @property
    def path(self) -> Path | None:
        if not self.file_path:
            return None
        return exports_dir() / self.file_path


class ExportedDocument(models.Model):
    """A document of a job: exported (with the reference it got) or left out (with why)."""

    job = models.ForeignKey(ExportJob, on_delete=models.CASCADE, related_name="entries")
    document = models.ForeignKey(Document, on_delete=models.CASCADE, related_name="+")
    exported = models.BooleanField()
    #: DATEV: Belegfeld 1; PDF ZIP: the file name in the ZIP.
    reference = models.CharField(max_length=200, blank=True)
    reason = models.TextField(blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["job", "document"], name="exported_document_unique")
        ]
        indexes = [models.Index(fields=["job", "exported"], name="exported_job_flag")]


class DocumentTag(models.Model):
    """A tag a document carries, e.g. "DATEV" after it went into a DATEV file."""

    document = models.ForeignKey(Document, on_delete=models.CASCADE, related_name="export_tags")
    tag = models.CharField(max_length=40)
    job = models.ForeignKey(ExportJob, null=True, blank=True, on_delete=models.SET_NULL)
    tagged_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["document", "tag"], name="document_tag_unique")
        ]
        indexes = [models.Index(fields=["tag", "document"], name="document_tag_tag")]

    def __str__(self) -> str:
        return self.tag


class DocumentShop(models.Model):
    """How many of a connection's documents name each shop (``voucher.shop``): kept by
    triggers on the documents table (migration ``exports/0005``), like the dashboard's
    counts, so the export page's shop choice reads a row per shop, not every voucher."""

    connection = models.ForeignKey(
        "documents.Connection", on_delete=models.CASCADE, related_name="+"
    )
    shop = models.TextField()
    n = models.BigIntegerField(default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["connection", "shop"], name="document_shop_unique")
        ]

    def __str__(self) -> str:
        return f"{self.shop} ({self.n})"


def exports_dir() -> Path:
    path: Path = Path(settings.DATA_DIR) / "exports"
    path.mkdir(parents=True, exist_ok=True)
    return path
