"""A varied set of vouchers and DATEV settings: every case the EXTF writer books or
leaves out, for the golden export (test_golden_export.py).

Rates 19/7/0, credit notes with and without the invoice they correct, a discount
that turns a rate negative, foreign currencies (a Kurs DATEV can carry, one it
cannot, a currency without minor unit, no rate at all), euro amounts beside the
original, intra-community supply, OSS, German VAT to an EU private buyer, export,
small business, net prices, delivery dates, payments, numbers DATEV cannot carry,
texts with quotes, semicolons, formula starts and letters outside Windows-1252,
dates across calendar and fiscal years — and the vouchers the writer refuses.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from decimal import Decimal

from belegsync.bookkeeping import (
    Line,
    LineCategory,
    Party,
    Payment,
    PriceBasis,
    Voucher,
    VoucherKind,
)
from belegsync.bookkeeping.voucher import Original
from belegsync.targets.datev.extf import Chart, DatevSettings, DebtorMode

D = Decimal
CREATED = dt.datetime(2026, 9, 1, 8, 15, 30, 250000, tzinfo=dt.UTC)
PERIOD = (dt.date(2025, 12, 1), dt.date(2026, 8, 31))

ERIKA = Party(name="Erika Mustermann", city="Berlin", country="DE")
SHIRT = Line("T-Shirt", D(2), D("33.61"), D("40.00"), D(19))
SHIPPING = Line("Versand", D(1), D("4.16"), D("4.95"), D(19), LineCategory.SHIPPING)
BOOK = Line("Buch", D(1), D("18.69"), D("20.00"), D(7))
GUIDE = Line("Stadtplan", D(3), D("8.41"), D("9.00"), D(7))
ZERO_RATED = Line("Solarmodul", D(1), D("250.00"), D("250.00"), D(0))


def _voucher(number: str, day: dt.date, lines: tuple[Line, ...], **fields: object) -> Voucher:
    """A voucher whose totals are its rates' totals (valid unless ``fields`` say else)."""
    stated = {k: fields.pop(k) for k in ("total_net", "total_gross") if k in fields}
    probe = Voucher(
        kind=VoucherKind.INVOICE,
        number=number,
        invoice_date=day,
        lines=lines,
        total_net=D(0),
        total_gross=D(0),
        **fields,  # type: ignore[arg-type]
    )
    groups = probe.tax_groups()
    totals = {
        "total_net": sum((g.net for g in groups), D(0)),
        "total_gross": sum((g.gross for g in groups), D(0)),
    }
    totals.update(stated)  # type: ignore[arg-type]
    return dataclasses.replace(probe, **totals)  # type: ignore[arg-type]


