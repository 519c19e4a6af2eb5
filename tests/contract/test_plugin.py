"""The contract check itself: what it lets through and what it stops."""

from __future__ import annotations

import json

import pytest

from belegsync.fakes.base import Exchange
from tests.contract.plugin import contract_problems
from tests.contract.specs import ERRATA, patched
from tests.reference import REFERENCE

OWN = {"User-Agent": "belegsync/test", "Content-Type": "application/json"}
JSON = {"Content-Type": "application/json"}


def exchange(system: str, method: str, path: str, **fields: object) -> Exchange:
    values: dict = {
        "query": "",
        "request_headers": dict(OWN),
        "request_body": b"",
        "status": 200,
        "response_headers": dict(JSON),
        "response_body": b"{}",
    }
    values.update(fields)
    return Exchange(system=system, method=method, path=path, **values)


def recorded(name: str) -> bytes:
    return (REFERENCE / "sevdesk" / "examples" / "recorded" / name).read_bytes()


def test_it_lets_a_recorded_real_answer_through():
    answer = exchange(
        "sevdesk",
        "POST",
        "/api/v1/Voucher/Factory/saveVoucher",
        request_body=(
            REFERENCE / "sevdesk/examples/saveVoucher_19_7_shipping.request.json"
        ).read_bytes(),
        status=201,
        response_body=recorded("voucher_saveVoucher_create.response.json"),
    )
    assert contract_problems([answer]) == []


@pytest.mark.parametrize(
    ("query", "said"),
    [
        ("bogusFilter=1", "'bogusFilter' is not in the spec"),
        ("startDate=01.05.2026", "startDate=['01.05.2026'] does not match"),
        ("status=7", "status=['7'] does not match"),
    ],
)
def test_it_stops_a_request_of_belegsync_outside_spec_and_errata(query, said):
    found = contract_problems([exchange("sevdesk", "GET", "/api/v1/Voucher", query=query)])
    assert any(said in problem for problem in found), found


def test_it_checks_bodies_and_leaves_other_clients_requests_to_the_double():
    body = json.dumps({"voucher": {"objectName": "Voucher", "status": "zwei"}}).encode()
    ours = exchange(
        "sevdesk",
        "POST",
        "/api/v1/Voucher/Factory/saveVoucher",
        request_body=body,
        status=400,
        response_body=recorded("error_404_code_151.response.json"),
    )
    theirs = exchange(
        "sevdesk",
        "POST",
        "/api/v1/Voucher/Factory/saveVoucher",
        request_body=body,
        status=400,
        request_headers=dict(JSON),
        response_body=recorded("error_404_code_151.response.json"),
    )
    assert any("body.voucher.status" in p for p in contract_problems([ours]))
    assert contract_problems([theirs]) == []


def test_it_stops_an_answer_outside_the_spec_whoever_asked():
    wrong = exchange(
        "billbee",
        "GET",
        "/api/v1/orders",
        request_headers={},
        response_body=json.dumps({"Paging": {"Page": "eins"}, "Data": []}).encode(),
    )
    assert any(p.startswith("answer GET /api/v1/orders") for p in contract_problems([wrong]))


def test_it_stops_html_errors_and_crashes_of_any_double():
    page = exchange(
        "lexoffice",
        "GET",
        "/v1/voucherlist",
        status=500,
        response_headers={"Content-Type": "text/html"},
        response_body=b"<html>Traceback</html>",
        crashed=True,
    )
    found = contract_problems([page])
    assert any("as an HTML page" in p for p in found) and any("crashed" in p for p in found)


def test_it_holds_belegsyncs_lexoffice_vouchers_to_the_documented_voucher_schema():
    body = json.loads(
        (REFERENCE / "lexoffice/examples/01-create-salesinvoice-gross.request.json").read_text()
    )
    good = exchange("lexoffice", "POST", "/v1/vouchers", request_body=json.dumps(body).encode())
    body["voucherDate"] = "2025-06-01T00:00:00"
    bad = exchange("lexoffice", "POST", "/v1/vouchers", request_body=json.dumps(body).encode())
    assert contract_problems([good]) == []
    assert any("body.voucherDate" in p for p in contract_problems([bad]))


@pytest.mark.parametrize("system", ["sevdesk", "billbee"])
def test_every_erratum_has_a_name_evidence_and_changes_the_spec(system):
    errata = ERRATA[system]
    assert len({e.name for e in errata}) == len(errata)
    full = patched(system)
    for erratum in errata:
        assert "[" in erratum.evidence and len(erratum.evidence) > 60, erratum.name
        assert patched(system, without=frozenset({erratum.name})) != full, erratum.name


def test_belegsyncs_clients_say_who_they_are_so_their_requests_are_checked():
    from belegsync.connectors.http import ApiClient

    class Probe(ApiClient):  # a client of one system, as every adapter's is
        remote = "billbee"
        addresses = ("http://127.0.0.1:9/",)

    client = Probe()
    assert client.http.headers["User-Agent"].startswith("belegsync")
