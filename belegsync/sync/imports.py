"""Read an uploaded file through its connection's source and store what it holds.

The one way files come in (DESIGN §6, STYLE "one way in"): an upload is an
:class:`~belegsync.sync.models.ImportJob`; a task reads it through the
connection's :class:`~belegsync.connectors.base.FileSource` and stores each
document with :func:`belegsync.sync.ingest.store_batch`, like a fetched one.

Two passes over the file:

1. **check**: read it all, store nothing. A file that breaks anywhere (cut
   off, another encoding from line N on, a column missing) imports nothing
   and says why; in mode ``nothing`` a single bad row stops it too.
2. **store**: in batches, each in one transaction together with the job's
   counts and the number of rows done. Progress shows between batches, and a
   worker killed in the middle leaves a consistent job: the next one resumes
   after the last stored batch (``rows_done``), so every row is counted once.

A finished import that changed anything makes its connection due at once:
what was uploaded is transferred now, not at the next interval.

A job whose worker is gone (killed, out of disk, cut off from the database)
keeps its lease until it runs out; :func:`recover` (every scheduler tick)
then queues it again, and the next worker resumes after the last stored
batch. After :data:`MAX_ATTEMPTS` the job ends as failed with the reason, and
its page offers to try again.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import functools
import gc
import logging
import multiprocessing
import pickle
import resource
import shutil
import tempfile
import threading
import traceback
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, NamedTuple

from django.conf import settings
from django.db import DatabaseError, transaction
from django.db import connection as db
from django.db.models import F, Q
from django.utils import timezone

from belegsync.connectors.base import FileSource, RejectedRow, SourceDocument
from belegsync.connectors.errors import ConnectorError, UnreadableFile
from belegsync.connectors.registry import UnknownKind
from belegsync.connectors.settings import Policy
from belegsync.documents.models import Document
from belegsync.documents.states import State

from . import scheduler
from .adapters import source_for
from .ingest import Outcome, Prepared, Stored, prepare, store_batch
from .models import ImportJob, ImportOutcome

log = logging.getLogger("belegsync.sync.imports")

#: Invoices stored per transaction: each batch costs its look-up, statements and
#: commit once. 1,000 rather than more: a batch's vouchers, rows and prepared values
#: are about 10 KB an invoice, the peak of the process (2,000: 19 MB more).
BATCH = 1000
#: A file of this size or more is read, and its batches prepared, in a second process
#: while this one stores (:func:`_read_aside`; about 5,000 invoices of the summary
#: layout): below, starting the process costs more than it saves.
READ_ASIDE_FROM = 1_000_000
#: Write the checking pass's progress at most this often (seconds).
PROGRESS_EVERY = 0.5
_TRANSFERRED = frozenset({State.PROCESSING, State.DONE, State.MANUAL})


#: A job whose worker was lost this often ends as failed instead of being resumed again.
MAX_ATTEMPTS = 3


class LeaseLost(Exception):
    """Another worker took the job over (this one was too slow): stop without writing."""


class WorkerLost(UnreadableFile):
    """The import stopped MAX_ATTEMPTS times without finishing (the file is not to blame)."""

    code = "worker_lost"

    def __init__(self, attempts: int, last_error: str = "") -> None:
        super().__init__(code=self.code, raw=last_error, attempts=attempts)
        self.attempts, self.last_error = attempts, last_error


def import_lease() -> dt.timedelta:
    return dt.timedelta(seconds=getattr(settings, "BELEGSYNC_IMPORT_LEASE_SECONDS", 300))


def claim(job_id: int, worker: str) -> ImportJob | None:
    """Take the job if it is waiting, or running with a lease that ran out; else None."""
    now = timezone.now()
    free = Q(state=ImportJob.State.PENDING) | Q(state=ImportJob.State.RUNNING, lease_until__lt=now)
    taken = ImportJob.objects.filter(Q(pk=job_id) & free).update(
        state=ImportJob.State.RUNNING,
        worker=worker[:150],
        lease_until=now + import_lease(),
        attempts=F("attempts") + 1,
    )
    if not taken:
        return None
    job = ImportJob.objects.select_related("connection__organisation").get(pk=job_id)
    if job.started_at is None:
        job.started_at = now
        ImportJob.objects.filter(pk=job.pk).update(started_at=now)
    return job


def run(job_id: int, worker: str) -> ImportJob | None:
    """Import the job's file; None when another worker has it or it is finished."""
    job = claim(job_id, worker)
    if job is None:
        return None
    try:
        return _run(job)
    except LeaseLost:
        log.warning("import job %s was taken over; worker %s stops", job.pk, worker)
        return None
    except (DatabaseError, OSError) as error:
        # a full disk, a lost database: the batch in flight rolled back; give the job
        # back at once so that recover() queues it again (or ends it after MAX_ATTEMPTS)
        log.exception("import job %s stopped: %s", job.pk, error)
        _give_back(job, error)
        return None


