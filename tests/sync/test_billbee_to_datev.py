"""Billbee → DATEV over the doubles: a Buchungsstapel per month, every document in exactly one
file, the DATEV validator accepting each, and a delivered month never written again."""

from __future__ import annotations

import datetime as dt
import io
import time
import zipfile

import pytest
from django.core.management import call_command

from belegsync.connectors.settings import TaxAdvisor
from belegsync.documents.models import Connection, Document
from belegsync.documents.states import State
from belegsync.services import Actor
from belegsync.services import connections as services
from belegsync.services import documents as actions
from belegsync.sync.cycle import run_cycle
from belegsync.sync.models import MonthFile
from belegsync.targets.datev.target import DatevTarget
from belegsync.targets.datev.validator import split_fields, validate_bytes
from tests.doubles import BILLBEE_CREDENTIALS, unthrottled_billbee

from . import harness as h

pytestmark = pytest.mark.django_db(transaction=True)

#: Column of Belegfeld 1 in a Buchungsstapel row (EXTF format 700, field 11).
BELEGFELD1 = 10


@pytest.fixture
def billbee(run_fake):
    # the reference orders are from late November 2024, the bulk from December 2024
    return run_fake(unthrottled_billbee(bulk=20, now=dt.datetime(2024, 12, 5, tzinfo=dt.UTC)))


@pytest.fixture
def connection(org, billbee):
    # the tax advisor's numbers are the organisation's
    org.datev_consultant_number, org.datev_client_number = 1001, 1
    org.save()
    return Connection.objects.create(
        organisation=org,
        name="Billbee → DATEV",
        source_kind="billbee",
        target_kind="datev",
        credentials={"source": BILLBEE_CREDENTIALS},
        settings={
            "policy": {
                "start_date": "2020-01-01",
                "mark_paid": True,
                "payment_accounts": {
                    "by_method": {"PayPal": "1360"},
                    "unassigned_to_default": True,
                },
            },
            "source": {
                "state_ids": [str(s) for s in range(1, 18)],
                "rate_per_second": 200,  # the double has no limit; nothing to wait for
            },
            "target": {"oss_tax_key": "240"},
        },
    )


def booked_numbers(file: MonthFile) -> set[str]:
    """The Belegfeld 1 of every row of the file's Buchungsstapel, each CSV validated."""
    numbers: set[str] = set()
    with zipfile.ZipFile(io.BytesIO(bytes(file.content))) as archive:
        stapel = [n for n in archive.namelist() if n.startswith("EXTF_")]
        assert stapel, file.name
        for name in stapel:
            data = archive.read(name)
            assert validate_bytes(data) == [], name
            for line in data.split(b"\r\n")[2:]:
                if line:
                    numbers.add(split_fields(line.decode("cp1252"))[BELEGFELD1].value)
    return numbers


def assert_each_document_once(connection: Connection) -> list[MonthFile]:
    files = list(MonthFile.objects.filter(connection=connection).order_by("month", "sequence"))
    seen: dict[str, str] = {}
    for file in files:
        for number in booked_numbers(file):
            assert number not in seen, f"{number} in {seen[number]} and {file.name}"
            seen[number] = file.name
    done = Document.objects.filter(connection=connection, state=State.DONE)
    assert set(seen) == set(done.values_list("remote_id", flat=True))
    for document in done:
        assert document.month_files.count() == 1, document.source_number
    return files


def test_each_month_becomes_one_valid_file_with_its_pdfs(connection):
    report = run_cycle(connection.pk, "worker-1")
    assert report.ran and report.transferred > 0, report.note
    files = assert_each_document_once(connection)
    assert [f"{f.month:%Y-%m}" for f in files] == ["2024-11", "2024-12"]
    assert not Document.objects.filter(connection=connection, state=State.WAITING).exists()
    with zipfile.ZipFile(io.BytesIO(bytes(files[0].content))) as archive:
        assert any(n.startswith("Belege/") and n.endswith(".pdf") for n in archive.namelist())
    again = run_cycle(connection.pk, "worker-1")
    assert again.transferred == 0 and MonthFile.objects.filter(connection=connection).count() == 2


def test_a_delivered_month_is_never_rewritten_a_correction_is_a_new_file(connection, alice):
    run_cycle(connection.pk, "worker-1")
    first = MonthFile.objects.get(connection=connection, month=dt.date(2024, 12, 1))
    content = bytes(first.content)
    late = Document.objects.filter(connection=connection, month_files=first).first()
    actions.act(Actor.of(alice), "reset", [late])
    run_cycle(connection.pk, "worker-1")
    first.refresh_from_db()
    assert bytes(first.content) == content
    correction = MonthFile.objects.get(connection=connection, month=first.month, sequence=2)
    assert correction.name == "DATEV_2024-12_Korrektur1.zip"
    assert booked_numbers(correction) == {late.remote_id}
    late.refresh_from_db()
    assert late.state == State.DONE and late.month_files.count() == 2


@pytest.mark.slow
def test_a_worker_killed_in_the_middle_leaves_each_document_in_exactly_one_file(connection):
    """GIVEN a Billbee → DATEV connection with two months to deliver
    WHEN its worker is killed inside the first month's transaction, and again right after
    the first month is stored
    THEN the next worker delivers what is missing: two files, every document once."""
    env = {"BELEGSYNC_LEASE_SECONDS": "1", "BELEGSYNC_CYCLE_LEASE_SECONDS": "1"}
    for point, files_after in (("month_file_stored", 0), ("month_delivered", 1)):
        killed = h.belegsync(
            "sync",
            "--connection",
            str(connection.pk),
            env=h.child_env(BELEGSYNC_CRASH_AFTER=point, **env),
        )
        assert killed.wait(timeout=120) == -9, point
        assert MonthFile.objects.filter(connection=connection).count() == files_after, point
        time.sleep(1.2)  # the dead worker's hold on the connection runs out
    recovery = h.belegsync("sync", "--connection", str(connection.pk), env=h.child_env(**env))
    assert recovery.wait(timeout=120) == 0
    files = assert_each_document_once(connection)
    assert [f.sequence for f in files] == [1, 1]


