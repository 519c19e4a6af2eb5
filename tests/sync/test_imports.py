"""One way in for files: an import job read through the source, stored by ingest.

Guarantees: an upload is transferred without waiting for the interval; a job
killed in the middle resumes where its last batch was stored and counts every
row once; a job another worker took over is not written by the first.
"""

from __future__ import annotations

import datetime as dt
import time

import pytest
from django.utils import timezone

from belegsync.documents.models import Connection, Document, Event
from belegsync.documents.states import State
from belegsync.services import Actor, connections
from belegsync.services import imports as services
from belegsync.sync import imports
from belegsync.sync.cycle import run_cycle
from belegsync.sync.models import ImportJob
from belegsync.sync.scheduler import tick
from belegsync.targets.memory import MemoryTarget
from tests.sources.afterbuy.corpus import SAMPLE_UTF8


@pytest.fixture
def afterbuy(org):
    return Connection.objects.create(
        organisation=org,
        name="Afterbuy → Books",
        source_kind="afterbuy_csv",
        target_kind="memory",
        credentials={"target": {"account": "books"}},
        settings={"policy": {"transfer_pdf": False}},
    )


def _job(connection: Connection, path=SAMPLE_UTF8) -> ImportJob:
    return services.start_import_from_path(Actor.system("cli"), connection, path)


@pytest.mark.django_db
def test_an_upload_is_transferred_without_waiting_for_the_interval(afterbuy):
    """GIVEN a connection that synced a minute ago (next sync in an hour)
    WHEN a Rechnungsliste is imported
    THEN the connection is due at once, and the next tick's cycle books the invoices."""
    now = timezone.now()
    Connection.objects.filter(pk=afterbuy.pk).update(
        last_sync_at=now - dt.timedelta(minutes=1), next_sync_at=now + dt.timedelta(hours=1)
    )
    job = services.import_now(Actor.system("cli"), _job(afterbuy))
    assert job.count("created") == 9
    afterbuy.refresh_from_db()
    assert afterbuy.next_sync_at <= timezone.now()
    enqueued: list[int] = []
    assert tick(enqueued.append) == [afterbuy.pk]
    report = run_cycle(afterbuy.pk, "worker-1")
    assert report.transferred == 9
    booked = {v["number"] for v in MemoryTarget.accounts["books"].vouchers.values()}
    assert booked == set(job.numbers["created"])


@pytest.mark.django_db
def test_an_import_that_changed_nothing_does_not_bring_the_sync_forward(afterbuy):
    services.import_now(Actor.system(), _job(afterbuy))
    later = timezone.now() + dt.timedelta(hours=1)
    Connection.objects.filter(pk=afterbuy.pk).update(next_sync_at=later)
    again = services.import_now(Actor.system(), _job(afterbuy))
    assert again.count("unchanged") == 10 and again.nothing_imported
    afterbuy.refresh_from_db()
    assert afterbuy.next_sync_at == later


class Killed(BaseException):
    """The worker dies (not an error the import could handle)."""


@pytest.fixture(params=["here", "aside"])
def reading(request, monkeypatch):
    """Both ways a file is read: in the storing process, and in a second one (every file)."""
    if request.param == "aside":
        monkeypatch.setattr(imports, "READ_ASIDE_FROM", 0)
    return request.param


@pytest.mark.django_db
def test_a_killed_import_resumes_after_its_last_stored_batch(afterbuy, monkeypatch, reading):
    """GIVEN batches of 3 and a worker that dies while storing the second batch
    WHEN another worker takes the job over after the lease
    THEN every invoice is stored once, with one import event, and counted once (the
    file read here, or in a second process)."""
    monkeypatch.setattr(imports, "BATCH", 3)
    calls = {"n": 0}
    real = imports.store_batch

    def dying(*args, **kwargs):
        calls["n"] += 1
        if calls["n"] == 2:
            raise Killed
        return real(*args, **kwargs)

    job = _job(afterbuy)
    monkeypatch.setattr(imports, "store_batch", dying)
    with pytest.raises(Killed):
        imports.run(job.pk, "worker-1")
    job.refresh_from_db()
    assert job.state == ImportJob.State.RUNNING and job.rows_done == 3
    assert Document.objects.filter(connection=afterbuy).count() == 3
    # not before the lease ran out
    assert imports.run(job.pk, "worker-2") is None
    ImportJob.objects.filter(pk=job.pk).update(lease_until=timezone.now() - dt.timedelta(1))
    monkeypatch.setattr(imports, "store_batch", real)
    done = imports.run(job.pk, "worker-2")
    assert done is not None and done.state == ImportJob.State.DONE and done.attempts == 2
    assert (done.count("created"), done.count("failed"), done.count("unchanged")) == (9, 1, 0)
    assert Document.objects.filter(connection=afterbuy).count() == 10
    assert Event.objects.filter(action="import").count() == 10


