"""The payment-account mapping is the target's, for any source: one page per connection
whose target books payments on accounts, filled from the source's payment methods."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest

from belegsync.bookkeeping import Payment
from belegsync.connectors.base import AdapterContext
from belegsync.documents.models import Connection
from belegsync.targets.datev.target import DatevTarget
from tests.conftest import make_voucher
from tests.exports.helpers import store

pytestmark = pytest.mark.django_db


def _connection(org, source_kind, target_kind, **settings):
    return Connection.objects.create(
        organisation=org,
        name=f"{source_kind} → {target_kind}",
        source_kind=source_kind,
        target_kind=target_kind,
        settings=settings,
    )


@pytest.mark.parametrize("source", ["afterbuy_api", "afterbuy_csv", "billbee"])
def test_any_sources_payment_methods_map_to_datev_accounts(client, alice, org, source):
    """GIVEN a connection from SOURCE to DATEV, with documents paid by a method the source
    does not list itself
    WHEN the merchant maps payment methods to account numbers on its accounts page
    THEN the policy holds the mapping, nothing else of the connection changed, and the
    DATEV file books each method on its account."""
    org.datev_consultant_number, org.datev_client_number = 4711, 1001
    org.save()
    connection = _connection(
        org,
        source,
        "datev",
        policy={"mark_paid": True, "start_date": "2026-01-01"},
        target={"oss_tax_key": "240"},
    )
    paid = (Payment("Amazon Pay", Decimal("44.95"), dt.date(2026, 11, 2)),)
    store(connection, make_voucher("RE-7", payments=paid), state="waiting")
    client.force_login(alice)
    edit = client.get(f"/connections/{connection.pk}/").content.decode()
    page_url = f"/connections/{connection.pk}/accounts/"
    assert f'href="{page_url}"' in edit
    page = client.get(page_url).content.decode()
    labels = _labels(page)
    # seen on a document first, then the source's own list
    assert labels[0] == "Amazon Pay" and "PayPal" in labels, labels
    assert "1 document waits" in page
    index = {m: i for i, m in enumerate(labels)}
    response = client.post(
        page_url,
        {f"method_{index['PayPal']}": "1360", f"method_{index['Amazon Pay']}": "1361"},
    )
    assert response.status_code == 302
    connection.refresh_from_db()
    assert dict(connection.policy.payment_accounts.by_method) == {
        "PayPal": "1360",
        "Amazon Pay": "1361",
    }
    assert connection.policy.mark_paid and str(connection.policy.start_date) == "2026-01-01"
    assert connection.settings["target"] == {"oss_tax_key": "240"}
    target = DatevTarget(
        AdapterContext(
            settings=connection.settings_of("target"),
            policy=connection.policy,
            advisor=org.advisor,
        )
    )
    assert dict(target.extf_settings().payment_accounts) == {"PayPal": 1360, "Amazon Pay": 1361}


def _labels(page: str) -> list[str]:
    """The payment methods in the order of their fields (the label before each field)."""
    rows = page.split('<td class="title"><label for="id_method_')[1:]
    return [row.split(">", 1)[1].split("<", 1)[0] for row in rows]


def test_a_target_that_books_no_payments_on_accounts_has_no_such_page(client, alice, org):
    connection = _connection(org, "afterbuy_api", "lexoffice")
    client.force_login(alice)
    assert client.get(f"/connections/{connection.pk}/accounts/").status_code == 404
    assert "/accounts/" not in client.get(f"/connections/{connection.pk}/").content.decode()


def test_another_organisations_connection_is_not_found(client, bob, org):
    connection = _connection(org, "billbee", "datev")
    client.force_login(bob)
    assert client.get(f"/connections/{connection.pk}/accounts/").status_code == 404
