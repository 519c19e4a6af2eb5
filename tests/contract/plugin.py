"""A pytest plugin: every exchange with a double during a test is held to its contract.

While a test runs, each request any double receives and its answer are recorded
(:data:`belegsync.fakes.base.OBSERVERS`). When the test ends:

- a request belegsync's own clients sent (their User-Agent starts "belegsync") to
  sevDesk or Billbee must match the official spec with its named errata
  (:mod:`.specs`); one to lexoffice's voucher endpoints must match the voucher
  schema written from lexoffice's docs;
- every answer of the sevDesk and Billbee doubles must match the spec (errors in
  the system's own error form, erratum "error_statuses");
- no double may have crashed, and no error of any double may be an HTML page.

Anything else fails the test, with the list of what was outside. A test that
sends malformed requests on purpose still has the doubles' answers checked.
"""

from __future__ import annotations

import contextlib
import json
import threading
from collections.abc import Iterator
from functools import cache
from typing import Any

import jsonschema
import pytest

from belegsync.fakes.base import OBSERVERS, Exchange
from tests.reference import REFERENCE

from .check import request_problems, response_problems

SPECIFIED = ("sevdesk", "billbee")
OWN_AGENT = "belegsync"
#: lexoffice publishes no OpenAPI; its voucher schema is written from the docs (README §5.1).
LEXOFFICE_VOUCHER_WRITES = (("POST", "/v1/vouchers"), ("PUT", "/v1/vouchers/"))
#: Pages of Afterbuy's web login (not the XML API) are HTML by nature.
AFTERBUY_WEB = ("/Account/Login", "/afterbuy/invoice.aspx", "/afterbuy/")


class Recorder:
    """Collects exchanges from the doubles' server threads."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._exchanges: list[Exchange] = []

    def __call__(self, exchange: Exchange) -> None:
        with self._lock:
            self._exchanges.append(exchange)

    def take(self) -> list[Exchange]:
        with self._lock:
            taken, self._exchanges = self._exchanges, []
        return taken


RECORDER = Recorder()


@contextlib.contextmanager
def recording() -> Iterator[list[Exchange]]:
    """The exchanges of the doubles while the block runs (also seen by the plugin)."""
    seen: list[Exchange] = []
    OBSERVERS.append(seen.append)
    try:
        yield seen
    finally:
        OBSERVERS.remove(seen.append)


def pytest_configure(config: pytest.Config) -> None:
    if RECORDER not in OBSERVERS:
        OBSERVERS.append(RECORDER)


@pytest.fixture(autouse=True)
def _doubles_keep_their_contract(request: pytest.FixtureRequest) -> Iterator[None]:
    RECORDER.take()
    yield
    exchanges = RECORDER.take()
    if request.node.get_closest_marker("fake_crashes"):
        exchanges = [e for e in exchanges if not e.crashed]
    problems = contract_problems(exchanges)
    if problems:
        listing = "\n".join(f"- {p}" for p in problems[:25])
        pytest.fail(f"outside the contract of the doubles:\n{listing}", pytrace=False)


def from_belegsync(exchange: Exchange) -> bool:
    return exchange.request_headers.get("User-Agent", "").startswith(OWN_AGENT)


def contract_problems(exchanges: list[Exchange]) -> list[str]:
    problems: list[str] = []
    for exchange in exchanges:
        if exchange.path.startswith("/__fake__/"):
            continue
        where = f"{exchange.system} {exchange.method} {exchange.path}"
        if exchange.crashed:
            problems.append(f"{where}: the double crashed (see its log)")
        if exchange.status >= 400 and _is_html(exchange):
            problems.append(f"{where}: error {exchange.status} as an HTML page")
        if exchange.system in SPECIFIED:
            if from_belegsync(exchange):
                problems += [f"request {p}" for p in request_problems(exchange.system, exchange)]
            problems += [f"answer {p}" for p in response_problems(exchange.system, exchange)]
        elif exchange.system == "lexoffice" and from_belegsync(exchange):
            problems += _lexoffice_voucher_problems(exchange)
    return problems


def _is_html(exchange: Exchange) -> bool:
    if exchange.system == "afterbuy" and exchange.path.startswith(AFTERBUY_WEB):
        return False
    return "html" in exchange.response_content_type


@cache
def _voucher_validator() -> jsonschema.Draft202012Validator:
    schema = json.loads((REFERENCE / "lexoffice" / "voucher.schema.json").read_text())
    return jsonschema.Draft202012Validator(
        schema, format_checker=jsonschema.Draft202012Validator.FORMAT_CHECKER
    )


def _lexoffice_voucher_problems(exchange: Exchange) -> list[str]:
    writes = any(
        exchange.method == method and (exchange.path == path or exchange.path.startswith(path))
        for method, path in LEXOFFICE_VOUCHER_WRITES
    )
    if not writes or exchange.path.endswith("/files"):
        return []
    try:
        body: Any = json.loads(exchange.request_body or b"null")
    except ValueError:
        return [f"lexoffice {exchange.method} {exchange.path}: the body is not JSON"]
    return [
        f"request lexoffice {exchange.method} {exchange.path}: body"
        + "".join(f"[{p}]" if isinstance(p, int) else f".{p}" for p in error.absolute_path)
        + f": {error.message[:160]}"
        for error in _voucher_validator().iter_errors(body)
    ][:6]
