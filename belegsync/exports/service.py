"""Select documents, write them in a format, record the job, tag what was exported.

The web views, the CLI and the benchmark all call :func:`run_export`. Writing is
streaming: documents are read with ``.iterator(chunk_size=…)`` and each voucher is
written to disk before the next is read, so 100 000 documents never sit in memory.
A document the format cannot carry is left out with its reason; only documents
that are in the finished, validated file get the tag.

A job holds a lease while it writes. One whose process died (kill -9, a full
disk, a lost database) keeps "running" only until the lease runs out:
:func:`recover` then ends it as failed, removes its rows in the same
transaction and its temporary files, and its page offers to try again.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import logging
import os
import shutil
import socket
import tempfile
import zipfile
from collections.abc import Iterable
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from django.conf import settings
from django.db import connection, transaction
from django.db.models import Exists, OuterRef, Q, QuerySet
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from belegsync.connectors import registry
from belegsync.connectors.errors import ConfigError
from belegsync.connectors.exporters import ExportDocument, Exporter, ExportWriter, LeftOut
from belegsync.connectors.reasons import Reason, as_json
from belegsync.connectors.settings import AdapterSettings, read
from belegsync.documents import listing
from belegsync.documents.models import Document, DocumentFile, Organisation
from belegsync.sync.ingest import insert_rows

from .models import (
    DocumentTag,
    ExportedDocument,
    ExporterSettings,
    ExportJob,
    TagOption,
    exports_dir,
)

log = logging.getLogger(__name__)

CHUNK = 2000
PDF_CHUNK = 50  # each row carries a PDF
BATCH = 1000
#: How many left-out documents and number mappings the summary lists itself; all of
#: them are in the job's ExportedDocument rows.
SUMMARY_LIMIT = 1000


def export_lease() -> dt.timedelta:
    return dt.timedelta(seconds=getattr(settings, "BELEGSYNC_EXPORT_LEASE_SECONDS", 300))


class LeaseLost(Exception):
    """The job was ended as interrupted while this process still wrote it."""


#: Why a finished job has no file (``ExportJob.summary["no_file"]``).
NOTHING_EXPORTED = "nothing_exported"
NO_PDFS = "no_pdfs"


class ExportError(Exception):
    """The export cannot run (e.g. no DATEV settings): ``code`` is what the merchant reads."""

    def __init__(self, message: str, code: str) -> None:
        super().__init__(message)
        self.code = code


# --- selection ------------------------------------------------------------------


@dataclass
class Criteria:
    """The overview's filters; also what the CLI selects with."""

    connections: list[int] = field(default_factory=list)
    date_from: dt.date | None = None
    date_to: dt.date | None = None
    state: str = ""
    kind: str = ""
    shop: str = ""
    #: "" any, "tagged", "untagged", or a tag name ("DATEV").
    tagged: str = ""
    search: str = ""

    def as_json(self) -> dict[str, Any]:
        data = asdict(self)
        for key in ("date_from", "date_to"):
            data[key] = data[key].isoformat() if data[key] else None
        return {k: v for k, v in data.items() if v not in (None, "", [])}

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Criteria:
        """What :meth:`as_json` wrote (keys it does not know are left out)."""
        known = {k: v for k, v in data.items() if k in cls.__dataclass_fields__}
        for key in ("date_from", "date_to"):
            if known.get(key):
                known[key] = dt.date.fromisoformat(known[key])
        return cls(**known)


def has_tag(tag: str | None = None) -> Exists:
    tags = DocumentTag.objects.filter(document=OuterRef("pk"))
    return Exists(tags.filter(tag=tag) if tag else tags)


def filter_documents(documents: QuerySet[Document], c: Criteria) -> QuerySet[Document]:
    """``documents`` (already scoped to one organisation) narrowed by the criteria."""
    qs = documents
    if c.connections:
        qs = qs.filter(connection_id__in=c.connections)
    if c.date_from:
        qs = qs.filter(invoice_date__gte=c.date_from)
    if c.date_to:
        qs = qs.filter(invoice_date__lte=c.date_to)
    if c.state:
        qs = qs.filter(state=c.state)
    if c.kind:
        qs = qs.filter(kind=c.kind)
    if c.shop:
        qs = qs.filter(voucher__shop=c.shop)
    if c.tagged == "tagged":
        qs = qs.filter(has_tag())
    elif c.tagged == "untagged":
        qs = qs.exclude(has_tag())
    elif c.tagged:
        qs = qs.filter(has_tag(c.tagged))
    if c.search.strip():
        term = c.search.strip()
        qs = qs.filter(
            Q(source_number__icontains=term)
            | Q(voucher__order_number__icontains=term)
            | Q(voucher__party__name__icontains=term)
            | Q(voucher__party__company__icontains=term)
            | Q(voucher__party__email__icontains=term)
        )
    return qs


