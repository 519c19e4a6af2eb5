"""The lexoffice fake against the reference's examples (tests/reference/lexoffice/examples):
it must accept what lexoffice accepts, refuse
what it refuses, and answer in lexoffice's shapes."""

from __future__ import annotations

import copy
import json
import time
from typing import Any

import httpx
import pytest

from belegsync.fakes.base import serve_in_thread
from belegsync.fakes.lexoffice import LexofficeFake, Options, Profile, build
from tests.reference import REFERENCE

EXAMPLES = REFERENCE / "lexoffice" / "examples"
KEY = "test-key"
PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


def example(name: str) -> Any:
    return json.loads((EXAMPLES / name).read_text())


def shape(value: Any) -> Any:
    """Keys (recursively) and JSON types, not values."""
    if isinstance(value, dict):
        return {k: shape(v) for k, v in value.items()}
    if isinstance(value, list):
        return [shape(value[0])] if value else []
    if isinstance(value, bool) or value is None:
        return value
    if isinstance(value, int | float):
        return "number"
    return type(value).__name__


@pytest.fixture(scope="module")
def shared_fake():
    # One server for the module (stopping a server costs half a second); reset per test.
    running = serve_in_thread(
        LexofficeFake(api_keys=(KEY,), partner_keys=("partner",), rate_per_second=0)
    )
    yield running
    running.stop()


@pytest.fixture
def fake(shared_fake):
    shared_fake.app.reset_state()
    shared_fake.app.faults.queued.clear()
    return shared_fake


@pytest.fixture
def http(fake):
    with httpx.Client(
        base_url=fake.url, headers={"Authorization": f"Bearer {KEY}", "Accept": "application/json"}
    ) as client:
        yield client


def test_it_accepts_the_gross_invoice_example_and_answers_with_an_action_result(fake, http):
    response = http.post("/v1/vouchers", json=example("01-create-salesinvoice-gross.request.json"))
    assert response.status_code == 201
    body = response.json()
    assert shape(body) == shape(example("01-create-salesinvoice-gross.response.json"))
    assert body["version"] == 1
    assert response.headers["Location"] == body["resourceUri"]
    assert body["resourceUri"].endswith(f"/v1/vouchers/{body['id']}")


def test_it_renders_a_voucher_like_the_retrieve_example(fake, http):
    created = http.post(
        "/v1/vouchers", json=example("01-create-salesinvoice-gross.request.json")
    ).json()
    upload = http.post(
        f"/v1/vouchers/{created['id']}/files", files={"file": ("RE-2025-004711.pdf", PDF)}
    )
    assert upload.status_code == 202
    assert shape(upload.json()) == shape(example("02-upload-voucher-file.response.json"))
    got = http.get(f"/v1/vouchers/{created['id']}").json()
    expected = example("03-get-salesinvoice.response.json")
    assert shape(got) == shape(expected)
    for name in ("voucherDate", "shippingDate", "dueDate", "voucherItems", "totalGrossAmount"):
        assert got[name] == expected[name]
    assert got["files"] == [upload.json()["id"]]
    assert got["version"] == 2


def test_it_accepts_the_credit_note_and_the_net_b2b_examples(fake, http):
    assert (
        http.post(
            "/v1/vouchers", json=example("04-create-salescreditnote-gross.request.json")
        ).status_code
        == 201
    )
    contact = http.post(
        "/v1/contacts",
        json={"version": 0, "roles": {"customer": {}}, "company": {"name": "Muster GmbH"}},
    ).json()
    net = example("05-create-salesinvoice-net-b2b.request.json")
    assert http.post("/v1/vouchers", json=net).status_code == 406  # unknown contact
    net["contactId"] = contact["id"]
    assert http.post("/v1/vouchers", json=net).status_code == 201


def test_it_answers_an_unknown_category_exactly_like_the_406_example(fake, http):
    body = example("01-create-salesinvoice-gross.request.json")
    body["voucherItems"][0]["categoryId"] = "00000000-0000-0000-0000-000000000000"
    response = http.post("/v1/vouchers", json=body)
    assert response.status_code == 406
    assert response.json() == example("06-validation-error-406.response.json")


