"""Whether a voucher's dates are plausible on the day it is checked (issue #13, item 5).

An invoice dated far ahead is a typo in the year or a clock gone wrong far more
often than a real invoice: booked, it lands in a VAT period months or years
away, where nobody looks for it. Such a voucher is held with a reason instead.
How far ahead is still plausible is the connection's ``future_days`` (default 3:
an invoice written today for a delivery at the weekend).
"""

from __future__ import annotations

import datetime as dt
import functools

from .validation import Problem
from .voucher import Voucher


def check_dates(voucher: Voucher, *, today: dt.date, future_days: int) -> list[Problem]:
    """Problems with the voucher's dates as seen on ``today``."""
    # a date only by the cache: equal datetimes of two time zones are not one day
    latest = _latest(today, future_days) if type(today) is dt.date else _later(today, future_days)
    if voucher.invoice_date <= latest:
        return []
    return [
        Problem(
            "invoice_date",
            "invoice_date_in_future",
            f"The invoice is dated {voucher.invoice_date.isoformat()}, more than "
            f"{future_days} days after today ({today.isoformat()}): check the invoice date.",
            {"invoice_date": voucher.invoice_date, "latest_date": latest, "days": future_days},
        )
    ]


def _later(today: dt.date, future_days: int) -> dt.date:
    return today + dt.timedelta(days=future_days)


# An import checks all its vouchers on one day: the last plausible day is figured once
# (a timedelta made by keyword and a date added to it cost four times the look-up).
_latest = functools.lru_cache(maxsize=64)(_later)
