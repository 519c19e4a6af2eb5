"""Imports and exports that lose their process end as failed or resume; nothing is left over.

The kill tests run the real code in a child process on the test database, which
stops at a pause in the middle of the work (after its first committed batch or
rows) until the parent kills its whole process group with SIGKILL: never too
early, never after the child finished, on a fast or a loaded machine; the full
disk is a real one (a small tmpfs) where the machine lets us mount it.
"""

from __future__ import annotations

import datetime as dt
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from django.db import OperationalError
from django.utils import timezone, translation

from belegsync.documents.models import Connection, Document, Event
from belegsync.exports.models import ExportedDocument, ExportJob, exports_dir
from belegsync.exports.service import recover as recover_exports
from belegsync.reasons import file_problem
from belegsync.services import Actor
from belegsync.services import imports as services
from belegsync.sync import imports
from belegsync.sync.models import ImportJob
from tests.sources.afterbuy.generator import generate
from tests.sync.harness import ROOT, child_env
from tests.web.helpers import make_document

INVOICES = 3000


@pytest.fixture
def afterbuy(org):
    return Connection.objects.create(
        organisation=org,
        name="Afterbuy → Books",
        source_kind="afterbuy_csv",
        target_kind="memory",
        credentials={"target": {"account": "books"}},
        settings={"transfer_pdf": False},
    )


def _expire(model, pk: int) -> None:
    model.objects.filter(pk=pk).update(lease_until=timezone.now() - dt.timedelta(seconds=1))


def _child(code: str, pause_after: str, marker: Path) -> subprocess.Popen[bytes]:
    """Python with Django set up on the test database, in its own process group, that
    stops for good once ``pause_after`` (``module.function``) has returned the first
    time, and says so by creating ``marker``: the parent kills it there, however fast
    or slow the machine is."""
    module, function = pause_after.rsplit(".", 1)
    hook = (
        f"import pathlib, time, {module} as target\n"
        f"real = target.{function}\n"
        "def paused(*args, **kwargs):\n"
        "    result = real(*args, **kwargs)\n"
        f"    pathlib.Path({str(marker)!r}).touch()\n"
        "    time.sleep(600)  # until the parent's SIGKILL\n"
        "    return result\n"
        f"target.{function} = paused\n"
    )
    script = "import django; django.setup()\n" + hook + code
    env = child_env(DJANGO_SETTINGS_MODULE="belegsync.settings")
    return subprocess.Popen(
        [sys.executable, "-c", script],
        cwd=ROOT,
        env=env,
        start_new_session=True,
        stdout=subprocess.DEVNULL,
        stderr=marker.with_suffix(".log").open("wb"),
    )


def _kill_when_paused(child: subprocess.Popen[bytes], marker: Path, timeout: float = 120) -> None:
    """SIGKILL the child's whole process tree once it waits at its pause."""
    deadline = time.monotonic() + timeout
    while not marker.exists():
        if child.poll() is not None:
            said = marker.with_suffix(".log").read_text(errors="replace")[-2000:]
            raise AssertionError(f"the child ended before its pause:\n{said}")
        assert time.monotonic() < deadline, "the child never got to its pause"
        time.sleep(0.01)
    os.killpg(child.pid, signal.SIGKILL)
    child.wait(10)
    assert child.returncode == -signal.SIGKILL


# --- imports -----------------------------------------------------------------------------


@pytest.mark.django_db(transaction=True)
def test_an_import_killed_mid_file_is_resumed_and_stores_every_invoice_once(afterbuy, tmp_path):
    """GIVEN a Rechnungsliste of 3,000 invoices read by a worker process
    WHEN the worker's process tree is killed with SIGKILL after its first stored batch
    THEN the job is queued again once its lease ran out, the next worker resumes after
    the last stored batch, and every invoice is stored and counted exactly once."""
    path = tmp_path / "rechnungsliste.csv"
    generate(path, INVOICES, seed=7)
    job = services.start_import_from_path(Actor.system("cli"), afterbuy, path)
    paused = tmp_path / "paused"
    child = _child(
        f"from belegsync.sync import imports; imports.run({job.pk}, 'victim')",
        pause_after="belegsync.sync.imports._commit",  # the first batch is committed
        marker=paused,
    )
    _kill_when_paused(child, paused)
    job.refresh_from_db()
    assert job.state == ImportJob.State.RUNNING and 0 < job.rows_done < INVOICES
    stored_before = Document.objects.filter(connection=afterbuy).count()
    assert stored_before == job.rows_done  # whole batches only

    queued: list[int] = []
    assert imports.recover(queued.append).resumed == []  # not before the lease ran out
    _expire(ImportJob, job.pk)
    assert imports.recover(queued.append).resumed == [job.pk]
    assert queued == [job.pk]
    assert imports.recover(queued.append).resumed == []  # queued once
    done = imports.run(job.pk, "rescuer")

    assert done is not None and done.state == ImportJob.State.DONE
    assert done.count("created") == INVOICES
    assert Document.objects.filter(connection=afterbuy).count() == INVOICES
    assert Event.objects.filter(action="import").count() == INVOICES
    print(f"\nkilled after {stored_before} of {INVOICES} rows; recovered: 1 job, 0 duplicates")


