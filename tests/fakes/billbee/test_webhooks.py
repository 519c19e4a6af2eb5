"""The Billbee double's webhooks: registered through /api/v1/webhooks, delivered as POSTs."""

from __future__ import annotations

import hashlib
import hmac
import http.server
import json
import threading
import time
from collections.abc import Iterator
from urllib.parse import parse_qs, urlparse

import httpx
import pytest

from belegsync.fakes.base import READINGS
from belegsync.fakes.billbee import BillbeeFake
from belegsync.fakes.billbee.seed import seed_orders

KEY, USER, PASSWORD = "key-1", "shop@example.org", "api-pw"


class Receiver(http.server.BaseHTTPRequestHandler):
    calls: list[tuple[str, dict[str, str], bytes]] = []

    def do_GET(self) -> None:  # the registration's echo
        echo = parse_qs(urlparse(self.path).query).get("echo", [""])[0]
        self.send_response(200)
        self.end_headers()
        self.wfile.write(echo.encode())

    def do_POST(self) -> None:
        body = self.rfile.read(int(self.headers["Content-Length"]))
        type(self).calls.append((self.path, dict(self.headers), body))
        self.send_response(202)
        self.end_headers()

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture
def receiver() -> Iterator[str]:
    Receiver.calls = []
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Receiver)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_port}/hook/abc"
    server.shutdown()


@pytest.fixture
def api(run_fake):
    app = BillbeeFake(
        api_key=KEY, user=USER, password=PASSWORD, rate_limit=None, endpoint_rate_limit=None
    )
    fake = run_fake(app)
    with httpx.Client(
        base_url=f"{fake.url}/api/v1/", headers={"X-Billbee-Api-Key": KEY}, auth=(USER, PASSWORD)
    ) as client:
        yield app, client


def wait_for(predicate, seconds: float = 5.0) -> None:
    end = time.monotonic() + seconds
    while not predicate():
        assert time.monotonic() < end, "no delivery"
        time.sleep(0.02)


def test_it_registers_after_the_echo_and_delivers_a_signed_post(api, receiver):
    app, client = api
    answer = client.post(
        "webhooks",
        json={"WebHookUri": receiver, "Secret": "s3cret", "Filters": ["order.created"]},
    )
    assert answer.status_code == 201
    assert answer.json()["Secret"] is None
    assert [h["WebHookUri"] for h in client.get("webhooks").json()] == [receiver]

    order = seed_orders(1)[0]
    order["BillBeeOrderId"] = 987654321
    app.add_order(order)
    wait_for(lambda: Receiver.calls)
    path, headers, body = Receiver.calls[0]
    assert path == "/hook/abc"
    payload = json.loads(body)
    assert payload["Notifications"][0]["Action"] == "order.created"
    assert payload["Notifications"][0]["OrderId"] == 987654321
    expected = "sha256=" + hmac.new(b"s3cret", body, hashlib.sha256).hexdigest()
    assert headers["ms-signature"] == expected


def test_it_refuses_a_uri_that_fails_the_echo_and_delivers_nothing(api, receiver):
    _app, client = api
    dead = "http://127.0.0.1:9/nothing"
    assert client.post("webhooks", json={"WebHookUri": dead}).status_code == 400
    assert client.get("webhooks").json() == []


def test_it_skips_the_echo_with_noecho_and_honours_filters_and_pause(api, receiver):
    app, client = api
    hook = client.post(
        "webhooks", json={"WebHookUri": receiver + "?noecho", "Filters": ["order.invoice_created"]}
    ).json()
    order = seed_orders(1)[0]
    order["BillBeeOrderId"] = 1234
    app.add_order(order)  # order.created: not in the filters
    time.sleep(0.3)
    assert Receiver.calls == []
    client.put(f"webhooks/{hook['Id']}", json={**hook, "IsPaused": True})
    assert client.get(f"webhooks/{hook['Id']}").json()["IsPaused"] is True
    assert client.delete(f"webhooks/{hook['Id']}").status_code == 200
    assert client.get("webhooks").json() == []


@pytest.mark.parametrize("reading", READINGS)
def test_a_removed_webhook_is_gone_and_an_unknown_one_not_found(api, receiver, reading):
    """The swagger's DELETE answers 200 with an object; ASP.NET's Ok() (the other reading)
    has no body; an unknown id is ASP.NET's 404 either way."""
    app, client = api
    app.set_reading(reading)
    hook = client.post("webhooks", json={"WebHookUri": receiver + "?noecho"}).json()
    removed = client.delete(f"webhooks/{hook['Id']}")
    assert removed.status_code == 200
    assert removed.content == (b"" if reading == "alternative" else b"{}")
    for answer in (client.delete(f"webhooks/{hook['Id']}"), client.get(f"webhooks/{hook['Id']}")):
        assert answer.status_code == 404
        assert "no webhook" in answer.json()["Message"]


class GoneReceiver(Receiver):
    def do_POST(self) -> None:
        self.rfile.read(int(self.headers["Content-Length"]))
        self.send_response(410)
        self.end_headers()


def test_a_receiver_that_answers_gone_has_its_registration_dropped(api):
    """ASP.NET WebHooks' rule (unverified for Billbee): 410 Gone ends the registration."""
    app, client = api
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), GoneReceiver)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        uri = f"http://127.0.0.1:{server.server_port}/hook/old"
        client.post("webhooks", json={"WebHookUri": uri, "Secret": "s", "Filters": []})
        order = seed_orders(1)[0]
        app.add_order(order)
        wait_for(lambda: app.webhooks.log)
        assert app.webhooks.log[0][2] == 410
        assert client.get("webhooks").json() == []
    finally:
        server.shutdown()
