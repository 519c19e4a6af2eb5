"""Sample vouchers for ``belegsync demo``: the cases a German online shop meets."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from belegsync.bookkeeping import (
    Line,
    LineCategory,
    Party,
    Payment,
    Voucher,
    VoucherKind,
    gross_from_net,
)

D = Decimal
BUYERS = [
    Party(
        name="Erika Mustermann",
        street="Hauptstr. 1",
        zip_code="10115",
        city="Berlin",
        country="DE",
        email="erika@example.org",
        customer_number="K-1001",
    ),
    Party(
        name="Jörg Müller",
        street="Kärntner Str. 5",
        zip_code="1010",
        city="Wien",
        country="AT",
        email="joerg@example.at",
        customer_number="K-1002",
    ),
    Party(
        company="Fromagerie SARL",
        name="Luc Petit",
        street="1 rue de Rivoli",
        zip_code="75001",
        city="Paris",
        country="FR",
        vat_id="FR40303265045",
        customer_number="K-1003",
    ),
    Party(
        name="Heidi Meier",
        street="Bahnhofstr. 3",
        zip_code="8001",
        city="Zürich",
        country="CH",
        customer_number="K-1004",
    ),
]


def _line(
    text: str, qty: int, net: str, rate: int, category: LineCategory = LineCategory.GOODS
) -> Line:
    amount = D(net)
    return Line(text, D(qty), amount, gross_from_net(amount, D(rate)), D(rate), category)


def _voucher(
    number: str,
    day: int,
    buyer: Party,
    lines: tuple[Line, ...],
    paid: bool = True,
    kind: VoucherKind = VoucherKind.INVOICE,
    refers_to: str = "",
) -> Voucher:
    net = sum((ln.net for ln in lines), D(0))
    gross = sum((ln.gross for ln in lines), D(0))
    date = dt.date(2026, 11, day)
    return Voucher(
        kind=kind,
        number=number,
        invoice_date=date,
        order_date=date,
        lines=lines,
        total_net=net,
        total_gross=gross,
        party=buyer,
        refers_to=refers_to,
        payments=(Payment("paypal", gross, date),) if paid else (),
        order_number=f"A{number[-4:]}",
        shop="Demo Shop",
    )


def sample_vouchers() -> list[Voucher]:
    de, at, fr, ch = BUYERS
    shirt = _line("T-Shirt Bio-Baumwolle", 2, "33.61", 19)
    book = _line("Kochbuch", 1, "18.69", 7)
    ship = _line("Versand DHL", 1, "4.16", 19, LineCategory.SHIPPING)
    vouchers = [
        _voucher("RE-2026-1001", 2, de, (shirt, ship)),
        _voucher("RE-2026-1002", 3, de, (shirt, book, ship)),
        _voucher("RE-2026-1003", 4, at, (_line("T-Shirt", 1, "16.81", 20),), paid=False),
        _voucher("RE-2026-1004", 5, fr, (_line("Käsemesser", 3, "45.00", 0),)),
        _voucher("RE-2026-1005", 6, ch, (_line("Uhrenarmband", 1, "80.00", 0),)),
        _voucher(
            "GS-2026-0001", 7, de, (shirt,), kind=VoucherKind.CREDIT_NOTE, refers_to="RE-2026-1001"
        ),
    ]
    for i in range(6, 26):
        vouchers.append(
            _voucher(
                f"RE-2026-{1000 + i}",
                1 + i % 25,
                de,
                (_line("Geschenkkarton", i % 3 + 1, f"{i}.00", 19), ship),
            )
        )
    # a voucher whose stated total does not add up: shows a failed document with its reason
    broken = _voucher("RE-2026-1099", 20, de, (shirt, ship))
    vouchers.append(Voucher(**{**broken.__dict__, "total_gross": broken.total_gross + D("0.01")}))
    return vouchers