def varied_vouchers() -> list[Voucher]:
    day = dt.date
    paid = (Payment("paypal", D("44.95"), day(2026, 3, 4)),)
    return [
        _voucher("RE-1001", day(2026, 3, 2), (SHIRT, SHIPPING), party=ERIKA, order_number="5001"),
        _voucher(
            "RE-1002",
            day(2026, 3, 2),
            (SHIRT, SHIPPING),
            party=ERIKA,
            payments=paid,
            payment_date=day(2026, 3, 4),
        ),
        _voucher(
            "RE-1003",
            day(2026, 3, 3),
            (SHIRT, BOOK, GUIDE),
            party=Party(name="Jürgen Weiß", customer_number="42", country="DE"),
            payments=(
                Payment("bank", D("50.00"), day(2026, 3, 10)),
                Payment("paypal", D("39.00"), None),
                Payment("bank", D("0.00"), day(2026, 3, 11)),
            ),
            payment_date=day(2026, 3, 12),
        ),
        _voucher("RE-1004", day(2026, 3, 3), (ZERO_RATED,), party=ERIKA),
        _voucher(
            "RE-1005",
            day(2026, 3, 5),
            (SHIRT, ZERO_RATED, BOOK),
            party=Party(company='Müller & Söhne; "Die Besten" GmbH', country="DE"),
            delivery_date=day(2026, 2, 27),
        ),
        dataclasses.replace(
            _voucher("GS-0001", day(2026, 3, 6), (SHIRT,), party=ERIKA, refers_to="RE-1001"),
            kind=VoucherKind.CREDIT_NOTE,
        ),
        dataclasses.replace(
            _voucher("GS-0002", day(2026, 3, 6), (BOOK, SHIPPING), party=ERIKA),
            kind=VoucherKind.CREDIT_NOTE,
        ),
        # a voucher for the 7 % goods minus more than they cost: the 7 % rate is negative
        _voucher(
            "RE-1006",
            day(2026, 3, 7),
            (
                SHIRT,
                BOOK,
                Line("Gutschein", D(-1), D("-28.04"), D("-30.00"), D(7), LineCategory.DISCOUNT),
            ),
            party=ERIKA,
        ),
        _voucher(
            "RE-1007",
            day(2026, 3, 8),
            (
                BOOK,
                Line("Gutschein", D(-1), D("-18.69"), D("-20.00"), D(7), LineCategory.DISCOUNT),
            ),
            party=ERIKA,
        ),
        # foreign currencies: a Kurs DATEV carries, one below 1, whole yen, none at all
        _voucher(
            "RE-1008",
            day(2026, 3, 9),
            (
                Line("Jacket", D(1), D("84.03"), D("100.00"), D(19)),
                Line("Book", D(1), D("28.04"), D("30.00"), D(7)),
            ),
            party=Party(name="John Smith", country="DE"),
            currency="USD",
            exchange_rate=D("1.0834"),
        ),
        _voucher(
            "RE-1009",
            day(2026, 3, 9),
            (Line("Uhr", D(1), D("84.03"), D("100.00"), D(19)),),
            party=ERIKA,
            currency="CHF",
            exchange_rate=D("0.9412"),
        ),
        _voucher(
            "RE-1010",
            day(2026, 3, 10),
            (Line("Teekanne", D(1), D("4202"), D("5000"), D(19)),),
            party=ERIKA,
            currency="JPY",
            exchange_rate=D("160.5"),
        ),
        _voucher(
            "RE-1011",
            day(2026, 3, 10),
            (SHIRT,),
            party=ERIKA,
            currency="GBP",
        ),
        _voucher(
            "RE-1012",
            day(2026, 3, 11),
            (SHIRT, SHIPPING),
            party=ERIKA,
            original=Original("CHF", D("0.9412"), D("42.31"), ((D(19), D("42.31")),)),
        ),
        # tax cases abroad
        _voucher(
            "RE-1013",
            day(2026, 3, 12),
            (Line("Maschine", D(1), D("500.00"), D("500.00"), D(0)),),
            party=Party(
                company="Beispiel GmbH",
                customer_number="100",
                city="Wien",
                country="AT",
                vat_id="ATU 135 856 27",
            ),
            prices=PriceBasis.NET,
        ),
        _voucher(
            "RE-1014",
            day(2026, 3, 12),
            (
                Line("Kleid", D(1), D("50.00"), D("60.00"), D(20)),
                Line("Buch", D(1), D("18.18"), D("20.00"), D(10)),
            ),
            party=Party(name="Max Huber", city="Graz", country="AT"),
            oss_registered=True,
        ),
        _voucher(
            "RE-1015",
            day(2026, 3, 13),
            (SHIRT, BOOK),
            party=Party(name="Jean Dupont", country="FR"),
        ),
        _voucher(
            "RE-1016",
            day(2026, 3, 13),
            (Line("Uhr", D(1), D("80.00"), D("80.00"), D(0)),),
            party=Party(name="Hans Muster", country="CH"),
        ),
        _voucher(
            "RE-1017",
            day(2026, 3, 14),
            (Line("Beratung", D(1), D("120.00"), D("120.00"), D(0)),),
            party=ERIKA,
            small_business=True,
        ),
        _voucher(
            "RE-1018",
            day(2026, 3, 14),
            (
                Line("Lizenz", D(3), D("100.00"), D("119.00"), D(19)),
                Line("Handbuch", D(1), D("10.00"), D("10.70"), D(7)),
            ),
            party=Party(company="Netto AG", customer_number="7", country="DE"),
            prices=PriceBasis.NET,
        ),
        # numbers DATEV cannot carry as they are, and texts to neutralise or transliterate
        _voucher("Shop 1.RE 7", day(2026, 3, 15), (SHIRT,), party=ERIKA, order_number="+49-7"),
        _voucher("ÄÖÜ-ß/123", day(2026, 3, 15), (BOOK,), party=ERIKA),
        _voucher("-RE-1019", day(2026, 3, 16), (BOOK,), party=ERIKA),
        _voucher("AMAZON-DE-" + "0123456789" * 4, day(2026, 3, 16), (BOOK,), party=ERIKA),
        _voucher("R" * 220, day(2026, 3, 16), (BOOK,), party=ERIKA),
        _voucher(
            "RE-1020",
            day(2026, 3, 17),
            (SHIRT,),
            party=Party(name='=HYPERLINK("x")', country="DE"),
            order_number="@SUM(A1)",
        ),
        _voucher(
            "RE-1021",
            day(2026, 3, 17),
            (SHIRT,),
            party=Party(name="Ödön Lőrincz 🎉\tTab", country="DE"),
        ),
        _voucher(
            "RE-1022",
            day(2026, 3, 18),
            (SHIRT,),
            party=Party(
                company="Eine Firma mit einem sehr, sehr langen Namen und noch mehr Text",
                country="DE",
            ),
            order_number="ORDER-" + "9" * 30,
        ),
        # per-customer debtors: a number, one that is not, one beyond the range
        _voucher(
            "RE-1023",
            day(2026, 3, 19),
            (SHIRT,),
            party=Party(name="Kunde", customer_number="abc", country="DE"),
        ),
        _voucher(
            "RE-1024",
            day(2026, 3, 19),
            (SHIRT,),
            party=Party(name="Kunde", customer_number="99999999", country="DE"),
        ),
        # refused by validation, and the zero total DATEV rejects
        _voucher("RE-1025", day(2026, 3, 20), (SHIRT,), party=ERIKA, total_gross=D("40.01")),
        _voucher(
            "RE-1026",
            day(2026, 3, 20),
            (Line("Gratis", D(1), D("0.00"), D("0.00"), D(19)),),
            party=ERIKA,
        ),
        # across calendar and fiscal years (a fiscal year from July in one variant)
        _voucher("RE-0999", day(2025, 12, 30), (SHIRT, SHIPPING), party=ERIKA),
        _voucher("RE-1027", day(2026, 1, 2), (BOOK,), party=ERIKA),
        _voucher("RE-1028", day(2026, 6, 30), (SHIRT,), party=ERIKA),
        _voucher("RE-1029", day(2026, 7, 1), (SHIRT, BOOK), party=ERIKA),
        _voucher(
            "RE-1030",
            day(2026, 8, 31),
            (SHIRT,),
            party=ERIKA,
            payments=(Payment("bank", D("40.00"), day(2026, 9, 2)),),
        ),
    ]


def varied_settings() -> dict[str, DatevSettings]:
    """Named settings the set is written with: every option of the writer in one."""
    return {
        "skr03_collective": DatevSettings(consultant_number=4711, client_number=1001),
        "skr04_per_customer": DatevSettings(
            consultant_number=29098,
            client_number=55003,
            fiscal_year_start_month=7,
            account_length=5,
            chart=Chart.SKR04,
            debtor_mode=DebtorMode.PER_CUSTOMER,
            revenue_accounts={"domestic:0": 43000, "oss": 43200},
            oss_tax_key="240",
            book_payments=True,
            payment_accounts={"paypal": 13600},
            lock_bookings=True,
            exported_by="Jürgen Weiß Steuerbüro GmbH & Co. KG",
            max_rows=9,
        ),
        "skr03_zero_rate_and_bank": DatevSettings(
            consultant_number=1001,
            client_number=1,
            revenue_accounts={"domestic:0": 8200},
            oss_tax_key="240",
            book_payments=True,
            bank_account=1210,
            collective_debtor=12345,
        ),
    }