@pytest.mark.django_db
def test_a_worker_whose_job_was_taken_over_writes_nothing_more(afterbuy, monkeypatch):
    job = _job(afterbuy)
    real = imports.store_batch

    def taken_over(connection, batch, **kwargs):
        # meanwhile another worker claimed the job
        ImportJob.objects.filter(pk=job.pk).update(worker="worker-2")
        return real(connection, batch, **kwargs)

    monkeypatch.setattr(imports, "store_batch", taken_over)
    assert imports.run(job.pk, "worker-1") is None
    # the batch's transaction rolled back with the refused job update
    assert Document.objects.count() == 0


@pytest.mark.django_db
def test_a_finished_job_is_not_run_again(afterbuy):
    job = services.import_now(Actor.system(), _job(afterbuy))
    assert imports.run(job.pk, "worker-2") is None
    assert Document.objects.filter(state=State.WAITING).count() == 9


@pytest.mark.django_db
def test_a_connection_without_a_file_source_refuses_uploads(connection):
    with pytest.raises(services.UploadRefused):
        services.start_import(Actor.system(), connection, [b"x"], "x.csv")


@pytest.mark.django_db
def test_an_archived_connection_takes_no_uploads_and_is_not_offered(alice, afterbuy):
    actor = Actor.of(alice)
    assert services.importable_connections(actor) == [afterbuy]
    connections.archive(actor, afterbuy)
    assert services.importable_connections(actor) == []
    with pytest.raises(services.UploadRefused, match="archived"):
        services.start_import(actor, afterbuy, [b"x"], "x.csv")
    assert ImportJob.objects.count() == 0


@pytest.mark.django_db
def test_an_import_leaves_the_garbage_collector_as_it_found_it(afterbuy, monkeypatch):
    """GIVEN an import that freezes the heap of before while it runs (gc.freeze)
    WHEN it finishes, and when its worker dies half-way
    THEN nothing stays frozen: garbage of before is collected again afterwards."""
    import gc

    gc.unfreeze()

    frozen_while_storing: list[int] = []
    real = imports.store_batch

    def storing(*args, **kwargs):
        frozen_while_storing.append(gc.get_freeze_count())
        return real(*args, **kwargs)

    monkeypatch.setattr(imports, "store_batch", storing)
    services.import_now(Actor.system(), _job(afterbuy))
    assert frozen_while_storing and frozen_while_storing[0] > 0
    assert gc.get_freeze_count() == 0

    def dying(*args, **kwargs):
        raise Killed

    monkeypatch.setattr(imports, "store_batch", dying)
    with pytest.raises(Killed):
        imports.run(_job(afterbuy).pk, "worker-1")
    assert gc.get_freeze_count() == 0


@pytest.mark.django_db
def test_an_import_keeps_a_heap_the_process_had_frozen_itself_frozen(afterbuy):
    """GIVEN a process that froze its heap after start (a pre-forking server does)
    WHEN an import runs in it THEN the heap is still frozen afterwards."""
    import gc

    gc.freeze()
    try:
        services.import_now(Actor.system(), _job(afterbuy))
        assert gc.get_freeze_count() > 0
    finally:
        gc.unfreeze()


@pytest.mark.django_db
def test_an_import_gives_the_planner_statistics_once_after_its_first_batch(afterbuy, monkeypatch):
    """GIVEN batches of 2 WHEN ten invoices are imported THEN PostgreSQL's documents table
    is analysed once, after the first batch (the look-up's plan holds on any statistics,
    not on none), not again as the import grows; SQLite keeps none."""
    from django.db import connection as db

    monkeypatch.setattr(imports, "BATCH", 2)
    statements: list[str] = []

    def capture(execute, sql, params, many, context):
        statements.append(sql)
        return execute(sql, params, many, context)

    with db.execute_wrapper(capture):
        job = services.import_now(Actor.system("cli"), _job(afterbuy))
    assert job.count("created") == 9
    analysed = [sql for sql in statements if sql.startswith("ANALYZE")]
    columns = '"documents_document" ("connection_id", "kind", "source_number")'
    assert analysed == ([f"ANALYZE {columns}"] if db.vendor == "postgresql" else [])


@pytest.mark.django_db
def test_an_import_batch_commits_without_waiting_for_the_disk(afterbuy, monkeypatch):
    """GIVEN batches of 2 WHEN ten invoices are imported THEN on PostgreSQL each batch's
    transaction, which holds the job's rows done with its documents, commits without
    waiting for its WAL flush (a server crash loses whole batches with their progress)."""
    from django.db import connection as db

    monkeypatch.setattr(imports, "BATCH", 2)
    statements: list[tuple[str, bool]] = []

    def capture(execute, sql, params, many, context):
        statements.append((sql, db.in_atomic_block))
        return execute(sql, params, many, context)

    with db.execute_wrapper(capture):
        job = services.import_now(Actor.system("cli"), _job(afterbuy))
    assert job.count("created") == 9
    unflushed = [(sql, atomic) for sql, atomic in statements if "synchronous_commit" in sql]
    batches = 5  # the file's ten rows in batches of 2
    expected = [("SET LOCAL synchronous_commit = off", True)] * batches
    assert unflushed == (expected if db.vendor == "postgresql" else [])


