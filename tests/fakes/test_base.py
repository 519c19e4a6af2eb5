"""The frame every fake shares: several instances, faults, rate limit, control API."""

from __future__ import annotations

import httpx
from werkzeug.routing import Rule

from belegsync.fakes.base import FakeApp, json_response


class Echo(FakeApp):
    system = "echo"
    rules = (Rule("/ping", endpoint="ping"),)

    def on_ping(self, request):
        return json_response({"pong": True})


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