def test_the_files_are_on_the_connection_page_and_written_out_by_the_cli(
    connection, client, alice, bob, tmp_path
):
    run_cycle(connection.pk, "worker-1")
    file = MonthFile.objects.filter(connection=connection).first()
    client.force_login(alice)
    page = client.get(f"/connections/{connection.pk}/").content.decode()
    assert file.name in page
    download = client.get(f"/connections/{connection.pk}/files/{file.pk}/")
    assert download.status_code == 200 and download.content == bytes(file.content)
    client.force_login(bob)
    assert client.get(f"/connections/{connection.pk}/files/{file.pk}/").status_code == 404
    call_command("export", "--delivered", "--connection", connection.name, "-o", str(tmp_path))
    assert sorted(p.name for p in tmp_path.iterdir()) == [
        "DATEV_2024-11.zip",
        "DATEV_2024-12.zip",
    ]


def test_without_the_advisors_numbers_it_stays_in_set_up(connection, alice):
    services.set_tax_advisor(Actor.of(alice), TaxAdvisor())
    connection.refresh_from_db()
    assert not connection.setup_complete
    missing = services.refresh_setup(Actor.system(), connection)
    assert any("consultant number" in m for m in missing)
    assert any("client number" in m for m in missing)
    assert not run_cycle(connection.pk, "worker-1").ran


def _slow_target(monkeypatch, at: int, meanwhile):
    """DATEV's writer, slowed down to 0.15 s a document; ``meanwhile()`` runs once, when
    the month's ``at``-th document is handed over (the first month with that many)."""
    original = DatevTarget.month_file
    done = []

    def month_file(self, month, documents, **kwargs):
        def slowly():
            for index, document in enumerate(documents):
                time.sleep(0.15)
                if index == at and not done:
                    done.append(True)
                    meanwhile()
                yield document

        return original(self, month, slowly(), **kwargs)

    monkeypatch.setattr(DatevTarget, "month_file", month_file)
    return done


def test_a_month_slower_than_the_lease_is_not_taken_over(connection, settings, monkeypatch):
    """GIVEN a month whose file takes longer to write than the cycle's lease (1 s)
    WHEN a second worker starts a cycle of the connection while the first still writes
    THEN the connection is still held (the writer renews its lease), the second does
    nothing, and every document is in exactly one file."""
    settings.BELEGSYNC_CYCLE_LEASE_SECONDS = 1
    second = []
    happened = _slow_target(
        monkeypatch, 10, lambda: second.append(run_cycle(connection.pk, "worker-2"))
    )
    report = run_cycle(connection.pk, "worker-1")
    assert happened and report.ran, report.note
    assert not second[0].ran and "another cycle" in second[0].note
    files = assert_each_document_once(connection)
    assert [f.sequence for f in files] == [1, 1]


def test_a_writer_whose_connection_was_taken_over_stores_nothing(connection, settings, monkeypatch):
    """GIVEN a month being written
    WHEN another worker takes the connection over meanwhile (the writer looked dead)
    THEN the writer stops and stores no file of that month; the next cycle writes it,
    every document once."""
    settings.BELEGSYNC_CYCLE_LEASE_SECONDS = 1
    december = dt.date(2024, 12, 1)

    def take_over():
        Connection.objects.filter(pk=connection.pk).update(sync_owner="worker-2")

    _slow_target(monkeypatch, 10, take_over)
    run_cycle(connection.pk, "worker-1")
    assert not MonthFile.objects.filter(connection=connection, month=december).exists()
    Connection.objects.filter(pk=connection.pk).update(sync_owner="", sync_lease_until=None)
    assert run_cycle(connection.pk, "worker-2").ran
    files = assert_each_document_once(connection)
    assert [(f.month, f.sequence) for f in files][-1] == (december, 1)


def test_a_document_changed_while_its_month_is_written_goes_into_the_next_write(
    connection, settings, monkeypatch
):
    """GIVEN a month being written
    WHEN one of its documents gets newer data meanwhile (a re-upload)
    THEN the file written from the old data is not stored; the next cycle writes the
    month with the new data, every document once."""
    december = dt.date(2024, 12, 1)
    document = Document.objects.none()

    def change_one():
        nonlocal document
        document = (
            Document.objects.filter(connection=connection, state=State.WAITING)
            .filter(invoice_date__gte=december)
            .last()
        )
        voucher = {**document.voucher, "order_number": "changed meanwhile"}
        Document.objects.filter(pk=document.pk).update(voucher=voucher)

    _slow_target(monkeypatch, 10, change_one)
    run_cycle(connection.pk, "worker-1")
    assert not MonthFile.objects.filter(connection=connection, month=december).exists()
    run_cycle(connection.pk, "worker-1")
    file = MonthFile.objects.get(connection=connection, month=december)
    assert assert_each_document_once(connection)[-1] == file
    document.refresh_from_db()
    assert document.state == State.DONE and document.voucher["order_number"] == "changed meanwhile"
