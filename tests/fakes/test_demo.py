"""``belegsync demo`` is belegsync's own operator: its Billbee double calls the demo's
server, so "New orders at once" works in the demo as it does for a merchant."""

from __future__ import annotations

import time
from urllib.parse import urlsplit

import httpx
import pytest
from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.utils import timezone

from belegsync.connectors import egress
from belegsync.documents.models import Connection
from belegsync.fakes.billbee.seed import seed_orders
from belegsync.fakes.management.commands import demo


def test_the_demo_publishes_the_address_it_listens_on():
    assert demo.own_address("127.0.0.1", 8123) == "http://127.0.0.1:8123"
    assert demo.own_address("0.0.0.0", 8123) == "http://127.0.0.1:8123"  # noqa: S104
    assert demo.own_address("192.0.2.7", 80) == "http://192.0.2.7:80"


@pytest.mark.django_db(transaction=True)
def test_the_demos_billbee_webhook_reaches_its_own_server(
    live_server, settings, monkeypatch, client
):
    """GIVEN the demo set up to listen where the test's server listens
    WHEN its user sets up the webhook on the Billbee connection's step 1
    THEN the Billbee double's echo call reaches the demo's receiver, and an order added
    in the double makes the connection due at once."""
    monkeypatch.setenv(egress.ENV, "")  # restored after the test: the demo sets both
    monkeypatch.setenv("BELEGSYNC_PUBLIC_URL", "")
    settings.BELEGSYNC_PUBLIC_URL = ""
    port = urlsplit(live_server.url).port
    call_command("demo", "--no-serve", "--port", str(port))
    published = settings.BELEGSYNC_PUBLIC_URL
    assert published == f"http://127.0.0.1:{port}"

    connection = Connection.objects.get(name="Billbee → sevDesk")
    client.force_login(get_user_model().objects.get(username=demo.DEMO_USER))
    step = f"/billbee/connections/{connection.pk}/settings/general/"
    assert "Set up the webhook at Billbee" in client.get(step).content.decode()
    answer = client.post(
        f"/billbee/connections/{connection.pk}/webhook/", {"action": "register"}, follow=True
    )
    assert "Billbee now reports new and changed orders at once." in answer.content.decode()

    later = timezone.now() + timezone.timedelta(hours=1)
    Connection.objects.filter(pk=connection.pk).update(next_sync_at=later)
    order = {**seed_orders(1)[0], "BillBeeOrderId": 900000000000001}
    billbee = egress.replacements()["billbee"].origin
    httpx.post(f"{billbee}/__fake__/orders", json=order).raise_for_status()
    deadline = time.monotonic() + 10
    while Connection.objects.get(pk=connection.pk).next_sync_at > timezone.now():
        assert time.monotonic() < deadline, "the double's call did not make it due"
        time.sleep(0.05)
