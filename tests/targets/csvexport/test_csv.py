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
from django.utils import translation

from belegsync.bookkeeping import (
    Line,
    LineCategory,
    Party,
    Payment,
    TaxTreatment,
    Voucher,
    VoucherKind,
)
from belegsync.targets.csvexport import csvfile
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
        payments=(Payment("PayPal", D("107.10"), dt.date(2026, 6, 3)),),
    )


def credit_note() -> Voucher:
    """Partly refunded, through two payment methods as the sources name them."""
    return Voucher(
        kind=VoucherKind.CREDIT_NOTE,
        number="GS-2026-7",
        invoice_date=dt.date(2026, 6, 10),
        refers_to="RE-2026-1001",
        lines=(Line("Müller-Tasse", D(1), D("50.00"), D("59.50"), D(19)),),
        total_net=D("50.00"),
        total_gross=D("59.50"),
        party=Party(name="Erika Mustermann", city="Berlin"),
        payments=(
            Payment("Amazon_Marketplace", D("20.00")),
            Payment("Billbee payment type 145", D("10.00")),
        ),
    )


@pytest.mark.parametrize("language", ["en", "de"])
def test_the_plain_csv_is_the_same_in_every_language(tmp_path: Path, language: str) -> None:
    """The plain CSV is the machine interface: codes, never words (docs/connectors/datev.md)."""
    writer = CsvWriter(tmp_path / "out.csv", Dialect.PLAIN, language=language)
    assert writer.add(voucher()) == 2
    [path] = writer.finish()
    assert path.read_bytes() == (GOLDEN / "plain.csv").read_bytes()


def test_the_excel_csv_speaks_the_exporting_merchants_german(tmp_path: Path) -> None:
    """GIVEN an invoice paid by PayPal and a credit note partly refunded on Amazon
    WHEN a merchant exports them in the German UI as CSV for Excel
    THEN headers, kinds, tax treatment, categories, payment status and methods are German
    words, dates dd.mm.yyyy and amounts with a decimal comma (golden/excel.csv)."""
    writer = CsvWriter(tmp_path / "out.csv", Dialect.EXCEL, language="de")
    assert writer.add(voucher()) + writer.add(credit_note()) == 3
    [path] = writer.finish()
    assert path.read_bytes() == (GOLDEN / "excel.csv").read_bytes()


def test_the_excel_csv_follows_the_language_it_is_exported_in(tmp_path: Path) -> None:
    with translation.override("de"):  # the active language decides when none is given
        CsvWriter(tmp_path / "de.csv", Dialect.EXCEL).finish()
    german = (tmp_path / "de.csv").read_text(encoding="utf-8-sig")
    assert german.startswith("Rechnungsnummer;Belegart;Rechnungsdatum;Korrigierte Rechnung;")
    with translation.override("de"):  # a language given wins over the active one
        writer = CsvWriter(tmp_path / "en.csv", Dialect.EXCEL, language="en")
        writer.add(credit_note())
        writer.finish()
    text = (tmp_path / "en.csv").read_text(encoding="utf-8-sig")
    header, row = csv.reader(io.StringIO(text), delimiter=";")
    cells = dict(zip(header, row, strict=True))
    assert cells["Document type"] == "Credit note"
    assert cells["Payment status"] == "partly paid"
    assert cells["Payment method"] == "Amazon Marketplace, Billbee payment type 145"
    assert cells["Tax treatment"] == "Domestic"
    assert cells["Invoice date"] == "10.06.2026" and cells["Total gross"] == "59,50"


@pytest.mark.parametrize("language", ["en", "de"])
def test_every_code_has_its_word_in_the_excel_csv(language: str) -> None:
    words = csvfile._Words(language)
    assert set(words.treatments) == {t.value for t in TaxTreatment}
    assert set(words.kinds) == {k.value for k in VoucherKind}
    assert set(words.categories) == {c.value for c in LineCategory}
    assert len(words.headers) == len(csvfile.EXCEL_COLUMNS) == len(set(words.headers))
    if language == "de":
        assert words.treatments["intra_eu_supply"] == "Innergemeinschaftliche Lieferung"
        assert words.kinds == {"invoice": "Rechnung", "credit_note": "Gutschrift"}


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
        for column in ("name", "description", "sku", "payment_methods"):
            cell = row[csvfile.EXCEL_COLUMNS.index(column)]
            assert not cell.startswith(("=", "+", "-", "@"))


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