def _give_back(job: ImportJob, error: Exception) -> None:
    details = {**job.details, "last_error": str(error)[:200]}
    with contextlib.suppress(DatabaseError):
        ImportJob.objects.filter(
            pk=job.pk, state=ImportJob.State.RUNNING, worker=job.worker
        ).update(lease_until=timezone.now(), details=details)


def recover(enqueue: Callable[[int], object], now: dt.datetime | None = None) -> Recovered:
    """Jobs whose worker is gone (lease run out): queue them again, or end them as failed.

    Each job is moved by a conditional UPDATE, so two schedulers recover it once.
    """
    now = now or timezone.now()
    stale = ImportJob.objects.filter(state=ImportJob.State.RUNNING, lease_until__lt=now)
    recovered = Recovered()
    for pk, attempts, details in stale.values_list("pk", "attempts", "details"):
        still = ImportJob.objects.filter(pk=pk, state=ImportJob.State.RUNNING, lease_until__lt=now)
        if attempts >= MAX_ATTEMPTS:
            error = WorkerLost(attempts, (details or {}).get("last_error", ""))
            if still.update(
                state=ImportJob.State.FAILED,
                file_error=error.as_dict(),
                finished_at=now,
                lease_until=None,
            ):
                log.warning("import job %s failed after %s attempts", pk, attempts)
                recovered.failed.append(pk)
        elif still.update(state=ImportJob.State.PENDING, worker="", lease_until=None):
            enqueue(pk)
            log.warning("import job %s lost its worker; queued again", pk)
            recovered.resumed.append(pk)
    return recovered


@dataclass
class Recovered:
    resumed: list[int] = field(default_factory=list)
    failed: list[int] = field(default_factory=list)


def _run(job: ImportJob) -> ImportJob:
    try:
        source = source_for(job.connection)
    except (ConnectorError, UnknownKind) as error:
        raw = str(getattr(error, "message", error))
        return _unreadable(job, UnreadableFile(code="import.source_not_ready", raw=raw))
    if not isinstance(source, FileSource):
        kind = job.connection.source_kind
        return _unreadable(job, UnreadableFile(code="import.not_a_file_source", system=kind))
    try:
        with local_copy(job) as path, _heap_frozen():
            if job.phase < 2 and not _check(job, source, path):
                return _finish(job)
            _store(job, source, path)
    except UnreadableFile as error:
        return _unreadable(job, error)
    return _finish(job)


