"""A bounded schemathesis run per double: requests generated from the official spec.

For every operation of the official sevDesk and Billbee specs that the double
serves, schemathesis generates requests (valid ones and, from the coverage phase
of its strategies, edge values); the double answers each over real HTTP. No
answer may be a 5xx, and every answer must match the spec with its errata
(:mod:`tests.contract.specs`). The number of cases per operation is
``BELEGSYNC_FUZZ_CASES`` (default 8; the closing note's run used 200).
"""

from __future__ import annotations

import base64
import os
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from werkzeug.exceptions import HTTPException
from werkzeug.routing import Map

from belegsync.fakes.base import RunningFake, serve_in_thread
from belegsync.fakes.billbee import BillbeeFake
from belegsync.fakes.sevdesk import SevdeskFake

from .check import schema
from .specs import BASE_PATHS

CASES = int(os.environ.get("BELEGSYNC_FUZZ_CASES", "8"))
TOKEN = "0123456789abcdef0123456789abcdef"
BILLBEE = ("key-1", "shop@example.org", "api-pw")


def sevdesk_double() -> SevdeskFake:
    return SevdeskFake(api_token=TOKEN)


def billbee_double() -> BillbeeFake:
    app = BillbeeFake(
        api_key=BILLBEE[0],
        user=BILLBEE[1],
        password=BILLBEE[2],
        rate_limit=None,
        endpoint_rate_limit=None,
        bulk=20,
    )
    app.throttle_per_order = False
    return app


def credentials(system: str) -> dict[str, str]:
    if system == "sevdesk":
        return {"Authorization": TOKEN}
    basic = base64.b64encode(f"{BILLBEE[1]}:{BILLBEE[2]}".encode()).decode()
    return {"X-Billbee-Api-Key": BILLBEE[0], "Authorization": f"Basic {basic}"}


DOUBLES: dict[str, Callable[[], Any]] = {"sevdesk": sevdesk_double, "billbee": billbee_double}


def served(system: str) -> list[tuple[str, str]]:
    """(method, template) of the spec's operations that the double routes."""
    double = DOUBLES[system]()
    urls: Map = double.url_map
    adapter = urls.bind("localhost")
    found = []
    for operation in schema(system).get_all_operations():
        op = operation.ok()
        try:
            adapter.match(_with_ids(BASE_PATHS[system] + op.path), method=op.method.upper())
        except HTTPException:  # not routed, or routed for another method
            continue
        found.append((op.method.upper(), op.path))
    return found


def _with_ids(template: str) -> str:
    return "/".join("1" if part.startswith("{") else part for part in template.split("/"))


@pytest.fixture(scope="module")
def doubles() -> Iterator[dict[str, RunningFake]]:
    running = {system: serve_in_thread(make()) for system, make in DOUBLES.items()}
    yield running
    for fake in running.values():
        fake.stop()


OPERATIONS = [(system, method, path) for system in DOUBLES for method, path in served(system)]


@pytest.mark.parametrize(
    ("system", "method", "path"), OPERATIONS, ids=[f"{s} {m} {p}" for s, m, p in OPERATIONS]
)
def test_no_generated_request_makes_a_double_fail_or_leave_its_spec(doubles, system, method, path):
    operation = schema(system)[path][method]
    fake = doubles[system]

    @settings(
        max_examples=CASES,
        deadline=None,
        derandomize=True,
        database=None,
        suppress_health_check=list(HealthCheck),
    )
    @given(case=operation.as_strategy(), authorised=st.booleans())
    def run(case: Any, authorised: bool) -> None:
        if authorised:
            case.headers = {**(case.headers or {}), **credentials(system)}
        response = case.call(base_url=f"{fake.url}{BASE_PATHS[system]}", timeout=10)
        assert response.status_code < 500, (response.status_code, response.text[:300])
        operation.validate_response(response)

    run()
