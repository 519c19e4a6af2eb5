"""The frame every fake shares: several instances, faults, rate limit, control API."""

from __future__ import annotations

import httpx
import pytest
from werkzeug.routing import Rule

from belegsync.fakes.base import OBSERVERS, FakeApp, json_response


class Echo(FakeApp):
    system = "echo"
    rules = (
        Rule("/ping", endpoint="ping", methods=["GET"]),
        Rule("/bug", endpoint="bug", methods=["GET"]),
        Rule("/strict", endpoint="strict", methods=["POST"]),
    )

    def on_ping(self, request):
        return json_response({"pong": True})

    def on_bug(self, request):
        return json_response({"n": int("not a number")})

    def on_strict(self, request):
        return json_response(request.get_json())  # werkzeug's BadRequest on a wrong body


def test_it_runs_two_instances_of_one_fake_side_by_side(run_fake):
    first, second = run_fake(Echo()), run_fake(Echo())
    assert httpx.get(f"{first.url}/ping").json() == {"pong": True}
    assert httpx.get(f"{second.url}/ping").json() == {"pong": True}


def test_it_answers_queued_faults_then_recovers(run_fake):
    fake = run_fake(Echo())
    fake.app.configure_faults(next=["429", "503"])
    statuses = [httpx.get(f"{fake.url}/ping").status_code for _ in range(3)]
    assert statuses == [429, 503, 200]
    assert fake.app.stats["fault_429"] == 1


def test_it_drops_the_connection_on_a_drop_fault(run_fake):
    fake = run_fake(Echo())
    fake.app.configure_faults(next=["drop"])
    try:
        httpx.get(f"{fake.url}/ping")
    except httpx.TransportError:
        pass
    else:
        raise AssertionError("the connection should have been dropped")
    assert httpx.get(f"{fake.url}/ping").status_code == 200


def test_it_limits_the_rate_per_account(run_fake):
    fake = run_fake(Echo(rate_limit=2))
    statuses = [httpx.get(f"{fake.url}/ping").status_code for _ in range(4)]
    assert statuses.count(429) >= 1 and statuses[:2] == [200, 200]


def test_the_control_api_sets_faults_from_another_process(run_fake):
    fake = run_fake(Echo())
    httpx.post(f"{fake.url}/__fake__/faults", json={"next": ["500"]})
    assert httpx.get(f"{fake.url}/ping").status_code == 500
    stats = httpx.get(f"{fake.url}/__fake__/stats").json()
    assert stats["fault_500"] == 1 and stats["500"] == 1


@pytest.mark.fake_crashes
@pytest.mark.parametrize(
    ("method", "path", "status"),
    [("GET", "/bug", 500), ("DELETE", "/ping", 405), ("POST", "/strict", 415), ("GET", "/no", 404)],
)
def test_every_refusal_is_the_systems_json_never_an_html_page(run_fake, method, path, status):
    """GIVEN a bug in a handler, a wrong method, a body werkzeug refuses, an unknown path
    THEN the answer is the system's own error shape, with no Python text in it."""
    fake = run_fake(Echo())
    response = httpx.request(method, f"{fake.url}{path}")
    assert response.status_code == status
    assert response.headers["Content-Type"].startswith("application/json")
    assert "Traceback" not in response.text and "invalid literal" not in response.text
    assert set(response.json()) == {"message"}


@pytest.mark.fake_crashes
def test_a_bug_in_a_fake_is_counted_so_tests_can_fail_on_it(run_fake):
    fake = run_fake(Echo())
    httpx.get(f"{fake.url}/bug")
    assert fake.app.stats["crashes"] == 1


def test_observers_see_each_exchange_as_the_wire_carried_it(run_fake):
    seen = []
    OBSERVERS.append(seen.append)
    try:
        fake = run_fake(Echo())
        httpx.get(f"{fake.url}/ping?x=1", headers={"X-Test": "yes"})
    finally:
        OBSERVERS.remove(seen.append)
    (exchange,) = seen
    assert (exchange.system, exchange.method, exchange.path, exchange.query) == (
        "echo",
        "GET",
        "/ping",
        "x=1",
    )
    assert exchange.request_headers["X-Test"] == "yes" and exchange.status == 200
    assert exchange.response_body == b'{"pong": true}'