@pytest.mark.parametrize(
    ("change", "source"),
    [
        (lambda b: b.update(totalTaxAmount=11.74), "totalTaxAmount"),
        (lambda b: b.update(totalGrossAmount=85.77), "totalGrossAmount"),
        (
            lambda b: b["voucherItems"][0].update(taxRatePercent=20),
            "voucherItems[0].taxRatePercent",
        ),
        (lambda b: b.update(voucherStatus="paid"), "voucherStatus"),
        (lambda b: b.update(type="purchaseinvoice"), "type"),
        (lambda b: b.update(voucherDate="12.06.2025"), "voucherDate"),
        (lambda b: b.update(id="3f0c2b9e-8d41-4a8e-9d3a-5b7f1c2e4a10"), "id"),
        (lambda b: b.pop("voucherNumber"), "voucherNumber"),
        (lambda b: b.update(useCollectiveContact=False), "contactId"),
        (lambda b: b["voucherItems"][0].update(amount=64.885), "voucherItems[0].amount"),
    ],
)
def test_it_rejects_what_lexoffice_rejects_with_an_issue_list(fake, http, change, source):
    body = example("01-create-salesinvoice-gross.request.json")
    change(body)
    response = http.post("/v1/vouchers", json=body)
    assert response.status_code == 406
    issues = response.json()["IssueList"]
    assert source in [i["source"] for i in issues]
    assert set(issues[0]) == {"i18nKey", "source", "type", "additionalData", "args"}
    assert fake.app.vouchers == {}


def test_it_allows_foreign_eu_rates_only_on_destination_categories(run_fake):
    body = example("01-create-salesinvoice-gross.request.json")
    body["voucherItems"] = [
        {
            "amount": 120.0,
            "taxAmount": 20.0,
            "taxRatePercent": 20,
            "categoryId": "4ebd965a-7126-416c-9d8c-a5c9366ee473",
        }
    ]
    body.update(totalGrossAmount=120.0, totalTaxAmount=20.0)
    for principle, status in (("DESTINATION", 201), ("ORIGIN", 406)):
        app = LexofficeFake(profile=Profile(distance_sales_principle=principle), rate_per_second=0)
        url = run_fake(app).url
        response = httpx.post(
            f"{url}/v1/vouchers", json=body, headers={"Authorization": "Bearer test-key"}
        )
        assert response.status_code == status, principle


def test_it_refuses_missing_wrong_and_malformed_credentials(fake):
    url = f"{fake.url}/v1/profile"
    assert httpx.get(url).status_code == 401
    wrong = httpx.get(url, headers={"Authorization": "Bearer nope"})
    assert (wrong.status_code, wrong.json()) == (401, {"message": "Unauthorized"})
    raw = httpx.get(url, headers={"Authorization": KEY})
    assert raw.status_code == 403
    assert "not a valid key=value pair" in raw.json()["message"]


def test_it_wants_json_content_type_on_writes(fake, http):
    response = http.post("/v1/vouchers", content=b"{}", headers={"Content-Type": "text/plain"})
    assert response.status_code == 415


def test_it_answers_429_like_the_example_without_side_effect(run_fake):
    fake = run_fake(LexofficeFake(rate_per_second=2, burst=2))
    body = example("01-create-salesinvoice-gross.request.json")
    headers = {"Authorization": "Bearer test-key"}
    statuses = [httpx.post(f"{fake.url}/v1/vouchers", json=body, headers=headers) for _ in range(3)]
    assert [r.status_code for r in statuses] == [201, 201, 429]
    assert statuses[2].json() == example("07-rate-limited-429.response.json")
    assert "Retry-After" not in statuses[2].headers
    assert len(fake.app.vouchers) == 2
    time.sleep(0.55)  # 2 tokens per second: one is back
    assert httpx.get(f"{fake.url}/v1/profile", headers=headers).status_code == 200


def test_it_finds_a_duplicate_like_the_voucherlist_example(fake, http):
    http.post("/v1/vouchers", json=example("01-create-salesinvoice-gross.request.json"))
    page = http.get(
        "/v1/voucherlist",
        params={
            "voucherType": "salesinvoice,salescreditnote",
            "voucherStatus": "any",
            "voucherNumber": "RE-2025-004711",
        },
    ).json()
    expected = example("08-voucherlist-duplicate-check.response.json")
    assert shape(page) == shape(expected)
    item, want = page["content"][0], expected["content"][0]
    for name in ("voucherType", "voucherStatus", "voucherNumber", "voucherDate", "totalAmount"):
        assert item[name] == want[name]


