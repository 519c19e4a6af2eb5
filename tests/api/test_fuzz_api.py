"""A bounded schemathesis run against belegsync's own API, from its live schema.

For every operation of ``/api/v1/openapi.json``, schemathesis generates
requests (valid ones and edge values), with and without Alice's token, and
sends them through Django's WSGI app over Alice's data. No answer may be a
5xx, and every answer must match the schema: documented status, content type,
headers and body. ``BELEGSYNC_FUZZ_CASES`` cases per operation (default 8;
the closing note's run used 200).
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from typing import Any

import pytest
import schemathesis
from django.core.signals import request_finished, request_started
from django.core.wsgi import get_wsgi_application
from django.db import close_old_connections
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import positive_data_acceptance

from belegsync.api.management.commands.openapi import COMMITTED
from belegsync.documents.models import DocumentFile
from tests.web.helpers import failed, make_document

CASES = int(os.environ.get("BELEGSYNC_FUZZ_CASES", "8"))
#: Checks that do not apply to an operation, each with its reason.
EXCLUDED = {
    # 503 "no worker alive" is health's documented answer, not a server error
    "/api/v1/health": [not_a_server_error],
    # a well-formed upload is still refused by the merchant's rules (a connection whose
    # source takes no files: 422 upload_refused), which no schema can express
    "/api/v1/imports": [positive_data_acceptance],
    # likewise an address the merchant may not use (422 webhook_refused)
    "/api/v1/webhooks": [positive_data_acceptance],
    # and a kind of system belegsync does not know (kept out of the schema on purpose:
    # a new adapter must not change the committed interface)
    "/api/v1/connections": [positive_data_acceptance],
}
OPERATIONS = [
    (method.upper(), path)
    for path, item in json.loads(COMMITTED.read_text(encoding="utf-8"))["paths"].items()
    for method in item
]


@pytest.fixture
def live_schema(db) -> Iterator[Any]:
    """The schema as the app serves it, with the app to send the cases to.

    Like Django's test client, the requests keep the test's database connection
    open (the handler would close it after each request, and the test's data with it).
    """
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    try:
        yield schemathesis.openapi.from_wsgi("/api/v1/openapi.json", get_wsgi_application())
    finally:
        request_started.connect(close_old_connections)
        request_finished.connect(close_old_connections)


@pytest.fixture
def alices_data(connection):
    done = make_document(connection, "RE-1", state="done")
    DocumentFile.store(done, b"%PDF-1.4 fuzz", "RE-1.pdf")
    failed(connection, "RE-2")
    make_document(connection, "GS-3", kind="credit_note", state="waiting")
    return connection


@pytest.mark.parametrize(("method", "path"), OPERATIONS, ids=[f"{m} {p}" for m, p in OPERATIONS])
def test_no_generated_request_makes_the_api_fail_or_leave_its_schema(
    live_schema, alices_data, alice_secret, settings_override, method, path
):
    operation = live_schema[path][method]

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
            case.headers = {**(case.headers or {}), "Authorization": f"Bearer {alice_secret}"}
        response = case.call()
        unhealthy = path.endswith("/health") and response.status_code == 503
        assert response.status_code < 500 or unhealthy, (response.status_code, response.text[:300])
        case.validate_response(response, excluded_checks=EXCLUDED.get(path, []))

    run()


@pytest.fixture
def settings_override(settings):
    # the request limit is tested on its own; here it would only cut the run short
    settings.BELEGSYNC_API_REQUESTS_PER_MINUTE = 1_000_000
    # generated webhook addresses are not looked up in a DNS this machine does not have
    settings.BELEGSYNC_WEBHOOK_ALLOW_PRIVATE = True