def count_documents(
    documents: QuerySet[Document], connection_ids: Iterable[int], c: Criteria
) -> int:
    """How many documents ``documents`` (:func:`filter_documents` of the organisation's
    documents by ``c``) are; ``connection_ids``: the organisation's connections.

    Narrowed by connection, state and invoice dates only (the overview as it opens, a
    state, a month), the counts the database keeps answer (:func:`listing.kept_total`)
    instead of a COUNT over every matching document. Any other filter: a COUNT bounded
    by it.
    """
    if c.kind or c.shop or c.tagged or c.search.strip():
        return documents.count()
    ids = [i for i in connection_ids if not c.connections or i in c.connections]
    return listing.kept_total(ids, c.state, c.date_from, c.date_to)


# --- formats --------------------------------------------------------------------


def format_settings(organisation: Organisation, identifier: str) -> AdapterSettings:
    """The organisation's settings of the format, as its exporter's model.

    Raises :class:`ExportError` when they were never saved and the format cannot do
    without them (the DATEV numbers).
    """
    exporter = registry.exporter_class(identifier)
    stored = (
        ExporterSettings.objects.filter(organisation=organisation, exporter=identifier)
        .values_list("settings", flat=True)
        .first()
    )
    # a format that names the code for missing settings does not run on its defaults
    missing = getattr(exporter, "missing_settings_code", "")
    if stored is None and missing:
        raise ExportError(f"Set up the {exporter.tag} settings first.", code=missing)
    return read(exporter.settings_model, stored)


def _has_file(document: Document) -> bool:
    try:
        document.file  # noqa: B018 - a reverse one-to-one raises when missing
    except DocumentFile.DoesNotExist:
        return False
    return True


def _writer(
    exporter: type[Exporter],
    organisation: Organisation,
    directory: Path,
    period: tuple[dt.date, dt.date] | None,
) -> ExportWriter:
    made = exporter(format_settings(organisation, exporter.identifier), organisation.advisor)
    try:
        return made.writer(directory, created_at=timezone.localtime(), period=period)
    except ConfigError as error:
        raise ExportError(error.message, code=error.code) from None


# --- the export -----------------------------------------------------------------


def run_export(
    *,
    organisation: Organisation,
    documents: QuerySet[Document],
    fmt: str,
    option: TagOption | str = "",
    user: Any = None,
    criteria: dict[str, Any] | None = None,
    period: tuple[dt.date, dt.date] | None = None,
) -> ExportJob:
    """Export ``documents`` (scoped to ``organisation`` by the caller) as one job.

    Returns the finished job; a job that failed carries ``error`` and tagged nothing.
    """
    exporter = registry.exporter_class(str(fmt))
    job = ExportJob.objects.create(
        organisation=organisation,
        user=user,
        format=exporter.identifier,
        option=TagOption(option),
        tag=exporter.tag,
        criteria=criteria or {},
        worker=_worker(),
        lease_until=timezone.now() + export_lease(),
    )
    return _run(job, documents, period)


def queue_export(
    *,
    organisation: Organisation,
    criteria: Criteria,
    fmt: str,
    option: TagOption | str = "",
    ids: list[int] | None = None,
    user: Any = None,
    described: dict[str, Any] | None = None,
) -> ExportJob:
    """A job that exports the organisation's documents matching ``criteria`` (and among
    ``ids``, if given) once a task runs it (:func:`run_queued`), in the language of whoever
    queued it (the Excel CSV's headers and words)."""
    exporter = registry.exporter_class(str(fmt))
    return ExportJob.objects.create(
        organisation=organisation,
        user=user,
        format=exporter.identifier,
        option=TagOption(option),
        tag=exporter.tag,
        state=ExportJob.State.QUEUED,
        criteria=described if described is not None else criteria.as_json(),
        selection={
            "criteria": criteria.as_json(),
            "ids": ids,
            "language": translation.get_language(),
        },
    )