@pytest.mark.django_db
def test_a_job_that_keeps_losing_its_worker_ends_failed_and_tries_again(afterbuy, monkeypatch):
    """GIVEN a worker that finds the disk full on every batch after the first
    WHEN the job has lost its worker three times
    THEN it ends as failed with the reason, and "try again" resumes it to the end."""
    monkeypatch.setattr(imports, "BATCH", 3)
    real = imports.store_batch
    calls = {"n": 0}

    def disk_full_after_first(*args, **kwargs):
        calls["n"] += 1
        if calls["n"] > 1:
            raise OperationalError("database or disk is full")
        return real(*args, **kwargs)

    monkeypatch.setattr(imports, "store_batch", disk_full_after_first)
    from tests.sources.afterbuy.corpus import SAMPLE_UTF8

    job = services.start_import_from_path(Actor.system("cli"), afterbuy, SAMPLE_UTF8)
    queued: list[int] = []
    for attempt in range(1, imports.MAX_ATTEMPTS + 1):
        assert imports.run(job.pk, f"worker-{attempt}") is None
        job.refresh_from_db()
        assert job.state == ImportJob.State.RUNNING and job.lease_until <= timezone.now()
        recovered = imports.recover(queued.append)
        expected = [job.pk] if attempt < imports.MAX_ATTEMPTS else []
        assert recovered.resumed == expected
    job.refresh_from_db()
    assert job.state == ImportJob.State.FAILED
    assert job.file_error["code"] == "worker_lost"
    assert "database or disk is full" in job.file_error["raw"]
    with translation.override("de"):
        assert "3-mal" in file_problem(job.file_error)
    assert job.rows_done == 3

    monkeypatch.setattr(imports, "store_batch", real)
    services.import_again(Actor.system("cli"), job)
    done = imports.run(job.pk, "after-the-cleanup")
    assert done is not None and done.state == ImportJob.State.DONE
    assert Document.objects.filter(connection=afterbuy).count() == 10
    assert done.count("created") + done.count("failed") == 10  # each row counted once


@pytest.mark.django_db
def test_the_failed_import_page_offers_try_again(
    client, alice, afterbuy, django_capture_on_commit_callbacks
):
    from tests.sources.afterbuy.corpus import SAMPLE_UTF8

    job = services.start_import_from_path(Actor.system("cli"), afterbuy, SAMPLE_UTF8)
    ImportJob.objects.filter(pk=job.pk).update(
        state=ImportJob.State.FAILED, file_error=imports.WorkerLost(3, "killed").as_dict()
    )
    client.force_login(alice)
    page = client.get(f"/imports/{job.pk}/").content.decode()
    assert f'action="/imports/{job.pk}/again/"' in page
    with django_capture_on_commit_callbacks(execute=True):
        client.post(f"/imports/{job.pk}/again/")
    job.refresh_from_db()
    assert job.state == ImportJob.State.DONE  # the immediate task backend ran it
    assert Document.objects.filter(connection=afterbuy).count() == 10


@pytest.fixture
def full_disk(tmp_path):
    """A real filesystem of 256 KiB (tmpfs), or skip where mounting is not allowed."""
    mount = tmp_path / "small"
    mount.mkdir()
    made = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", "size=256k", "tmpfs", str(mount)], capture_output=True
    )
    if made.returncode != 0:
        pytest.skip("cannot mount a small filesystem here")
    yield mount
    subprocess.run(["umount", str(mount)], check=False)


