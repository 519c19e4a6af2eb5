"""Manual exports: the organisation's DATEV settings, export jobs and document tags."""

from __future__ import annotations

from pathlib import Path

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from belegsync.documents.models import Document, Organisation
from belegsync.targets.datev.extf import Chart, DatevSettings, DebtorMode


class ExportFormat(models.TextChoices):
    DATEV = "datev", _("DATEV Buchungsstapel (EXTF)")
    CSV = "csv", _("CSV")
    CSV_EXCEL = "csv-excel", _("CSV for Excel (semicolon, decimal comma)")
    PDF_ZIP = "pdf-zip", _("ZIP of PDFs")


#: The tag each format gives the documents it exported ("mark them with the tag").
FORMAT_TAGS = {
    ExportFormat.DATEV: "DATEV",
    ExportFormat.CSV: "CSV",
    ExportFormat.CSV_EXCEL: "CSV",
    ExportFormat.PDF_ZIP: "PDF",
}


class TagOption(models.TextChoices):
    #: Export the selection as it is, touch no tags.
    NONE = "", _("export all selected, leave tags alone")
    #: Mark every exported document with the format's tag.
    TAG = "tag", _("mark the exported documents with the tag")
    #: Leave out documents that already carry the format's tag.
    ONLY_UNTAGGED = "only_untagged", _("export only documents without the tag yet")


class DatevConfig(models.Model):
    """What the tax advisor tells the merchant for the DATEV file (one per organisation)."""

    organisation = models.OneToOneField(
        Organisation, on_delete=models.CASCADE, related_name="datev_config"
    )
    consultant_number = models.PositiveIntegerField(
        _("consultant number (Beraternummer)"),
        validators=[MinValueValidator(1001), MaxValueValidator(9_999_999)],
    )
    client_number = models.PositiveIntegerField(
        _("client number (Mandantennummer)"),
        validators=[MinValueValidator(1), MaxValueValidator(99_999)],
    )
    fiscal_year_start_month = models.PositiveSmallIntegerField(
        _("fiscal year starts in month"),
        default=1,
        validators=[MinValueValidator(1), MaxValueValidator(12)],
    )
    account_length = models.PositiveSmallIntegerField(
        _("account length (Sachkontenlänge)"),
        default=4,
        validators=[MinValueValidator(4), MaxValueValidator(8)],
    )
    chart = models.CharField(
        _("chart of accounts"),
        max_length=2,
        choices=[(Chart.SKR03.value, "SKR03"), (Chart.SKR04.value, "SKR04")],
        default=Chart.SKR03.value,
    )
    debtor_mode = models.CharField(
        _("customer accounts"),
        max_length=20,
        choices=[
            (DebtorMode.COLLECTIVE.value, _("one collective debtor")),
            (DebtorMode.PER_CUSTOMER.value, _("a debtor per customer number")),
        ],
        default=DebtorMode.COLLECTIVE.value,
    )
    collective_debtor = models.PositiveIntegerField(_("collective debtor"), null=True, blank=True)
    debtor_base = models.PositiveIntegerField(
        _("first debtor for customer numbers"), null=True, blank=True
    )
    oss_tax_key = models.CharField(_("OSS tax key"), max_length=4, blank=True)
    book_payments = models.BooleanField(_("book payments"), default=False)
    bank_account = models.PositiveIntegerField(_("bank account"), null=True, blank=True)
    #: {"domestic:19": 8400, …}: overrides of the standard revenue accounts.
    revenue_accounts = models.JSONField(blank=True, default=dict)
    #: {"paypal": 1360, …}: payment method → account.
    payment_accounts = models.JSONField(blank=True, default=dict)
    lock_bookings = models.BooleanField(
        _("lock bookings on import (Festschreibung)"), default=False
    )

    def to_settings(self) -> DatevSettings:
        return DatevSettings(
            consultant_number=self.consultant_number,
            client_number=self.client_number,
            fiscal_year_start_month=self.fiscal_year_start_month,
            account_length=self.account_length,
            chart=Chart(self.chart),
            debtor_mode=DebtorMode(self.debtor_mode),
            collective_debtor=self.collective_debtor,
            debtor_base=self.debtor_base,
            revenue_accounts={k: int(v) for k, v in (self.revenue_accounts or {}).items()},
            oss_tax_key=self.oss_tax_key,
            book_payments=self.book_payments,
            bank_account=self.bank_account,
            payment_accounts={k: int(v) for k, v in (self.payment_accounts or {}).items()},
            lock_bookings=self.lock_bookings,
        )


class ExportJob(models.Model):
    """One manual export: who, when, which documents, which file, what was left out."""

    class State(models.TextChoices):
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


def exports_dir() -> Path:
    path: Path = Path(settings.DATA_DIR) / "exports"
    path.mkdir(parents=True, exist_ok=True)
    return path