def run_queued(job_id: int) -> ExportJob | None:
    """Run a queued job here (the task's work); None when another worker has it already.

    The claim is a conditional UPDATE, so a task delivered twice writes the job once.
    """
    claimed = ExportJob.objects.filter(pk=job_id, state=ExportJob.State.QUEUED).update(
        state=ExportJob.State.RUNNING,
        worker=_worker(),
        lease_until=timezone.now() + export_lease(),
    )
    if not claimed:
        return None
    job = ExportJob.objects.select_related("organisation").get(pk=job_id)
    criteria = Criteria.from_json(job.selection.get("criteria") or {})
    documents = filter_documents(
        Document.objects.filter(connection__organisation=job.organisation), criteria
    )
    ids = job.selection.get("ids")
    if ids is not None:
        documents = documents.filter(pk__in=ids)
    period = None
    if criteria.date_from and criteria.date_to:
        period = (criteria.date_from, criteria.date_to)
    with translation.override(job.selection.get("language")):
        return _run(job, documents, period)


def _run(
    job: ExportJob, documents: QuerySet[Document], period: tuple[dt.date, dt.date] | None
) -> ExportJob:
    """Write the running job's file; see the module. A failure ends it as failed."""
    organisation, option, tag = job.organisation, TagOption(job.option), job.tag
    exporter = registry.exporter_class(job.format)
    selection = documents.filter(connection__organisation=organisation)
    already_tagged = 0
    if option is TagOption.ONLY_UNTAGGED:
        # left out because an earlier export of this format has them: counted as left out
        already_tagged = selection.filter(has_tag(tag)).count()
        selection = selection.exclude(has_tag(tag))
    selection = selection.order_by("invoice_date", "id")
    chunk = CHUNK
    if exporter.reads_pdfs:
        selection = selection.select_related("file")
        chunk = PDF_CHUNK
    else:
        selection = selection.only("id", "source_number", "kind", "voucher")
    work = Path(tempfile.mkdtemp(prefix=f"job-{job.pk}-", dir=exports_dir()))
    writer: ExportWriter | None = None
    try:
        writer = _writer(exporter, organisation, work, period)
        left_out = _write(job, writer, selection.iterator(chunk_size=chunk), exporter.reads_pdfs)
        files = writer.finish()
        if job.exported_count:
            _store_file(job, files)
        else:
            # a file without a single document (a 22-byte ZIP, a CSV of headers) is no
            # export: the job says why instead of offering it
            job.summary["no_file"] = NO_PDFS if exporter.reads_pdfs else NOTHING_EXPORTED
        with transaction.atomic():
            # done and tagged together: a job killed in between is neither
            _finish(job, writer, left_out, already_tagged)
            if option is TagOption.TAG:
                _tag(job)
    except Exception as error:
        message = str(error) if isinstance(error, ExportError) else f"Export failed: {error}"
        if isinstance(error, ExportError):
            why = Reason(error.code)
        else:
            log.exception("export job %s failed", job.pk)
            why = Reason("internal_error", {"error": type(error).__name__})
        if writer is not None:
            with contextlib.suppress(OSError):
                writer.abort()  # closing may fail again on a full disk; the handle is gone
        _fail(job, message, why)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    return job


def _worker() -> str:
    return f"{socket.gethostname()}:{os.getpid()}"[:150]


def _renew(job: ExportJob) -> None:
    """Extend the lease while writing; the job was ended meanwhile: stop."""
    kept = ExportJob.objects.filter(
        pk=job.pk, state=ExportJob.State.RUNNING, worker=job.worker
    ).update(lease_until=timezone.now() + export_lease())
    if not kept:
        raise LeaseLost(job.pk)


def _fail(job: ExportJob, message: str, why: Reason | None = None) -> bool:
    """End a running job as failed: its rows go in the same transaction, then its files."""
    if why is not None:
        job.summary["error_reasons"] = as_json([why])
    with transaction.atomic():
        ended = ExportJob.objects.filter(pk=job.pk, state=ExportJob.State.RUNNING).update(
            state=ExportJob.State.FAILED,
            error=message,
            summary=job.summary,
            finished_at=timezone.now(),
            lease_until=None,
        )
        if ended:
            ExportedDocument.objects.filter(job_id=job.pk).delete()
    if ended:
        job.state, job.error = ExportJob.State.FAILED, message
        _remove_files(job.pk)
    return bool(ended)


def _remove_files(job_id: int) -> None:
    """A failed job's temporary folder and any file it had begun to keep."""
    folder = exports_dir()
    for path in [*folder.glob(f"job-{job_id}-*"), *folder.glob(f"{job_id}-*")]:
        if path.is_dir():
            shutil.rmtree(path, ignore_errors=True)
        else:
            path.unlink(missing_ok=True)