def test_it_requires_the_voucherlist_filters_in_the_regular_error_format(fake, http):
    response = http.get("/v1/voucherlist", params={"voucherType": "salesinvoice"})
    assert response.status_code == 400
    assert shape(response.json()) == shape(example("09-regular-error-voucherlist.response.json"))
    assert (
        response.json()["message"]
        == example("09-regular-error-voucherlist.response.json")["message"]
    )
    too_big = http.get(
        "/v1/voucherlist", params={"voucherType": "any", "voucherStatus": "any", "size": 251}
    )
    assert too_big.status_code == 400


def test_it_pages_filters_and_html_escapes_voucher_numbers(fake, http):
    base = example("01-create-salesinvoice-gross.request.json")
    for index in range(5):
        http.post("/v1/vouchers", json={**base, "voucherNumber": f"A&B-{index}"})
    query = {"voucherType": "salesinvoice", "voucherStatus": "open", "size": 2}
    first = http.get("/v1/voucherlist", params={**query, "page": 0}).json()
    last = http.get("/v1/voucherlist", params={**query, "page": 2}).json()
    assert (first["totalElements"], first["totalPages"], first["first"]) == (5, 3, True)
    assert (last["numberOfElements"], last["last"]) == (1, True)
    plain = http.get("/v1/voucherlist", params={**query, "voucherNumber": "A&B-1"}).json()
    escaped = http.get("/v1/voucherlist", params={**query, "voucherNumber": "A&amp;B-1"}).json()
    assert (plain["totalElements"], escaped["totalElements"]) == (0, 1)


def test_it_locks_optimistically_and_deletes_files_left_out_of_a_put(fake, http):
    created = http.post(
        "/v1/vouchers", json=example("01-create-salesinvoice-gross.request.json")
    ).json()
    file_id = http.post(
        f"/v1/vouchers/{created['id']}/files", files={"file": ("a.pdf", PDF)}
    ).json()["id"]
    body = example("01-create-salesinvoice-gross.request.json")
    stale = http.put(f"/v1/vouchers/{created['id']}", json={**body, "version": 1})
    assert stale.status_code == 409
    assert stale.json() == example("10-conflict-409-stale-version.response.json")
    kept = http.put(
        f"/v1/vouchers/{created['id']}", json={**body, "version": 2, "files": [file_id]}
    )
    assert kept.status_code == 200
    assert http.get(f"/v1/files/{file_id}", headers={"Accept": "*/*"}).content == PDF
    dropped = http.put(f"/v1/vouchers/{created['id']}", json={**body, "version": 3})
    assert dropped.status_code == 200
    assert http.get(f"/v1/files/{file_id}").status_code == 404


def test_it_checks_uploads_for_size_type_and_duplicates(fake, http):
    voucher_id = http.post(
        "/v1/vouchers", json=example("01-create-salesinvoice-gross.request.json")
    ).json()["id"]
    url = f"/v1/vouchers/{voucher_id}/files"
    first = http.post(url, files={"file": ("a.pdf", PDF)}).json()["id"]
    assert http.post(url, files={"file": ("b.pdf", PDF)}).json()["id"] == first
    too_big = http.post(url, files={"file": ("big.pdf", PDF + b"0" * 5 * 1024 * 1024)})
    not_pdf = http.post(url, files={"file": ("fake.pdf", b"<html>")})
    xml = http.post(url, files={"file": ("e.xml", b"<?xml version='1.0'?><x/>")})
    exe = http.post(url, files={"file": ("a.exe", b"MZ")})
    assert [r.status_code for r in (too_big, not_pdf, xml, exe)] == [406] * 4
    assert xml.json()["IssueList"][0]["i18nKey"] == "inacceptable_file_extension"
    assert http.post(url, content=b"x", headers={"Content-Type": "text/plain"}).status_code == 415
    assert http.get(f"/v1/vouchers/{voucher_id}").json()["files"] == [first]


