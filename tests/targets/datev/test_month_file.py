"""What the monthly DATEV file leaves out is said in the merchant's words."""

from __future__ import annotations

import datetime as dt

from django.utils import timezone, translation

from belegsync.connectors.base import AdapterContext, MonthDocument
from belegsync.connectors.settings import TaxAdvisor
from belegsync.reasons import render
from belegsync.reasons.catalogue import UNKNOWN_CODE
from belegsync.targets.datev.target import DatevTarget
from tests.conftest import make_voucher


def test_a_left_out_voucher_carries_its_own_reason_with_a_text():
    """GIVEN a month with a USD invoice WHEN its file is written THEN the invoice is left
    out with DATEV's foreign-currency reason, read in German, never "Etwas ist
    schiefgegangen (Code …)" for a parameter the text does not know."""
    target = DatevTarget(
        AdapterContext(
            connection_id=1,
            credentials={},
            advisor=TaxAdvisor(consultant_number=1001, client_number=1),
        )
    )
    written = target.month_file(
        dt.date(2026, 11, 1),
        [
            MonthDocument(1, make_voucher("RE-1")),
            MonthDocument(2, make_voucher("RE-2", currency="USD")),
        ],
        sequence=1,
        created_at=timezone.now(),
    )
    assert set(written.included) == {1}
    reason = written.left_out[2]
    assert reason.code == "datev.foreign_currency"
    with translation.override("de"):
        text = render(reason)
    assert "USD" in text and text != str(UNKNOWN_CODE) % {"code": reason.code}
    assert "Code" not in text
