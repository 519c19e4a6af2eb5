"""A foreign-currency invoice booked in euros at the source's rate (docs/bookkeeping.md,
"Currency"): one conversion per tax rate, and what every target makes of it.

The expected figures are worked out by hand beside each case.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import tempfile
from decimal import Decimal
from pathlib import Path

import pytest

from belegsync.bookkeeping import Payment, PriceBasis, validate, voucher_from_dict, voucher_to_dict
from belegsync.bookkeeping.currency import NoExchangeRate, in_euros, needs_rate
from belegsync.bookkeeping.voucher import Original
from belegsync.connectors.errors import ValidationRejected
from belegsync.targets.datev import columns as col
from belegsync.targets.datev.extf import DatevSettings, ExtfWriter, NotExpressible, bookings
from belegsync.targets.datev.validator import split_fields, validate_file
from belegsync.targets.lexoffice.mapping import MappingOptions, to_lexoffice
from belegsync.targets.sevdesk.mapping import save_voucher_body
from tests.bookkeeping.test_vat_cases_amounts import R7, R19, line, voucher

D = Decimal


def chf(**kw):
    """CHF 119.00 at 19 % and CHF 10.70 at 7 %, paid in full, 1 EUR = 0.9412 CHF."""
    v = voucher(
        [line("119.00", R19), line("10.70", R7)],
        "110.00",
        "129.70",
        currency="CHF",
        exchange_rate=D("0.9412"),
        **kw,
    )
    return dataclasses.replace(v, payments=(Payment("paypal", D("129.70")),))


def test_each_rate_is_converted_once_and_its_tax_follows_from_the_euro_total():
    # 19 %: 119.00 / 0.9412 = 126.434… → 126.43; tax 126.43 × 19/119 = 20.186… → 20.19
    #  7 %:  10.70 / 0.9412 =  11.368… →  11.37; tax  11.37 ×  7/107 =  0.743… →  0.74
    euros = in_euros(chf())
    assert euros.currency == "EUR"
    assert [(g.rate, g.net, g.tax, g.gross) for g in euros.tax_groups()] == [
        (R19, D("106.24"), D("20.19"), D("126.43")),
        (R7, D("10.63"), D("0.74"), D("11.37")),
    ]
    assert (euros.total_net, euros.total_gross) == (D("116.87"), D("137.80"))
    assert validate(euros) == []
    # paid in full in CHF is paid in full in euros (no cent lost to rounding)
    assert [p.amount for p in euros.payments] == [D("137.80")] and euros.is_paid
    assert euros.original == Original(
        "CHF", D("0.9412"), D("129.70"), ((R19, D("119.00")), (R7, D("10.70")))
    )


def test_yen_are_whole_units_before_and_cents_after():
    # ¥1000 at 19 %, 1 EUR = 160.25 JPY: 1000 / 160.25 = 6.2402… → 6.24 €; tax 6.24 × 19/119
    # = 0.996… → 1.00 €, net 5.24 €
    v = voucher([line("1000", R19)], "840", "1000", currency="JPY", exchange_rate=D("160.25"))
    [group] = in_euros(v).tax_groups()
    assert (group.net, group.tax, group.gross) == (D("5.24"), D("1.00"), D("6.24"))


def test_a_net_priced_invoice_converts_its_net_and_adds_the_tax_in_euros():
    # USD 100.00 net at 19 %, 1 EUR = 1.0834 USD: 100 / 1.0834 = 92.302… → 92.30 €; tax 92.30 ×
    # 19 % = 17.537 → 17.54 €, gross 109.84 € (not 119.00 / 1.0834 = 109.84… by chance)
    v = voucher(
        [line("119.00", R19, "100.00")],
        "100.00",
        "119.00",
        currency="USD",
        exchange_rate=D("1.0834"),
        prices=PriceBasis.NET,
    )
    [group] = in_euros(v).tax_groups()
    assert (group.net, group.tax, group.gross) == (D("92.30"), D("17.54"), D("109.84"))


def test_without_a_rate_nothing_is_converted():
    v = voucher([line("119.00", R19)], "100.00", "119.00", currency="CHF")
    assert needs_rate(v)
    with pytest.raises(NoExchangeRate):
        in_euros(v)
    eur = voucher([line("119.00", R19)], "100.00", "119.00")
    assert not needs_rate(eur) and in_euros(eur) is eur


def test_a_rate_must_be_a_positive_rate_of_a_foreign_currency():
    zero = voucher([line("1.19", R19)], "1.00", "1.19", currency="CHF", exchange_rate=D(0))
    on_euros = voucher([line("1.19", R19)], "1.00", "1.19", exchange_rate=D("1.1"))
    assert [p.code for p in validate(zero)] == ["bad_exchange_rate"]
    assert [p.code for p in validate(on_euros)] == ["bad_exchange_rate"]


def test_the_rate_and_the_original_are_stored_and_read_back():
    v = chf()
    assert voucher_to_dict(v)["exchange_rate"] == "0.9412"
    assert voucher_from_dict(voucher_to_dict(v)) == v
    euros = in_euros(v)
    assert voucher_from_dict(voucher_to_dict(euros)) == euros
    plain = voucher([line("1.19", R19)], "1.00", "1.19")
    assert not {"exchange_rate", "original"} & set(voucher_to_dict(plain))  # stored ones unchanged


# -- what the targets book -------------------------------------------------------------


def test_lexoffice_books_the_euro_figures_and_names_the_original_in_the_remark():
    body = to_lexoffice(chf(), MappingOptions())
    assert [(i["taxRatePercent"], i["amount"], i["taxAmount"]) for i in body["voucherItems"]] == [
        (R19, D("126.43"), D("20.19")),
        (R7, D("11.37"), D("0.74")),
    ]
    assert (body["totalGrossAmount"], body["totalTaxAmount"]) == (D("137.80"), D("20.93"))
    assert "invoice in CHF 129.70, booked in EUR at 0.9412 CHF per EUR" in body["remark"]


def test_lexoffice_and_sevdesk_refuse_a_foreign_invoice_without_a_rate():
    v = voucher([line("119.00", R19)], "100.00", "119.00", currency="CHF")
    with pytest.raises(ValidationRejected) as lexoffice:
        to_lexoffice(v, MappingOptions())
    with pytest.raises(ValidationRejected) as sevdesk:
        save_voucher_body(v)
    assert lexoffice.value.code == sevdesk.value.code == "currency_not_eur"


def test_sevdesk_books_the_euro_figures():
    body = save_voucher_body(chf())
    assert body["voucher"]["currency"] == "EUR"
    assert [(p["taxRate"], p["sumGross"]) for p in body["voucherPosSave"]] == [
        ("19", "126.43"),
        ("7", "11.37"),
    ]


DATEV = DatevSettings(consultant_number=4711, client_number=1001, book_payments=False)


def datev_rows(v) -> list[list[str]]:
    with tempfile.TemporaryDirectory() as folder:
        writer = ExtfWriter(DATEV, Path(folder), created_at=dt.datetime(2026, 7, 1, tzinfo=dt.UTC))
        writer.add(v)
        [written] = writer.finish()
        assert validate_file(written.path) == []
        text = written.path.read_bytes().decode("cp1252")
    return [[f.value for f in split_fields(row)] for row in text.split("\r\n")[2:] if row]


def currency_fields(row: list[str]) -> tuple[str, ...]:
    return tuple(
        row[i]
        for i in (col.UMSATZ, col.WKZ_UMSATZ, col.KURS, col.BASIS_UMSATZ, col.WKZ_BASIS_UMSATZ)
    )


def test_datev_carries_the_invoices_currency_in_its_currency_fields():
    # USD 119.00 at 19 %, 1 EUR = 1.0834 USD: 119 / 1.0834 = 109.839… → 109.84 € (Basis-Umsatz)
    v = voucher(
        [line("119.00", R19)], "100.00", "119.00", currency="USD", exchange_rate=D("1.0834")
    )
    [row] = datev_rows(v)
    assert currency_fields(row) == ("119,00", "USD", "1,0834", "109,84", "EUR")
    infos = dict(
        zip(
            row[col.BELEGINFO_FIRST : col.BELEGINFO_LAST : 2],
            row[col.BELEGINFO_FIRST + 1 : col.BELEGINFO_LAST + 1 : 2],
            strict=True,
        )
    )
    assert infos["Fremdwährung"] == "USD 119,00, Kurs 1,0834 USD je EUR"


def test_datev_books_yen_with_their_rate():
    v = voucher([line("1000", R19)], "840", "1000", currency="JPY", exchange_rate=D("160.25"))
    [row] = datev_rows(v)
    assert currency_fields(row) == ("1000,00", "JPY", "160,25", "6,24", "EUR")


def test_a_rate_below_one_is_booked_in_euros_with_the_original_named():
    """DATEV's Kurs starts with a digit 1–9 (reference §3 #4): 0.9412 CHF per euro cannot
    be written there, so the booking is in euros and Beleginfo names the original."""
    rows = datev_rows(chf())
    assert [currency_fields(r) for r in rows] == [
        ("126,43", "EUR", "", "", ""),
        ("11,37", "EUR", "", "", ""),
    ]
    assert "CHF 129,70, Kurs 0,9412 CHF je EUR" in rows[0]


def test_datev_refuses_a_foreign_invoice_without_a_rate():
    v = voucher([line("119.00", R19)], "100.00", "119.00", currency="CHF")
    with pytest.raises(NotExpressible) as refused:
        bookings(v, DATEV)
    assert refused.value.code == "datev.foreign_currency"


# -- a currency without cents (docs/bookkeeping.md, "Validation") ------------------------


def test_a_yen_line_is_checked_in_whole_yen():
    """¥1000 gross at 19 % with the net the shop rounded to yen (840): 840 × 1.19 = 999.6,
    which is ¥1000 in whole yen. In cents it would be 999.60 and 40 sen "off"."""
    from belegsync.bookkeeping.validation import line_tolerance

    ok = voucher([line("1000", R19, "840")], "840", "1000", currency="JPY")
    assert validate(ok) == []
    # two yen off on one piece is more than rounding explains
    off = voucher([line("1002", R19, "840")], "842", "1002", currency="JPY")
    assert "line_tax_mismatch" in {p.code for p in validate(off)}
    five = line("5000", R19, "4202", quantity=5)
    assert line_tolerance(five, D(1)) == D(3)  # half a yen per piece, rounded up
    assert line_tolerance(five) == D("0.03")  # the same rule in cents
