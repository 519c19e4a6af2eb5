"""The voucher every transfer benchmark sends: goods at 19 % and 7 %, shipping, paid."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from belegsync.bookkeeping import Line, LineCategory, Party, Payment, Voucher, VoucherKind


def bench_voucher(index: int, *, paid: bool = False) -> Voucher:
    """Voucher ``RE-<100000 + index>``; 200 a day, so date filters have work to do."""
    day = dt.date(2026, 11, 2) + dt.timedelta(days=index // 200)
    lines = (
        Line("T-Shirt", Decimal(2), Decimal("33.61"), Decimal("40.00"), Decimal(19)),
        Line("Buch", Decimal(1), Decimal("18.69"), Decimal("20.00"), Decimal(7)),
        Line(
            "Versand",
            Decimal(1),
            Decimal("4.16"),
            Decimal("4.95"),
            Decimal(19),
            LineCategory.SHIPPING,
        ),
    )
    return Voucher(
        kind=VoucherKind.INVOICE,
        number=f"RE-{100000 + index}",
        invoice_date=day,
        lines=lines,
        total_net=Decimal("56.46"),
        total_gross=Decimal("64.95"),
        party=Party(name=f"Kunde {index}", country="DE"),
        order_number=str(500000 + index),
        payments=(Payment("paypal", Decimal("64.95"), day),) if paid else (),
    )
