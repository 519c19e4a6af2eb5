"""The second product page's own pair, end to end: Billbee → belegsync → sevDesk.

Both remote systems are the project's fakes over real HTTP; the settings are
the ones Billbee's set-up steps write, read by the sevDesk target.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter

import pytest

from belegsync.documents.models import Connection, Document
from belegsync.documents.states import State
from belegsync.fakes.sevdesk import SevdeskFake
from belegsync.sync.cycle import run_cycle
from tests.doubles import BILLBEE_KEY, BILLBEE_PASSWORD, BILLBEE_USER, unthrottled_billbee

KEY, USER, PASSWORD = BILLBEE_KEY, BILLBEE_USER, BILLBEE_PASSWORD
TOKEN = "0123456789abcdef0123456789abcdef"
NOW = dt.datetime(2026, 11, 26, 12, 0, tzinfo=dt.UTC)


@pytest.fixture
def billbee(run_fake):
    return run_fake(unthrottled_billbee(bulk=3, now=NOW - dt.timedelta(hours=1)))


@pytest.fixture
def sevdesk(run_fake):
    app = SevdeskFake(api_token=TOKEN)
    return run_fake(app)


@pytest.fixture
def connection(org, billbee, sevdesk):
    accounts = {
        name: str(sevdesk.app.add_check_account(f"{name} (manual)", "offline"))
        for name in (
            "PayPal",
            "Banküberweisung",
            "Lastschrift",
            "Sofortüberweisung",
            "KLARNA_Invoice",
            "Barzahlung",
            "Nachnahme",
            "Amazon Payments",
        )
    }
    return Connection.objects.create(
        organisation=org,
        name="Billbee → sevDesk",
        source_kind="billbee",
        target_kind="sevdesk",
        credentials={
            "source": {"api_key": KEY, "user": USER, "password": PASSWORD},
            "target": {"api_token": TOKEN},
        },
        settings={
            "policy": {
                "start_date": "2020-01-01",
                "mark_paid": True,
                "payment_accounts": {"by_method": accounts, "unassigned_to_default": True},
            },
            "source": {"state_ids": [str(s) for s in range(1, 18)]},
        },
    )


@pytest.mark.django_db
def test_billbee_orders_arrive_in_sevdesk_once_paid_on_their_mapped_account(
    connection, billbee, sevdesk
):
    report = run_cycle(connection.pk, "worker-1")
    assert report.ran and report.transferred > 0
    done = list(Document.objects.filter(connection=connection, state=State.DONE))
    assert len(done) == report.transferred
    descriptions = Counter(v["description"] for v in sevdesk.app.vouchers.values())
    assert all(count == 1 for count in descriptions.values()), descriptions
    assert {d.source_number for d in done} <= set(descriptions)
    paid = [v for v in sevdesk.app.vouchers.values() if v["status"] == 1000]
    assert paid, "vouchers sent as paid are booked"
    paypal = int(connection.policy.payment_accounts.by_method["PayPal"])
    on_paypal = {
        t["paymtPurpose"] for t in sevdesk.app.transactions.values() if t["checkAccount"] == paypal
    }
    paypal_orders = {
        d.source_number for d in done if any(p["method"] == "PayPal" for p in d.voucher["payments"])
    }
    assert paypal_orders and paypal_orders <= on_paypal, "booked on the account step 3 mapped"
    assert all(v["document"] for v in sevdesk.app.vouchers.values()), "every voucher has its PDF"
    tagged = {
        o["BillBeeOrderId"]
        for o in billbee.app.orders.values()
        if "belegsync" in [t.lower() for t in o.get("Tags") or []]
    }
    assert {int(d.source_id) for d in done} <= tagged

    again = run_cycle(connection.pk, "worker-2")
    assert again.transferred == 0
    assert len(sevdesk.app.vouchers) == len(descriptions)
