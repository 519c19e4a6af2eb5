"""The export service: selection, left-out documents with reasons, tags, the job record."""

from __future__ import annotations

import datetime as dt
import zipfile
from decimal import Decimal
from io import StringIO
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command

from belegsync.bookkeeping import Line
from belegsync.documents.models import Document, DocumentFile
from belegsync.exports.models import DocumentTag, ExportedDocument, ExportJob
from belegsync.exports.service import Criteria, filter_documents, run_export
from belegsync.targets.datev.validator import validate_file
from tests.conftest import make_voucher

from .helpers import datev, store

pytestmark = pytest.mark.django_db
D = Decimal


@pytest.fixture
def docs(connection):
    """Three exportable invoices in June 2026, one in USD, one 0 % domestic (no account)."""
    good = [
        store(connection, make_voucher(f"RE-{i}", invoice_date=dt.date(2026, 6, i), payments=()))
        for i in (1, 2, 3)
    ]
    usd = store(
        connection, make_voucher("RE-USD", currency="USD", invoice_date=dt.date(2026, 6, 4))
    )
    zero = store(
        connection,
        make_voucher(
            "RE-ZERO",
            invoice_date=dt.date(2026, 6, 5),
            lines=(Line("Buch", D(1), D("10.00"), D("10.00"), D(0)),),
            total_net=D("10.00"),
            total_gross=D("10.00"),
            payments=(),
        ),
    )
    return good, usd, zero


def tags(tag: str = "DATEV") -> set[str]:
    return set(
        DocumentTag.objects.filter(tag=tag).values_list("document__source_number", flat=True)
    )


def test_it_exports_datev_leaves_out_what_it_cannot_carry_and_tags_only_the_rest(
    org, alice, docs
) -> None:
    datev(org)
    job = run_export(
        organisation=org, documents=Document.objects.all(), fmt="datev", option="tag", user=alice
    )
    assert job.state == ExportJob.State.DONE, job.error
    assert (job.exported_count, job.left_out_count) == (3, 2)
    reasons = {e["number"]: e["reason"] for e in job.summary["left_out"]}
    assert "Currency USD" in reasons["RE-USD"]
    assert "domestic:0" in reasons["RE-ZERO"]
    assert tags() == {"RE-1", "RE-2", "RE-3"}
    assert job.path is not None and job.path.name.endswith(".csv")
    assert validate_file(job.path) == []
    assert job.path.read_bytes().count(b"\r\n") == 2 + 3
    assert set(job.documents.values_list("source_number", flat=True)) == {
        "RE-1",
        "RE-2",
        "RE-3",
        "RE-USD",
        "RE-ZERO",
    }
    assert ExportedDocument.objects.filter(job=job, exported=True).count() == 3


def test_it_exports_only_untagged_documents_the_second_time(org, docs) -> None:
    datev(org)
    first = run_export(
        organisation=org, documents=Document.objects.all(), fmt="datev", option="tag"
    )
    assert first.exported_count == 3
    new = store(docs[0][0].connection, make_voucher("RE-7", invoice_date=dt.date(2026, 6, 7)))
    second = run_export(
        organisation=org, documents=Document.objects.all(), fmt="datev", option="only_untagged"
    )
    assert second.exported_count == 1
    assert second.path is not None and b'"RE-7"' in second.path.read_bytes()
    assert b'"RE-1"' not in second.path.read_bytes()
    assert not DocumentTag.objects.filter(document=new).exists()  # only_untagged does not tag


def test_it_tags_nothing_when_the_export_fails(org, docs) -> None:
    # no DATEV settings: the job fails with a reason the merchant can act on
    job = run_export(organisation=org, documents=Document.objects.all(), fmt="datev", option="tag")
    assert job.state == ExportJob.State.FAILED
    assert "DATEV settings" in job.error
    assert not DocumentTag.objects.exists()
    assert not ExportedDocument.objects.filter(job=job).exists()


def test_it_never_exports_another_organisations_documents(org, other_org, docs) -> None:
    datev(other_org)
    job = run_export(
        organisation=other_org, documents=Document.objects.all(), fmt="datev", option="tag"
    )
    assert job.exported_count == 0
    assert not DocumentTag.objects.exists()


def test_it_lists_the_number_mapping(org, connection) -> None:
    datev(org)
    store(connection, make_voucher("RE 2026.001", payments=()))
    job = run_export(organisation=org, documents=Document.objects.all(), fmt="datev")
    [entry] = job.summary["number_map"]
    assert entry["number"] == "RE 2026.001"
    assert entry["belegfeld1"].startswith("RE-2026-001-")
    assert ExportedDocument.objects.get(job=job).reference == entry["belegfeld1"]


