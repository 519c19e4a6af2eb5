"""CSV exports against hand-written golden files built from the documented format
(belegsync/targets/csvexport/csvfile.py docstring, docs/connectors/datev.md)."""

from __future__ import annotations

import csv
import datetime as dt
import io
import zipfile
from decimal import Decimal
from pathlib import Path

import pytest

from belegsync.bookkeeping import Line, LineCategory, Party, Payment, Voucher, VoucherKind
from belegsync.targets.csvexport.csvfile import CsvWriter, Dialect, neutralise
from belegsync.targets.csvexport.pdfzip import NoPdf, PdfZipWriter, pdf_name

GOLDEN = Path(__file__).parent / "golden"
D = Decimal


def voucher() -> Voucher:
    return Voucher(
        kind=VoucherKind.INVOICE,
        number="RE-2026-1001",
        invoice_date=dt.date(2026, 6, 3),
        order_date=dt.date(2026, 6, 1),
        order_number="50017",
        shop="shop-1",
        lines=(
            Line("Müller-Tasse", D(1), D("100.00"), D("119.00"), D(19), sku="-SKU"),
            Line("@Rabatt 10 %", D(1), D("-10.00"), D("-11.90"), D(19), LineCategory.DISCOUNT),
        ),
        total_net=D("90.00"),
        total_gross=D("107.10"),
        party=Party(
            name='=HYPERLINK("http://x";"y")',
            customer_number="K-1",
            street="Hauptstr. 1",
            zip_code="10115",
            city="Berlin",
            email="a@example.org",
        ),
        payments=(Payment("paypal", D("107.10"), dt.date(2026, 6, 3)),),
    )


@pytest.mark.parametrize("dialect", [Dialect.PLAIN, Dialect.EXCEL])
def test_it_writes_the_golden_file(tmp_path: Path, dialect: Dialect) -> None:
    writer = CsvWriter(tmp_path / "out.csv", dialect)
    assert writer.add(voucher()) == 2
    [path] = writer.finish()
    assert path.read_bytes() == (GOLDEN / f"{dialect.value}.csv").read_bytes()


@pytest.mark.parametrize("start", ["=", "+", "-", "@", "\t", "\r"])
def test_it_neutralises_cells_a_spreadsheet_would_evaluate(start: str) -> None:
    assert neutralise(f"{start}1+1") == f"'{start}1+1"
    assert neutralise(f"a{start}1") == f"a{start}1"


def test_it_keeps_negative_amounts_numbers(tmp_path: Path) -> None:
    writer = CsvWriter(tmp_path / "out.csv", Dialect.EXCEL)
    writer.add(voucher())
    writer.finish()
    text = (tmp_path / "out.csv").read_text(encoding="utf-8-sig")
    rows = list(csv.reader(io.StringIO(text), delimiter=";"))
    assert rows[2][-6:-3] == ["-10,00", "-1,90", "-11,90"]
    # every text cell from the source that starts like a formula is neutralised
    for row in rows[1:]:
        for index in (9, 22, 23):
            assert not row[index].startswith(("=", "+", "-", "@"))


def test_it_names_pdfs_by_number_and_never_overwrites(tmp_path: Path) -> None:
    writer = PdfZipWriter(tmp_path / "pdfs.zip")
    assert writer.add("RE-1", b"%PDF-1 a") == "RE-1.pdf"
    assert writer.add("RE/2026:2", b"%PDF-1 b") == "RE_2026_2.pdf"
    assert writer.add("re-1", b"%PDF-1 c") == "re-1-2.pdf"
    with pytest.raises(NoPdf):
        writer.add("RE-3", None)
    [path] = writer.finish()
    with zipfile.ZipFile(path) as archive:
        assert archive.namelist() == ["RE-1.pdf", "RE_2026_2.pdf", "re-1-2.pdf"]
        assert archive.read("RE_2026_2.pdf") == b"%PDF-1 b"


def test_pdf_name_removes_what_file_systems_refuse() -> None:
    assert pdf_name('a\\b/c:d*e?f"g<h>i|j\nk') == "a_b_c_d_e_f_g_h_i_j_k.pdf"
    assert pdf_name("..") == "document.pdf"
