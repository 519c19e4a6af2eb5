"""Test doubles set up the way most tests want them: no throttling, a fixed clock."""

from __future__ import annotations

import datetime as dt

from belegsync.fakes.billbee import BillbeeFake

#: The Billbee credentials every test's double accepts.
BILLBEE_KEY, BILLBEE_USER, BILLBEE_PASSWORD = "key-1", "shop@example.org", "api-pw"
BILLBEE_CREDENTIALS = {"api_key": BILLBEE_KEY, "user": BILLBEE_USER, "password": BILLBEE_PASSWORD}


def unthrottled_billbee(*, bulk: int, now: dt.datetime) -> BillbeeFake:
    """Billbee's double without rate limits, seeded with ``bulk`` orders, its clock at ``now``."""
    return BillbeeFake(
        api_key=BILLBEE_KEY,
        user=BILLBEE_USER,
        password=BILLBEE_PASSWORD,
        rate_limit=None,
        endpoint_rate_limit=None,
        bulk=bulk,
        clock=lambda: now,
    )