def test_it_zips_one_datev_file_per_fiscal_year(org, connection) -> None:
    datev(org)
    store(connection, make_voucher("RE-A", invoice_date=dt.date(2025, 12, 31), payments=()))
    store(connection, make_voucher("RE-B", invoice_date=dt.date(2026, 1, 1), payments=()))
    job = run_export(organisation=org, documents=Document.objects.all(), fmt="datev")
    assert job.path is not None and job.path.suffix == ".zip"
    with zipfile.ZipFile(job.path) as archive:
        names = archive.namelist()
    assert names == [
        "EXTF_Buchungsstapel_20251231-20251231.csv",
        "EXTF_Buchungsstapel_20260101-20260101.csv",
    ]


def test_it_exports_csv_and_excel_csv(org, docs) -> None:
    plain = run_export(organisation=org, documents=Document.objects.all(), fmt="csv")
    excel = run_export(organisation=org, documents=Document.objects.all(), fmt="csv-excel")
    assert (plain.exported_count, plain.left_out_count) == (5, 0)
    assert plain.path is not None and excel.path is not None
    assert plain.path.read_bytes().count(b"\r\n") == 1 + 2 * 4 + 1  # two lines each, RE-ZERO one
    assert excel.path.read_bytes().startswith(b"\xef\xbb\xbf")


def test_it_zips_pdfs_and_leaves_out_documents_without_one(org, docs) -> None:
    good = docs[0]
    DocumentFile.store(good[0], b"%PDF-1.4 one", "x.pdf")
    DocumentFile.store(good[1], b"%PDF-1.4 two", "y.pdf")
    job = run_export(
        organisation=org, documents=Document.objects.all(), fmt="pdf-zip", option="tag"
    )
    assert (job.exported_count, job.left_out_count) == (2, 3)
    assert job.path is not None
    with zipfile.ZipFile(job.path) as archive:
        assert sorted(archive.namelist()) == ["RE-1.pdf", "RE-2.pdf"]
        assert archive.read("RE-2.pdf") == b"%PDF-1.4 two"
    assert tags("PDF") == {"RE-1", "RE-2"}


def test_filters_select_by_date_kind_tag_and_search(org, connection, docs) -> None:
    DocumentTag.objects.create(document=docs[0][0], tag="DATEV")
    base = Document.objects.all()

    def numbers(**kw) -> set[str]:
        return set(filter_documents(base, Criteria(**kw)).values_list("source_number", flat=True))

    assert numbers(date_from=dt.date(2026, 6, 2), date_to=dt.date(2026, 6, 3)) == {"RE-2", "RE-3"}
    assert numbers(tagged="tagged") == {"RE-1"}
    assert numbers(tagged="DATEV") == {"RE-1"}
    assert "RE-1" not in numbers(tagged="untagged")
    assert numbers(search="usd") == {"RE-USD"}
    assert numbers(search="Mustermann") == numbers()
    assert numbers(kind="credit_note") == set()
    assert numbers(connections=[connection.pk + 99]) == set()


def test_the_cli_exports_a_connection_and_tags(org, connection, docs, tmp_path: Path) -> None:
    datev(org)
    out = tmp_path / "EXTF.csv"
    stdout, stderr = StringIO(), StringIO()
    call_command(
        "export",
        "--format",
        "datev",
        "--connection",
        connection.name,
        "--from",
        "2026-06-01",
        "--to",
        "2026-06-30",
        "--tag",
        "-o",
        str(out),
        stdout=stdout,
        stderr=stderr,
    )
    assert validate_file(out) == []
    header = out.read_bytes().split(b"\r\n")[0].split(b";")
    assert (header[14], header[15]) == (b"20260601", b"20260630")
    assert "Exported and tagged 3 documents" in stdout.getvalue()
    assert "left out RE-USD: Currency USD" in stderr.getvalue()
    assert tags() == {"RE-1", "RE-2", "RE-3"}
    call_command(
        "export",
        "--format",
        "datev",
        "--connection",
        connection.name,
        "--only-untagged",
        "-o",
        str(out),
        stdout=stdout,
        stderr=stderr,
    )
    # the three exported before are left out for their tag, the two the format cannot carry
    assert "Nothing exported (5 left out, 3 of them already tagged DATEV)" in stdout.getvalue()


def test_the_cli_explains_a_missing_connection(db, tmp_path: Path) -> None:
    with pytest.raises(CommandError, match="No connection named"):
        call_command("export", "--format", "csv", "--connection", "nope", "-o", str(tmp_path / "x"))
