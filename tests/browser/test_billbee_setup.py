"""A merchant sets up a Billbee → sevDesk connection in the product page's three steps."""

from __future__ import annotations

import datetime as dt

import pytest
from playwright.sync_api import expect

from belegsync.documents.models import Connection
from belegsync.fakes.sevdesk import SevdeskFake
from tests.browser_support import SCREENSHOTS
from tests.doubles import BILLBEE_KEY, BILLBEE_PASSWORD, BILLBEE_USER, unthrottled_billbee

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

KEY, USER, PASSWORD = BILLBEE_KEY, BILLBEE_USER, BILLBEE_PASSWORD
TOKEN = "0123456789abcdef0123456789abcdef"


@pytest.fixture
def fakes(run_fake):
    billbee = run_fake(unthrottled_billbee(bulk=0, now=dt.datetime(2026, 11, 26, tzinfo=dt.UTC)))
    sevdesk_app = SevdeskFake(api_token=TOKEN)
    paypal = sevdesk_app.add_check_account("PayPal BB", "offline")
    sevdesk = run_fake(sevdesk_app)
    return billbee, sevdesk, str(paypal)


def test_it_walks_through_general_payment_and_accounts(live_server, page, alice, org, fakes):
    _billbee, _sevdesk, paypal = fakes
    connection = Connection.objects.create(
        organisation=org,
        name="Billbee",
        source_kind="billbee",
        target_kind="sevdesk",
        credentials={"target": {"api_token": TOKEN}},
    )
    page.goto(f"{live_server.url}/login/")
    page.fill("input[name=username]", "alice")
    page.fill("input[name=password]", "alice-password-1")
    page.get_by_role("button", name="Log in").click()
    # each POST's answer is waited for by what it shows, never by a load that may be over
    page.wait_for_url(f"{live_server.url}/")
    page.goto(f"{live_server.url}/connections/{connection.pk}/")
    page.get_by_role("link", name="Set up in three steps").click()

    # step 1: general
    page.get_by_label("Internal name").fill("Billbee → sevDesk")
    page.get_by_label("Billbee API key").fill(KEY)
    page.get_by_label("Billbee user").fill(USER)
    page.get_by_label("Billbee API password").fill(PASSWORD)
    page.get_by_label("Start date", exact=True).fill("2024-01-01")
    page.get_by_role("button", name="Save and continue").click()
    page.wait_for_url("**/settings/payment/")
    page.get_by_role("link", name="1. General").click()  # back: now the shops are listed
    page.wait_for_url("**/settings/general/")
    shops = page.locator("input[type=checkbox][name$=shop_ids]")
    expect(shops.nth(1)).to_be_attached()  # shops are fetched once the key is accepted
    shops.first.check()
    page.get_by_role("button", name="Save and continue").click()
    page.wait_for_url("**/settings/payment/")

    # step 2: payment & customers
    page.get_by_label("In Billbee: vouchers are sent as paid").check()
    page.get_by_label("Create a customer in the bookkeeping for every buyer").check()
    page.get_by_label("payment date").check()
    page.get_by_role("button", name="Save and continue").click()
    page.wait_for_url("**/settings/accounts/")

    # step 3: accounts — only sevDesk's manual accounts are offered
    row = page.locator("tr", has_text="PayPal").first
    row.locator("select").select_option(label="PayPal BB")
    page.screenshot(path=str(SCREENSHOTS / "belegsync-billbee-accounts.png"), full_page=True)
    page.get_by_role("button", name="Save").click()
    expect(page.locator("#messages")).to_contain_text("Accounts saved.")

    connection.refresh_from_db()
    assert connection.name == "Billbee → sevDesk"
    assert connection.credentials["source"] == {"api_key": KEY, "user": USER, "password": PASSWORD}
    policy = connection.policy
    assert policy.start_date == dt.date(2024, 1, 1)
    assert len(connection.settings_of("source").shop_ids) == 1
    assert policy.mark_paid is True and policy.customer_per_buyer is True
    assert policy.document_date == "payment"
    assert policy.payment_accounts.by_method["PayPal"] == paypal
    assert KEY not in page.content() and PASSWORD not in page.content()
