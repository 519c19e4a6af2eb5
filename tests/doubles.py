"""Test doubles set up the way most tests want them: no throttling, a fixed clock."""

from __future__ import annotations

import datetime as dt
from typing import Any

from belegsync.connectors.settings import PaymentAccounts, Policy, merged
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


def policy_and_settings(values: dict[str, Any]) -> tuple[Policy, dict[str, Any]]:
    """One set of keyword arguments of a test's helper, split: the policy's fields (by the
    policy's names; ``unassigned_to_default`` and ``by_method`` are its payment accounts'),
    and the rest, the adapter's own settings."""
    policy: dict[str, Any] = {}
    accounts: dict[str, Any] = {}
    own: dict[str, Any] = {}
    for name, value in values.items():
        if name in PaymentAccounts.model_fields:
            accounts[name] = value
        elif name in Policy.model_fields:
            policy[name] = value
        else:
            own[name] = value
    return merged(Policy(), {**policy, "payment_accounts": accounts}), own