def test_it_reports_open_payments_like_the_example_and_can_be_paid(fake, http):
    voucher_id = http.post(
        "/v1/vouchers", json=example("01-create-salesinvoice-gross.request.json")
    ).json()["id"]
    assert http.get(f"/v1/payments/{voucher_id}").json() == example(
        "11-payments-open-salesinvoice.response.json"
    )
    fake.app.pay(voucher_id)
    paid = http.get(f"/v1/payments/{voucher_id}").json()
    assert (paid["voucherStatus"], paid["paymentStatus"], paid["openAmount"]) == (
        "paid",
        "balanced",
        0,
    )


def test_it_opens_the_assignment_hint_only_to_partner_tokens(fake, http):
    voucher_id = http.post(
        "/v1/vouchers", json=example("01-create-salesinvoice-gross.request.json")
    ).json()["id"]
    hint = {"voucherId": voucher_id, "externalReference": "PAYPAL-1"}
    assert http.post("/v1/transaction-assignment-hint", json=hint).status_code == 403
    partner = {"Authorization": "Bearer partner"}
    first = httpx.post(f"{fake.url}/v1/transaction-assignment-hint", json=hint, headers=partner)
    again = httpx.post(f"{fake.url}/v1/transaction-assignment-hint", json=hint, headers=partner)
    assert (first.status_code, first.json(), again.status_code) == (
        200,
        {"voucherId": voucher_id},
        406,
    )


def test_it_can_perform_a_write_and_still_answer_504(fake, http):
    fake.app.fail_next_write_with_504()
    response = http.post("/v1/vouchers", json=example("01-create-salesinvoice-gross.request.json"))
    assert response.status_code == 504
    assert response.json() == {"message": "Endpoint request timed out"}
    assert len(fake.app.by_number("RE-2025-004711")) == 1


def test_it_injects_faults_through_the_base(fake, http):
    fake.app.configure_faults(next=["503", "429"])
    assert [http.get("/v1/profile").status_code for _ in range(3)] == [503, 429, 200]


def test_it_builds_from_command_line_options():
    app = build(["--api-key", "k1", "--rate-limit", "5", "--distance-sales-principle", "ORIGIN"])
    assert app.api_keys == {"k1"}
    assert app.window is not None and app.window.per_second == 5
    assert app.profile.distance_sales_principle == "ORIGIN"
    default = build(["--api-key", "k"])
    assert default.window is not None and default.window.per_second == 2
    with pytest.raises(SystemExit):
        build([])


def test_it_validates_sums_to_the_cent_with_configurable_tolerance(run_fake):
    body = example("01-create-salesinvoice-gross.request.json")
    off = copy.deepcopy(body)
    off["totalTaxAmount"] = 11.74
    strict = LexofficeFake(rate_per_second=0)
    lenient = LexofficeFake(rate_per_second=0, options=Options())
    lenient.options.strict = type(lenient.options.strict)(
        sum_tolerance=__import__("decimal").Decimal("0.01")
    )
    headers = {"Authorization": "Bearer test-key"}
    assert (
        httpx.post(f"{run_fake(strict).url}/v1/vouchers", json=off, headers=headers).status_code
        == 406
    )
    assert (
        httpx.post(f"{run_fake(lenient).url}/v1/vouchers", json=off, headers=headers).status_code
        == 201
    )


REGULAR_ERROR = {"timestamp", "status", "error", "path", "traceId", "message"}


def assert_json_error(response: httpx.Response, status: int) -> Any:
    assert response.status_code == status
    assert response.headers["Content-Type"].startswith("application/json")
    return response.json()


def test_it_refuses_a_voucherlist_date_with_a_time_in_its_regular_error_form(fake, http):
    """GIVEN what a client library sends for a date filter (a timestamp without offset)
    THEN the double answers 400 in the regular error form, not an HTML page: the docs
    give the filters as yyyy-MM-dd."""
    response = http.get(
        "/v1/voucherlist",
        params={
            "voucherType": "any",
            "voucherStatus": "any",
            "voucherDateFrom": "2025-06-01T00:00:00",
        },
    )
    body = assert_json_error(response, 400)
    assert set(body) == REGULAR_ERROR and "voucherDateFrom" in body["message"]