def recover(now: dt.datetime | None = None) -> list[int]:
    """End the running jobs whose process is gone (lease run out); returns their ids."""
    now = now or timezone.now()
    ended = []
    stale = ExportJob.objects.filter(state=ExportJob.State.RUNNING).filter(
        Q(lease_until__lt=now) | Q(lease_until__isnull=True, created_at__lt=now - export_lease())
    )
    for job in stale.only("pk", "state"):
        message = _(
            "The export was interrupted (the server stopped, or its disk was full). Nothing "
            "was tagged; try again."
        )
        if _fail(job, message):
            log.warning("export job %s lost its process; ended as failed", job.pk)
            ended.append(job.pk)
    return ended


def _write(
    job: ExportJob, writer: ExportWriter, documents: Iterable[Document], with_pdf: bool
) -> list[dict[str, Any]]:
    """Write every document; record each as exported or left out. Returns the first
    SUMMARY_LIMIT left-out entries."""
    buffer: list[tuple[int, int, bool, str, str]] = []
    left_out: list[dict[str, Any]] = []
    exported = skipped = 0
    for document in documents:
        try:
            try:
                voucher = document.as_voucher()
            except (KeyError, ValueError, TypeError) as error:
                raise LeftOut(
                    f"The stored voucher cannot be read ({error}).",
                    [Reason("export.unreadable_voucher")],
                ) from None
            pdf = bytes(document.file.content) if with_pdf and _has_file(document) else None
            reference = writer.add(ExportDocument(document.pk, voucher, pdf))
        except LeftOut as reason:
            skipped += 1
            if len(left_out) < SUMMARY_LIMIT:
                left_out.append(
                    {
                        "document": document.pk,
                        "number": document.source_number,
                        "reason": str(reason),
                        # what the merchant reads, in their language (belegsync.reasons)
                        "reasons": as_json(reason.reasons),
                    }
                )
            buffer.append((job.pk, document.pk, False, "", str(reason)))
        else:
            exported += 1
            buffer.append((job.pk, document.pk, True, reference, ""))
        if len(buffer) >= BATCH:
            _record(buffer)
            buffer.clear()
            _renew(job)
    _record(buffer)
    job.exported_count, job.left_out_count = exported, skipped
    return left_out


def _record(rows: list[tuple[int, int, bool, str, str]]) -> None:
    """Insert export records (job, document, exported, reference, reason) in one statement.

    Not ``bulk_create`` (building model instances and its SQL was 13 % of a
    100,000-document DATEV export) and not ``executemany``: outside a transaction
    each of its rows is a transaction of its own on SQLite (11 s of that export).
    """
    names = ("job_id", "document_id", "exported", "reference", "reason")
    insert_rows(ExportedDocument, [dict(zip(names, row, strict=True)) for row in rows])


def _store_file(job: ExportJob, files: list[Path]) -> None:
    if not files:
        return
    if len(files) == 1:
        source, name = files[0], files[0].name
    else:
        # several DATEV files (fiscal years, or more than 99 999 bookings): one ZIP
        name = f"EXTF_Buchungsstapel_job{job.pk}.zip"
        source = files[0].parent / name
        with zipfile.ZipFile(source, "w", compression=zipfile.ZIP_DEFLATED) as archive:
            for path in files:
                archive.write(path, path.name)
    relative = f"{job.pk}-{name}"
    target = exports_dir() / relative
    shutil.move(source, target)
    job.file_name = name
    job.file_path = relative
    job.file_size = target.stat().st_size
    job.summary["files"] = [p.name for p in files]


def _finish(
    job: ExportJob, writer: ExportWriter, left_out: list[dict[str, Any]], already_tagged: int
) -> None:
    mapping = [
        {"belegfeld1": short, "number": full}
        for short, full in list(writer.number_map.items())[:SUMMARY_LIMIT]
    ]
    job.summary.update(
        {
            "exported": job.exported_count,
            # left out by the format (listed with their reasons) and for their tag
            "left_out_count": job.left_out_count,
            "already_tagged": already_tagged,
            "left_out": left_out,
            "number_map_count": len(writer.number_map),
            "number_map": mapping,
        }
    )
    job.left_out_count += already_tagged
    job.state = ExportJob.State.DONE
    job.finished_at = timezone.now()
    job.save()


def _tag(job: ExportJob) -> None:
    """Tag the documents that are in the file — and only those — in one statement."""
    tags, entries = DocumentTag._meta.db_table, ExportedDocument._meta.db_table
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {tags} (document_id, tag, job_id, tagged_at) "  # noqa: S608 (table names)
            f"SELECT document_id, %s, %s, %s FROM {entries} WHERE job_id = %s AND exported "
            "ON CONFLICT (document_id, tag) DO NOTHING",
            [job.tag, job.pk, connection.ops.adapt_datetimefield_value(timezone.now()), job.pk],
        )
