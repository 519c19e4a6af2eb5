"""Billbee's webhook endpoints as belegsync uses them, held to the swagger: registering,
looking up and removing a registration, in both readings of what the reference leaves
open (a removal's answer with or without a body)."""

from __future__ import annotations

import datetime as dt

import pytest

from belegsync.connectors.base import AdapterContext
from belegsync.fakes.base import READINGS
from belegsync.sources.billbee.source import BillbeeSource
from tests.contract.plugin import contract_problems, from_belegsync, recording
from tests.doubles import BILLBEE_CREDENTIALS, unthrottled_billbee


@pytest.mark.parametrize("reading", READINGS)
def test_removing_a_webhook_stays_inside_the_contract(run_fake, reading):
    app = unthrottled_billbee(bulk=0, now=dt.datetime(2026, 12, 1, tzinfo=dt.UTC))
    app.set_reading(reading)
    run_fake(app)
    context = AdapterContext(credentials=dict(BILLBEE_CREDENTIALS))
    with recording() as seen, BillbeeSource.make_client(context) as client:
        hook_id = client.add_webhook(
            uri="http://127.0.0.1:9/hook?noecho", secret="s" * 64, filters=["*"], description="t"
        )
        client.delete_webhook(hook_id)
        client.delete_webhook(hook_id)  # gone already: not an error
        assert client.webhook(hook_id) is None
    assert app.webhooks.hooks == {}
    removals = [(e.method, e.status) for e in seen if e.path == f"/api/v1/webhooks/{hook_id}"]
    assert removals == [("DELETE", 200), ("DELETE", 404), ("GET", 404)]
    assert all(from_belegsync(e) for e in seen)
    assert contract_problems(seen) == []