def test_the_lenient_reading_takes_the_date_part_of_a_timestamp_filter(run_fake):
    fake = run_fake(LexofficeFake(rate_per_second=0, options=Options(lenient_filter_dates=True)))
    with httpx.Client(base_url=fake.url, headers={"Authorization": f"Bearer {KEY}"}) as http:
        http.post("/v1/vouchers", json=example("01-create-salesinvoice-gross.request.json"))
        day = example("01-create-salesinvoice-gross.request.json")["voucherDate"]
        found = http.get(
            "/v1/voucherlist",
            params={
                "voucherType": "any",
                "voucherStatus": "any",
                "voucherDateFrom": f"{day}T00:00:00",
            },
        )
        later = http.get(
            "/v1/voucherlist",
            params={
                "voucherType": "any",
                "voucherStatus": "any",
                "voucherDateFrom": "2099-01-01T00:00:00+01:00",
            },
        )
    assert found.json()["totalElements"] == 1 and later.json()["totalElements"] == 0


@pytest.mark.parametrize(
    ("path", "params"),
    [
        ("/v1/contacts", {"size": "abc"}),
        ("/v1/contacts", {"page": "-1"}),
        ("/v1/contacts", {"size": "251"}),
        ("/v1/voucherlist", {"voucherType": "any", "voucherStatus": "any", "page": "-1"}),
        ("/v1/voucherlist", {"voucherType": "any", "voucherStatus": "any", "size": "abc"}),
    ],
)
def test_it_refuses_bad_paging_alike_on_both_lists_in_each_lists_own_form(fake, http, path, params):
    body = assert_json_error(http.get(path, params=params), 400)
    if path == "/v1/contacts":
        assert body["IssueList"][0]["i18nKey"] == "bad_request_error"
    else:
        assert set(body) == REGULAR_ERROR


def test_the_clamping_reading_caps_an_oversized_page(run_fake):
    fake = run_fake(LexofficeFake(rate_per_second=0, options=Options(clamp_page_size=True)))
    response = httpx.get(
        f"{fake.url}/v1/contacts",
        params={"size": "900"},
        headers={"Authorization": f"Bearer {KEY}"},
    )
    assert response.status_code == 200 and response.json()["size"] == 250


def test_it_uploads_a_file_to_a_new_voucher_to_check_through_the_generic_files_endpoint(fake, http):
    response = http.post("/v1/files", files={"file": ("beleg.pdf", PDF)}, data={"type": "voucher"})
    assert response.status_code == 202
    body = response.json()
    assert shape(body) == shape(example("02-upload-voucher-file.response.json"))
    voucher = http.get(f"/v1/vouchers/{body['voucherId']}").json()
    assert voucher["voucherStatus"] == "unchecked" and voucher["files"] == [body["id"]]
    assert http.get(f"/v1/files/{body['id']}", headers={"Accept": "*/*"}).content == PDF
    listed = http.get(
        "/v1/voucherlist", params={"voucherType": "any", "voucherStatus": "unchecked"}
    )
    assert [v["id"] for v in listed.json()["content"]] == [body["voucherId"]]
    without_type = http.post("/v1/files", files={"file": ("beleg.pdf", PDF)})
    assert assert_json_error(without_type, 400)["IssueList"][0]["source"] == "type"


def test_it_answers_201_to_a_created_contact(fake, http):
    response = http.post(
        "/v1/contacts",
        json={"version": 0, "roles": {"customer": {}}, "person": {"lastName": "Muster"}},
    )
    assert response.status_code == 201
    assert set(response.json()) == {"id", "resourceUri", "createdDate", "updatedDate", "version"}


def test_it_answers_a_wrong_method_in_json_never_html(fake, http):
    body = assert_json_error(http.delete("/v1/vouchers/x"), 405)
    assert set(body) == REGULAR_ERROR
    assert assert_json_error(http.put("/v1/voucherlist"), 405)["status"] == 405


def test_the_gateway_reading_answers_a_wrong_method_with_its_403(run_fake):
    fake = run_fake(LexofficeFake(rate_per_second=0, options=Options(wrong_method_status=403)))
    response = httpx.delete(f"{fake.url}/v1/vouchers/x", headers={"Authorization": f"Bearer {KEY}"})
    assert (
        response.status_code == 403 and "not a valid key=value pair" in response.json()["message"]
    )