class _HeapFreeze:
    """Keeps the cyclic garbage collector off the objects that exist before an import.

    An import allocates millions of short-lived objects, and each full collection
    walks the whole heap, Django's and the app's objects included: 13 % of an
    import's CPU at 100,000 invoices. ``gc.freeze`` moves what exists into the
    permanent generation until the last running import ends; the import's own
    garbage is collected as before, garbage of before waits until then. A process
    that had frozen its heap itself (a pre-forking server does) stays frozen.
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._running = 0
        self._was_frozen = False

    @contextlib.contextmanager
    def __call__(self) -> Iterator[None]:
        with self._lock:
            if not self._running:
                self._was_frozen = gc.get_freeze_count() > 0
            self._running += 1
            gc.freeze()
        try:
            yield
        finally:
            with self._lock:
                self._running -= 1
                if not self._running and not self._was_frozen:
                    gc.unfreeze()


_heap_frozen = _HeapFreeze()


@contextlib.contextmanager
def local_copy(job: ImportJob) -> Iterator[Path]:
    """The stored upload as a local path (a temporary copy where storage is remote)."""
    try:
        local = Path(job.file.path)
    except NotImplementedError:  # a remote storage has no local path
        local = None
    if local is not None:
        # outside the try: an error of the caller's block must not reach the except
        yield local
        return
    with tempfile.NamedTemporaryFile(suffix=".upload") as copy:
        with job.file.open("rb") as stored:
            shutil.copyfileobj(stored, copy)
        copy.flush()
        yield Path(copy.name)


# --- pass 1: check -------------------------------------------------------------------


def _check(job: ImportJob, source: FileSource, path: Path) -> bool:
    """Read the whole file; False when nothing is to be stored (mode 'nothing', bad rows)."""
    _reset(job, phase=1)
    last = [0.0]

    def progress(done: int, total: int) -> None:
        now = timezone.now().timestamp()
        if now - last[0] >= PROGRESS_EVERY:
            last[0] = now
            _renew(job, bytes_done=done)

    reading = source.read_file(path, progress)
    job.details = dict(reading.details)
    ImportJob.objects.filter(pk=job.pk).update(details=job.details)
    if job.mode != ImportJob.Mode.NOTHING and reading.check is not None:
        # single bad rows do not stop this import: only a break of the whole file does,
        # and finding one needs no invoices made (the storing pass makes them once)
        reading.check()
        return _to_store(job)
    bad = False
    for row in reading.rows:
        if isinstance(row, RejectedRow) and job.mode == ImportJob.Mode.NOTHING:
            _reject(job, row)
            bad = True
    if bad:
        ImportJob.objects.filter(pk=job.pk).update(
            counts=job.counts, problems=job.problems, problems_total=job.problems_total
        )
        return False
    return _to_store(job)


def _to_store(job: ImportJob) -> bool:
    job.phase, job.bytes_done = 2, 0
    _renew(job, phase=2, bytes_done=0)
    return True


# --- pass 2: store ---------------------------------------------------------------------


def _store(job: ImportJob, source: FileSource, path: Path) -> None:
    position = [0]

    def progress(done: int, total: int) -> None:
        position[0] = done

    reading = source.read_file(path, progress)
    aside = path.stat().st_size >= READ_ASIDE_FROM and _can_fork()
    batches = functools.partial(
        _batches,
        reading.rows,
        position,
        job.rows_done,
        job.connection.policy,
        timezone.localdate(),
        keep_source=not aside,
        copy_text=aside and db.vendor == "postgresql",
    )
    analysed = False
    for batch in _read_aside(job, batches) if aside else batches():
        _commit(job, batch.documents, batch.rejected, batch.rows_done, batch.bytes_done)
        if not analysed:
            _analyse_documents()
            analysed = True


class Batch(NamedTuple):
    """The rows of the file up to ``rows_done`` (and ``bytes_done``) since the batch before:
    its documents prepared to store, and its rejected rows."""

    documents: list[Prepared]
    rejected: list[RejectedRow]
    rows_done: int
    bytes_done: int


def _batches(
    rows: Iterable[SourceDocument | RejectedRow],
    position: list[int],
    rows_done: int,
    policy: Policy,
    today: dt.date,
    *,
    keep_source: bool,
    copy_text: bool = False,
) -> Iterator[Batch]:
    """The file's rows after ``rows_done`` (stored by an earlier attempt, counted then) in
    batches of :data:`BATCH`; a last batch also when the file ends after ``rows_done``
    without a row to store, so that the job records the rows read. ``copy_text``: each
    document with its row's ``COPY`` text, made here rather than by the storing process
    (PostgreSQL, read aside)."""
    documents: list[Prepared] = []
    rejected: list[RejectedRow] = []
    index = done = rows_done
    for index, row in enumerate(rows, start=1):
        if index <= rows_done:
            continue
        if isinstance(row, RejectedRow):
            rejected.append(row)
        else:
            documents.append(
                prepare(row, policy, today, keep_source=keep_source, copy_text=copy_text)
            )
        if len(documents) + len(rejected) >= BATCH:
            yield Batch(documents, rejected, index, position[0])
            documents, rejected, done = [], [], index
    if documents or rejected or index > done:
        yield Batch(documents, rejected, index, position[0])


# --- reading aside: the file read and its batches prepared in a second process ------------


def _can_fork() -> bool:
    return "fork" in multiprocessing.get_all_start_methods()


def _read_aside(job: ImportJob, batches: Callable[[], Iterator[Batch]]) -> Iterator[Batch]:
    """``batches()`` made by a forked child process while this one stores the batch before.

    Reading, building and checking a voucher and dumping its stored form is two thirds
    of an import's work, and a worker host has two cores or more: so the child does it
    and sends each batch through a pipe (prepared rows: strings, numbers and dates, cheap
    to pickle), one batch ahead at most (the pipe's buffer holds it back). The child only
    reads the file: it uses no database connection, and stops when this process does
    (its pipe breaks). An error in the child is raised here; a child that dies without
    a word, or sends nothing for half the import's lease, ends the import as a lost
    worker would (it is resumed after its last batch).
    """
    context = multiprocessing.get_context("fork")
    receive, send = context.Pipe(duplex=False)
    child = context.Process(
        target=_produce, args=(batches, send, receive), name=f"import-{job.pk}-reader"
    )
    child.start()
    send.close()
    # a batch takes a second or so: a child silent for half a lease is stuck (forked
    # while another thread of the worker held a lock it needs), and the job goes back
    stalled = import_lease().total_seconds() / 2
    try:
        while True:
            if not receive.poll(stalled):
                raise OSError(f"the reading process of import job {job.pk} sent nothing")
            try:
                kind, payload = receive.recv()
            except EOFError:
                raise OSError(f"the reading process of import job {job.pk} ended") from None
            if kind == "batch":
                yield _received(payload)
            elif kind == "done":
                cpu, peak_kb = payload
                log.info(
                    "import job %s: read in process %s, CPU %.2f s, peak RSS %.0f MB",
                    job.pk,
                    child.pid,
                    cpu,
                    peak_kb / 1024,
                    extra={"reader_cpu": cpu, "reader_peak_rss_kb": peak_kb},
                )
                return
            else:
                raise _rebuilt(kind, payload)
    finally:
        receive.close()
        if child.is_alive():
            child.terminate()
        child.join()


def _produce(batches: Callable[[], Iterator[Batch]], send: Any, receive: Any) -> None:
    """The child: send every batch, then its CPU time and peak RSS (or the error)."""
    receive.close()  # else a pipe whose reader is gone would not break
    try:
        for batch in batches():
            send.send(("batch", _sendable(batch)))
        usage = resource.getrusage(resource.RUSAGE_SELF)
        send.send(("done", (usage.ru_utime + usage.ru_stime, usage.ru_maxrss)))
    except BaseException as error:  # every error goes to the storing process
        with contextlib.suppress(OSError):
            send.send(_portable(error))
    finally:
        send.close()


def _sendable(batch: Batch) -> tuple[Any, ...]:
    """A batch as the child sends it: each document as a plain tuple. A named tuple pickles
    through its ``__getnewargs__``, a Python call a document (2.6 → 1.5 µs an invoice)."""
    return tuple(map(tuple, batch.documents)), batch.rejected, batch.rows_done, batch.bytes_done


def _received(payload: tuple[Any, ...]) -> Batch:
    """The batch :func:`_sendable` sent, its documents :class:`Prepared` again."""
    documents, rejected, rows_done, bytes_done = payload
    as_prepared = tuple.__new__  # each tuple holds a Prepared's fields, in their order
    return Batch([as_prepared(Prepared, d) for d in documents], rejected, rows_done, bytes_done)


def _portable(error: BaseException) -> tuple[str, Any]:
    """``error`` as it can be rebuilt in the other process (:func:`_rebuilt`): an unreadable
    file by its reason (its keyword-only constructor does not unpickle), anything else as
    itself when it pickles, else as a RuntimeError with its traceback."""
    if isinstance(error, UnreadableFile):
        fields = {
            "code": error.code,
            "raw": error.raw,
            "line": error.line,
            "missing": error.missing,
            "headers": error.headers,
            **error.params,
        }
        return "unreadable", (type(error), fields)
    try:
        pickle.loads(pickle.dumps(error))  # noqa: S301 - our own object, just made
    except Exception:  # any error of pickling means: send its text
        return "error", RuntimeError("".join(traceback.format_exception(error)))
    return "error", error


def _rebuilt(kind: str, payload: Any) -> BaseException:
    if kind == "unreadable":
        cls, fields = payload
        return cls(**fields)  # type: ignore[no-any-return]
    return payload  # type: ignore[no-any-return]


def _analyse_documents() -> None:
    """Statistics for the planner, once an import has stored its first batch (PostgreSQL;
    SQLite plans without them).

    A batch's number look-up probes the unique index once a number
    (:func:`~belegsync.sync.ingest._known_sql`), a plan that any statistics of the
    number column keep, however much the table grows after them; without any (a
    table never analysed) PostgreSQL takes another index while the table is below
    a thousand rows or so, and walks the connection's rows for each number. So one
    ANALYZE after the first batch, not one at each doubling of the table: those cost
    0.1 to 0.2 s each, 8 % of the PostgreSQL backend's work at 100,000 invoices.

    Only of the columns the batch's look-up filters on (``document_number_unique``'s):
    the table's row count, which the planner is short of, is written by any ANALYZE, and
    the jsonb columns made a whole one cost four times as much (100,000 invoices: 0.60
    of 0.16 s a time; at 1,000,000 0.86 of 0.31 s). A column list does not count as the
    table analysed, so autovacuum still analyses it all once the import has changed
    enough of it (the list pages' plans need the other columns).
    """
    if db.vendor == "postgresql":
        meta, quote = Document._meta, db.ops.quote_name
        (unique,) = [c for c in meta.constraints if c.name == "document_number_unique"]
        columns = ", ".join(quote(meta.get_field(name).column) for name in unique.fields)
        with db.cursor() as cursor:
            cursor.execute(f"ANALYZE {quote(meta.db_table)} ({columns})")


def _commit(
    job: ImportJob,
    documents: list[Prepared],
    rejected: list[RejectedRow],
    rows_done: int,
    bytes_done: int,
) -> None:
    """Store one batch and the job's counts for it in one transaction, fenced by the lease."""
    with transaction.atomic():
        _commit_without_waiting()
        stored = store_batch(job.connection, documents, actor=job.actor, detail={"import": job.pk})
        for result in stored:
            _count_stored(job, result)
        for row in rejected:
            _reject(job, row)
        job.rows_done, job.bytes_done = rows_done, bytes_done
        _renew(
            job,
            rows_done=rows_done,
            bytes_done=bytes_done,
            counts=job.counts,
            numbers=job.numbers,
            problems=job.problems,
            problems_total=job.problems_total,
        )


def _commit_without_waiting() -> None:
    """PostgreSQL: the batch's commit returns before its WAL is on disk (``SET LOCAL
    synchronous_commit = off``: this transaction only).

    A crash of the database server may then lose the last batches committed (up to three
    times ``wal_writer_delay``, 0.6 s by default), but never a part of one, and never a
    batch without its job: the job's ``rows_done`` and counts are written in the same
    transaction, so they go back with it and the next worker resumes after the last batch
    the server kept. A worker that dies loses nothing (the server has the commit), and
    whatever commits synchronously after a batch, the job's end included, makes it durable
    (the WAL is flushed in order; a transfer claims a document by a commit of its own
    before it sends it). Waiting for the flush cost 0.2 s of an import of 100,000 invoices
    (the commits of it and of its re-import: 1.65 s, now 1.18 s, deferred checks included).
    """
    if db.vendor == "postgresql":
        with db.cursor() as cursor:
            cursor.execute("SET LOCAL synchronous_commit = off")


def _count_stored(job: ImportJob, stored: Stored) -> None:
    if stored.previous_state in _TRANSFERRED:
        _count(job, ImportOutcome.ALREADY_TRANSFERRED, stored.number)
        if stored.outcome == Outcome.PENDING_REUPLOAD:
            _count(job, ImportOutcome.PENDING_REUPLOAD, stored.number)
        return
    _count(job, _IMPORT_OUTCOMES[stored.outcome], stored.number)


#: The job's count of each outcome of storing (looked up once, not made per document).
_IMPORT_OUTCOMES = {outcome: ImportOutcome(outcome.value) for outcome in Outcome}


def _count(job: ImportJob, outcome: ImportOutcome, number: str) -> None:
    key = str(outcome)
    job.counts[key] = job.count(outcome) + 1
    kept = job.numbers.setdefault(key, [])
    if len(kept) < ImportJob.NUMBERS_KEPT:
        kept.append(number)


def _reject(job: ImportJob, row: RejectedRow) -> None:
    _count(job, ImportOutcome.REJECTED, row.number or f"#{row.line}")
    for problem in row.problems:
        job.problems_total += 1
        if len(job.problems) < ImportJob.PROBLEMS_KEPT:
            job.problems.append(dict(problem))


# --- the job's record ------------------------------------------------------------------


def _renew(job: ImportJob, **fields: object) -> None:
    """Write ``fields`` and extend the lease, only while this worker still holds the job."""
    written = ImportJob.objects.filter(
        pk=job.pk, state=ImportJob.State.RUNNING, worker=job.worker
    ).update(lease_until=timezone.now() + import_lease(), **fields)
    if not written:
        raise LeaseLost(job.pk)


def _reset(job: ImportJob, phase: int) -> None:
    job.phase, job.bytes_done, job.rows_done = phase, 0, 0
    job.counts, job.numbers, job.problems, job.problems_total = {}, {}, [], 0
    job.file_error = None
    _renew(
        job,
        phase=phase,
        bytes_done=0,
        rows_done=0,
        counts={},
        numbers={},
        problems=[],
        problems_total=0,
        file_error=None,
    )


def _unreadable(job: ImportJob, error: UnreadableFile) -> ImportJob:
    job.counts, job.numbers = {}, {}
    job.file_error = error.as_dict()
    needs_mapping = error.code == UnreadableFile.MISSING_COLUMNS
    job.state = ImportJob.State.NEEDS_MAPPING if needs_mapping else ImportJob.State.FAILED
    return _close(job)


def _finish(job: ImportJob) -> ImportJob:
    job.state = ImportJob.State.DONE
    job = _close(job)
    if not job.nothing_imported:
        # what was uploaded goes out now, not at the next interval
        scheduler.sync_now(job.connection)
    return job


def _close(job: ImportJob) -> ImportJob:
    job.finished_at = timezone.now()
    fields = {
        "state": job.state,
        "finished_at": job.finished_at,
        "counts": job.counts,
        "numbers": job.numbers,
        "file_error": job.file_error,
        "bytes_done": job.size,
        "lease_until": None,
    }
    written = ImportJob.objects.filter(
        pk=job.pk, state=ImportJob.State.RUNNING, worker=job.worker
    ).update(**fields)
    if not written:
        raise LeaseLost(job.pk)
    job.bytes_done = job.size
    return job


def restart(job: ImportJob) -> None:
    """Read the job again from the start (e.g. after its columns were assigned)."""
    ImportJob.objects.filter(pk=job.pk).exclude(state=ImportJob.State.RUNNING).update(
        state=ImportJob.State.PENDING,
        phase=0,
        rows_done=0,
        bytes_done=0,
        file_error=None,
        finished_at=None,
        attempts=0,
    )


def try_again(job: ImportJob) -> None:
    """What "Try again" does to a failed job: one that lost its workers resumes after
    its last stored batch; any other is read again from the start."""
    lost = (job.file_error or {}).get("code") == WorkerLost.code
    if not lost:
        restart(job)
        return
    ImportJob.objects.filter(pk=job.pk, state=ImportJob.State.FAILED).update(
        state=ImportJob.State.PENDING, file_error=None, finished_at=None, attempts=0
    )
