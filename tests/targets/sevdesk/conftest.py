from __future__ import annotations

from collections.abc import Callable, Iterator

import pytest

from belegsync.connectors.base import AdapterContext
from belegsync.connectors.http import RetryPolicy
from belegsync.fakes.base import READINGS, RunningFake, serve_in_thread
from belegsync.fakes.sevdesk import SevdeskFake, build
from tests.doubles import policy_and_settings

TOKEN = "0123456789abcdef0123456789abcdef"


@pytest.fixture(scope="module")
def _server() -> Iterator[RunningFake]:
    running = serve_in_thread(build(["--api-token", TOKEN]))
    yield running
    running.stop()


@pytest.fixture(params=READINGS)
def fake(
    _server: RunningFake, request: pytest.FixtureRequest, point_at: Callable[[str, str], None]
) -> RunningFake:
    """One server per module (start/stop is slow), fresh state per test; each test runs
    against both readings of what the reference leaves unverified."""
    point_at("sevdesk", _server.url)
    app = _server.app
    assert isinstance(app, SevdeskFake)
    app.set_reading(request.param)
    app.api_token = TOKEN
    app.small_business = False
    app.bookkeeping_version = "2.0"
    app.error_with_200_next = app.fail_after_write_next = 0
    app.reset_state()
    app.add_check_account("PayPal BB", "offline")
    return _server


def account_id(app: SevdeskFake, name: str) -> str:
    return str(next(a["id"] for a in app.check_accounts.values() if a["name"] == name))


@pytest.fixture
def context(fake):
    def make(**settings: object) -> AdapterContext:
        base = {"mark_paid": True, "by_method": {"paypal": account_id(fake.app, "PayPal BB")}}
        policy, own = policy_and_settings({**base, **settings})
        return AdapterContext(
            credentials={"api_token": TOKEN},
            settings=own,
            policy=policy,
        )

    return make


@pytest.fixture
def target(context):
    from belegsync.targets.sevdesk import SevdeskTarget

    def make(**settings: object) -> SevdeskTarget:
        return SevdeskTarget(context(**settings), retry=RetryPolicy(attempts=2, base_delay=0))

    return make