@pytest.mark.django_db
def test_an_upload_to_a_full_disk_is_refused_and_leaves_no_file(afterbuy, full_disk, settings):
    settings.STORAGES = {
        **settings.STORAGES,
        "default": {
            "BACKEND": "django.core.files.storage.FileSystemStorage",
            "OPTIONS": {"location": str(full_disk)},
        },
    }
    big = [b"x" * 65536] * 8  # 512 KiB on 256 KiB
    with pytest.raises(services.UploadRefused) as refused:
        services.start_import(Actor.system("cli"), afterbuy, big, "big.csv")
    assert "disk is full" in str(refused.value)
    assert ImportJob.objects.count() == 0
    assert [p for p in full_disk.rglob("*") if p.is_file()] == []


# --- exports -----------------------------------------------------------------------------

DOCUMENTS = 4000


def _many_documents(connection: Connection, count: int = DOCUMENTS) -> None:
    """``count`` stored documents, fast: copies of one, numbered."""
    template = make_document(connection, "EX-0")
    fields = [f.attname for f in Document._meta.concrete_fields if f.attname != "id"]
    rows = []
    for index in range(1, count):
        row = Document(**{name: getattr(template, name) for name in fields})
        row.source_number = f"EX-{index}"
        rows.append(row)
    Document.objects.bulk_create(rows, batch_size=1000)


@pytest.mark.django_db(transaction=True)
def test_an_export_killed_mid_file_ends_failed_without_rows_or_files(connection, tmp_path):
    """GIVEN a CSV export of 4,000 documents written by its own process
    WHEN the process tree is killed with SIGKILL after the first rows are recorded
    THEN the job shows running only until its lease runs out; then it is failed, its
    rows are gone, its temporary folder is removed, and nothing is tagged."""
    _many_documents(connection)
    out = tmp_path / "out.csv"
    child = _child(
        "from django.core.management import call_command\n"
        f"call_command('export', fmt='csv', connection={connection.name!r}, tag=True, "
        f"output={str(out)!r})",
        pause_after="belegsync.exports.service._record",  # the first rows are recorded
        marker=tmp_path / "paused",
    )
    _kill_when_paused(child, tmp_path / "paused")
    job = ExportJob.objects.get()
    assert job.state == ExportJob.State.RUNNING
    left = list(exports_dir().glob(f"job-{job.pk}-*"))
    assert left and ExportedDocument.objects.filter(job=job).exists()

    assert recover_exports() == []  # its lease still runs
    _expire(ExportJob, job.pk)
    assert recover_exports() == [job.pk]
    job.refresh_from_db()
    assert job.state == ExportJob.State.FAILED and "interrupted" in job.error
    assert not ExportedDocument.objects.filter(job=job).exists()
    assert not [p for p in left if p.exists()]
    assert not Document.objects.filter(export_tags__isnull=False).exists()
    assert not out.exists()


@pytest.mark.django_db
def test_an_export_to_a_full_disk_fails_and_cleans_up(connection, full_disk, settings, monkeypatch):
    from belegsync.exports import service

    monkeypatch.setattr(service, "exports_dir", lambda: full_disk)
    _many_documents(connection, 3000)  # ~600 KB of CSV on 256 KiB
    job = service.run_export(
        organisation=connection.organisation,
        documents=Document.objects.all(),
        fmt="csv",
        option="tag",
    )
    assert job.state == ExportJob.State.FAILED
    assert not ExportedDocument.objects.filter(job=job).exists()
    assert not Document.objects.filter(export_tags__isnull=False).exists()
    assert list(full_disk.iterdir()) == []


@pytest.mark.django_db
def test_the_failed_export_page_offers_try_again_with_the_same_filters(client, alice, connection):
    job = ExportJob.objects.create(
        organisation=connection.organisation,
        format="datev",
        tag="DATEV",
        criteria={"connections": [connection.pk], "date_from": "2026-11-01"},
        lease_until=timezone.now() - dt.timedelta(seconds=1),
    )
    client.force_login(alice)
    page = client.get(f"/exports/jobs/{job.pk}/").content.decode()
    job.refresh_from_db()
    assert job.state == ExportJob.State.FAILED
    assert f'href="/exports/?connection={connection.pk}&amp;from=2026-11-01"' in page
