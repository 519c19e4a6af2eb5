"""Import a Rechnungsliste file into a connection: the one service behind upload page and CLI.

Rules (issue [afterbuy-csv], DESIGN.md §4):

- A file that cannot be read at all (empty, binary, unknown encoding, cut off, a
  required column missing) imports nothing and says why.
- Row problems (a bad number, a bad date …) are listed with line, column and
  value. Mode ``valid`` imports every invoice without problems; mode
  ``nothing`` imports nothing while any problem is left.
- Storing follows :mod:`belegsync.sync.ingest`: new → waiting (or failed when the
  voucher does not add up); waiting / failed → updated; done / manual → kept
  and reported "already transferred" (newer data waits for the merchant's
  re-upload); unchanged → nothing. The same file twice changes nothing.
- All writes of one import run in one transaction: an error part-way leaves the
  database as it was.

Invoices are stored in batches through :func:`belegsync.sync.ingest.store_batch`
(new ones in one bulk insert), because a Rechnungsliste can hold a year of
invoices; the rules live there, for every source alike.

Each upload is kept under ``DATA_DIR/uploads/<id>/`` with an ``import.json``
record (who, when, file, mode, progress, result), so support can see what was
uploaded and what came of it.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import uuid
from collections.abc import Callable, Iterable
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from belegsync.connectors.base import SourceDocument
from belegsync.documents.models import Connection
from belegsync.documents.states import State
from belegsync.sync.ingest import store_batch

from .csv import FileProblem, ParsedInvoice, RechnungslisteReader

MODE_VALID = "valid"
MODE_NOTHING = "nothing"
MODES = (MODE_VALID, MODE_NOTHING)
DEFAULT_MAX_BYTES = 200 * 1024 * 1024
BATCH = 500
#: How many numbers per outcome and row problems a record keeps (the counts are complete).
KEEP = 200
_TRANSFERRED = frozenset(map(str, (State.PROCESSING, State.DONE, State.MANUAL)))
_SAFE_NAME = re.compile(r"[^A-Za-z0-9._-]+")


def max_upload_bytes() -> int:
    """The upload limit: ``settings.AFTERBUY_CSV_MAX_BYTES``, default 200 MB."""
    return int(getattr(settings, "AFTERBUY_CSV_MAX_BYTES", DEFAULT_MAX_BYTES))


def uploads_dir() -> Path:
    return Path(settings.DATA_DIR) / "uploads"


@dataclass
class ImportRecord:
    """One upload and what came of it; stored as ``import.json`` next to the file."""

    id: str
    organisation_id: int
    connection_id: int
    filename: str
    stored_name: str
    size: int
    mode: str
    actor: str
    uploaded_at: str
    status: str = "pending"  # pending, running, done, error, needs_mapping
    started_at: str = ""
    finished_at: str = ""
    bytes_done: int = 0
    encoding: str = ""
    delimiter: str = ""
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    already_transferred: int = 0
    pending_reupload: int = 0
    failed: int = 0
    #: Invoices with row problems, not imported.
    rejected: int = 0
    numbers: dict[str, list[str]] = field(default_factory=dict)
    problems: list[dict[str, Any]] = field(default_factory=list)
    problems_total: int = 0
    file_error: dict[str, Any] | None = None

    @property
    def directory(self) -> Path:
        return uploads_dir() / self.id

    @property
    def path(self) -> Path:
        return self.directory / self.stored_name

    @property
    def stored(self) -> int:
        return self.created + self.updated + self.failed

    @property
    def nothing_imported(self) -> bool:
        """True when the import left the database as it was (for the CLI's exit code)."""
        return self.stored == 0 and self.pending_reupload == 0

    @property
    def percent(self) -> int:
        return min(100, self.bytes_done * 100 // self.size) if self.size else 100

    def save(self) -> None:
        self.directory.mkdir(parents=True, exist_ok=True)
        target = self.directory / "import.json"
        temporary = target.with_suffix(".tmp")
        temporary.write_text(json.dumps(asdict(self), ensure_ascii=False, indent=1), "utf-8")
        os.replace(temporary, target)

    @classmethod
    def load(cls, import_id: str) -> ImportRecord:
        if not re.fullmatch(r"[0-9a-f]{32}", import_id):
            raise FileNotFoundError(import_id)
        data = json.loads((uploads_dir() / import_id / "import.json").read_text("utf-8"))
        return cls(**data)

    def reset_counts(self) -> None:
        for name in (
            "created",
            "updated",
            "unchanged",
            "already_transferred",
            "pending_reupload",
            "failed",
        ):
            setattr(self, name, 0)
        self.numbers = {}

    def count(self, outcome: str, number: str) -> None:
        setattr(self, outcome, getattr(self, outcome) + 1)
        kept = self.numbers.setdefault(outcome, [])
        if len(kept) < KEEP:
            kept.append(number)

    def reject(self, invoice: ParsedInvoice) -> None:
        self.count("rejected", invoice.number or f"#{invoice.line}")
        for problem in invoice.problems:
            self.problems_total += 1
            if len(self.problems) < KEEP:
                self.problems.append(problem.as_dict())


class UploadTooLarge(ValueError):
    def __init__(self, size: int, limit: int) -> None:
        mb = limit // (1024 * 1024)
        self.message_de = (
            f"Die Datei ist größer als {mb} MB. Exportieren Sie einen kürzeren Zeitraum "
            "(Filter in der Rechnungsliste) und laden Sie die Teile nacheinander hoch."
        )
        self.message_en = (
            f"The file is larger than {mb} MB. Export a shorter period (filters in the "
            "invoice list) and upload the parts one after another."
        )
        super().__init__(self.message_en)


def save_upload(
    connection: Connection,
    chunks: Iterable[bytes],
    filename: str,
    *,
    mode: str = MODE_VALID,
    actor: str = "system",
) -> ImportRecord:
    """Keep an uploaded file under the data dir with a pending import record."""
    if mode not in MODES:
        raise ValueError(f"mode must be one of {MODES}")
    limit = max_upload_bytes()
    import_id = uuid.uuid4().hex
    stored_name = _SAFE_NAME.sub("_", Path(filename).name)[-100:] or "upload.csv"
    record = ImportRecord(
        id=import_id,
        organisation_id=connection.organisation_id,
        connection_id=connection.pk,
        filename=Path(filename).name,
        stored_name=stored_name,
        size=0,
        mode=mode,
        actor=actor,
        uploaded_at=timezone.now().isoformat(),
    )
    record.directory.mkdir(parents=True, exist_ok=True)
    size = 0
    try:
        with record.path.open("wb") as out:
            for chunk in chunks:
                size += len(chunk)
                if size > limit:
                    raise UploadTooLarge(size, limit)
                out.write(chunk)
    except UploadTooLarge:
        shutil.rmtree(record.directory, ignore_errors=True)
        raise
    record.size = size
    record.save()
    return record


def save_upload_from_path(
    connection: Connection, path: Path, *, mode: str = MODE_VALID, actor: str = "system"
) -> ImportRecord:
    with path.open("rb") as handle:
        return save_upload(
            connection,
            iter(lambda: handle.read(1024 * 1024), b""),
            path.name,
            mode=mode,
            actor=actor,
        )


def run_import(record: ImportRecord, mapping: dict[str, str] | None = None) -> ImportRecord:
    """Import a saved upload into its connection; the record says what happened."""
    connection = Connection.objects.get(pk=record.connection_id)
    if mapping is None:
        mapping = dict(connection.settings.get("csv_mapping") or {})
    record.status, record.started_at = "running", timezone.now().isoformat()
    record.reset_counts()
    record.rejected, record.problems, record.problems_total, record.file_error = 0, [], 0, None
    record.save()

    def progress(done: int, total: int) -> None:
        record.bytes_done = done
        record.save()

    try:
        reader = RechnungslisteReader(record.path, mapping)
        record.encoding = reader.layout.encoding_label
        record.delimiter = reader.layout.delimiter_label
        if record.mode == MODE_NOTHING:
            for invoice in reader.invoices():
                if invoice.document is None:
                    record.reject(invoice)
        if not record.problems_total:
            with transaction.atomic():
                _store_all(connection, reader, record, progress)
        record.status = "done"
    except FileProblem as problem:
        record.reset_counts()
        record.file_error = problem.as_dict()
        record.status = "needs_mapping" if problem.code == "missing_columns" else "error"
    record.bytes_done = record.size
    record.finished_at = timezone.now().isoformat()
    record.save()
    return record


def _store_all(
    connection: Connection,
    reader: RechnungslisteReader,
    record: ImportRecord,
    progress: Callable[[int, int], None],
) -> None:
    batch: list[SourceDocument] = []
    for invoice in reader.invoices(progress):
        if invoice.document is None:
            record.reject(invoice)
            continue
        batch.append(invoice.document)
        if len(batch) >= BATCH:
            _store_batch(connection, batch, record)
            batch = []
    _store_batch(connection, batch, record)


def _store_batch(connection: Connection, batch: list[SourceDocument], record: ImportRecord) -> None:
    for stored in store_batch(connection, batch, actor=record.actor, detail={"import": record.id}):
        if stored.previous_state in _TRANSFERRED:
            record.count("already_transferred", stored.number)
            if stored.outcome == "pending_reupload":
                record.count("pending_reupload", stored.number)
        elif stored.outcome == "skipped" and stored.previous_state is not None:
            record.count("unchanged", stored.number)
        else:
            record.count(stored.outcome, stored.number)