def _stored(connection: Connection) -> tuple[list[tuple], list[tuple]]:
    """A connection's documents and their events, as they would be compared across runs."""
    documents = list(
        Document.objects.filter(connection=connection)
        .order_by("pk")
        .values_list(
            "kind",
            "source_number",
            "source_id",
            "state",
            "voucher",
            "meta",
            "invoice_date",
            "currency",
            "total_net",
            "total_gross",
            "failure_reason",
            "failure_details",
            "skip_details",
        )
    )
    events = list(
        Event.objects.filter(document__connection=connection)
        .order_by("pk")
        .values_list("document__source_number", "action", "to_state", "message", "actor")
    )
    return documents, events


@pytest.mark.django_db
def test_a_file_read_in_a_second_process_is_stored_as_one_read_here(
    org, tmp_path, monkeypatch, caplog
):
    """GIVEN a Rechnungsliste with bad rows and credit notes, in batches of 7
    WHEN it is imported once read in this process and once read in a second one
    THEN both store the same documents, events, counts, numbers and problems, and the
    second reading ran in another process; the same file again changes nothing."""
    import logging

    from tests.sources.afterbuy.generator import generate

    path = tmp_path / "list.csv"
    generate(path, 60, seed=11, per_day=10)
    lines = path.read_text(encoding="utf-8").splitlines(keepends=True)
    lines[5] = lines[5].replace(";EUR;", ";EUR;x;", 1)  # a row of the wrong width
    lines[9] = lines[9].replace(lines[9].split(";")[1], "31.02.2024", 1)  # no such date
    path.write_text("".join(lines), encoding="utf-8")
    monkeypatch.setattr(imports, "BATCH", 7)
    results = {}
    for way, threshold in (("here", 10**12), ("aside", 0)):
        monkeypatch.setattr(imports, "READ_ASIDE_FROM", threshold)
        connection = Connection.objects.create(
            organisation=org, name=way, source_kind="afterbuy_csv", target_kind="memory"
        )
        with caplog.at_level(logging.INFO, logger="belegsync.sync.imports"):
            caplog.clear()
            job = services.import_now(Actor.system("cli"), _job(connection, path))
            read_aside = [r for r in caplog.records if hasattr(r, "reader_cpu")]
        assert len(read_aside) == (way == "aside")
        again = services.import_now(Actor.system("cli"), _job(connection, path))
        assert again.count("unchanged") == job.count("created") + job.count("failed")
        results[way] = (
            job.counts,
            job.numbers,
            job.problems,
            job.problems_total,
            job.rows_done,
            _stored(connection),
        )
    assert results["aside"] == results["here"]
    counts = results["here"][0]
    assert counts["rejected"] == 2 and counts["created"] > 50


@pytest.mark.django_db
def test_an_error_in_the_reading_process_ends_the_import_as_it_would_here(afterbuy, monkeypatch):
    """GIVEN a file read in a second process WHEN the reading breaks with a file problem
    THEN the job fails with that problem; WHEN the reading process dies without a word
    THEN the job is given back like a lost worker's (resumed after its last batch); so
    it is when the reading process sends nothing for half a lease (stuck)."""
    import os

    from belegsync.sources.afterbuy.csv import FileProblem

    monkeypatch.setattr(imports, "READ_ASIDE_FROM", 0)
    monkeypatch.setattr(imports, "BATCH", 3)
    real = imports.prepare
    calls = {"n": 0}

    def breaking(*args, **kwargs):
        calls["n"] += 1
        if calls["n"] == 5:
            raise FileProblem(code="csv.malformed", raw="cut off", line=6, from_line=6)
        return real(*args, **kwargs)

    monkeypatch.setattr(imports, "prepare", breaking)
    job = services.import_now(Actor.system("cli"), _job(afterbuy))
    assert job.state == ImportJob.State.FAILED
    assert job.file_error["code"] == "csv.malformed" and job.file_error["params"]["from_line"] == 6

    def dying(*args, **kwargs):
        calls["n"] += 1
        if calls["n"] == 5:
            os._exit(9)
        return real(*args, **kwargs)

    calls["n"] = 0
    monkeypatch.setattr(imports, "prepare", dying)
    job = _job(afterbuy)
    assert imports.run(job.pk, "worker-1") is None
    job.refresh_from_db()
    assert job.state == ImportJob.State.RUNNING and job.rows_done == 3
    assert job.lease_until <= timezone.now()  # given back: the next tick queues it again
    assert "reading process" in job.details["last_error"]

    def stuck(*args, **kwargs):
        calls["n"] += 1
        if calls["n"] == 2:
            time.sleep(30)
        return real(*args, **kwargs)

    calls["n"] = 0
    monkeypatch.setattr(imports, "prepare", stuck)
    monkeypatch.setattr(imports, "import_lease", lambda: dt.timedelta(seconds=1))
    job = _job(afterbuy)
    started = time.monotonic()
    assert imports.run(job.pk, "worker-1") is None
    assert time.monotonic() - started < 10
    job.refresh_from_db()
    assert job.state == ImportJob.State.RUNNING and job.rows_done == 0
    assert "sent nothing" in job.details["last_error"]
