"""The Billbee fake checked against the reference examples and checklist."""

from __future__ import annotations

import base64
import json

import httpx
import pytest

from belegsync.fakes.billbee import BillbeeFake, build
from tests.reference import REFERENCE as REFERENCE_DIR

EXAMPLES = REFERENCE_DIR / "billbee" / "examples"

KEY, USER, PASSWORD = "key-1", "shop@example.org", "api-pw"
REFERENCE_ORDER = 100000223344551


def example(name: str) -> dict:
    return json.loads((EXAMPLES / name).read_text(encoding="utf-8"))


@pytest.fixture
def fake(run_fake):
    app = BillbeeFake(
        api_key=KEY, user=USER, password=PASSWORD, rate_limit=None, endpoint_rate_limit=None
    )
    return run_fake(app)


def client(fake, key: str = KEY, password: str = PASSWORD) -> httpx.Client:
    return httpx.Client(
        base_url=f"{fake.url}/api/v1/",
        headers={"X-Billbee-Api-Key": key},
        auth=(USER, password),
    )


def test_it_requires_api_key_and_basic_auth(fake):
    assert client(fake, key="wrong").get("orders").status_code == 401
    assert client(fake, password="wrong").get("orders").status_code == 401
    no_basic = httpx.get(f"{fake.url}/api/v1/orders", headers={"X-Billbee-Api-Key": KEY})
    assert no_basic.status_code == 401
    assert "ErrorMessage" in no_basic.json()
    assert client(fake).get("orders").status_code == 200


def test_it_serves_the_reference_order_as_the_example_shows(fake):
    body = client(fake).get(f"orders/{REFERENCE_ORDER}").json()
    assert body == example("get_order_by_id.json")
    assert body["Data"]["TotalCost"] == 81.5
    assert body["Data"]["InvoiceNumber"] == 1187


def test_it_answers_the_orders_list_in_the_reference_envelope(fake):
    body = client(fake).get("orders", params={"pageSize": 250}).json()
    assert set(body) == {"Paging", "ErrorMessage", "ErrorCode", "ErrorDescription", "Data"}
    assert set(body["Paging"]) == {"Page", "TotalPages", "TotalRows", "PageSize"}
    first = body["Data"][0]
    reference = example("order_two_rates_shipping_coupon.json")
    assert set(first) == set(reference)
    # every generated order has the same fields as the reference order
    assert all(set(order) == set(reference) for order in body["Data"])


def test_it_pages_with_ceil_and_an_empty_page_past_the_end(fake):
    http = client(fake)
    first = http.get("orders", params={"pageSize": 250}).json()["Paging"]
    assert first["TotalPages"] == -(-first["TotalRows"] // 250) == 2
    past = http.get("orders", params={"pageSize": 250, "page": 3}).json()
    reference = example("get_orders_page_past_end.json")
    assert past["Data"] == reference["Data"] == []
    assert past["Paging"]["Page"] == 3
    assert http.get("orders", params={"pageSize": 999}).json()["Paging"]["PageSize"] == 250


def test_it_filters_by_shop_state_and_modification_time(fake):
    http = client(fake)
    rows = http.get(
        "orders", params=[("shopId", 100000000123457), ("orderStateId", 4), ("pageSize", 250)]
    ).json()["Data"]
    assert rows
    assert {o["Seller"]["BillbeeShopId"] for o in rows} == {100000000123457}
    assert {o["State"] for o in rows} == {4}
    late = http.get("orders", params={"modifiedAtMin": "2030-01-01T00:00:00+01:00"}).json()
    assert late["Data"] == []


def test_it_adds_tags_case_insensitively_and_moves_the_modification_time(fake):
    http = client(fake)
    before = fake.app.order(REFERENCE_ORDER)["LastModifiedAt"]
    assert (
        http.post(f"orders/{REFERENCE_ORDER}/tags", json={"Tags": ["Exported"]}).status_code == 200
    )
    http.post(f"orders/{REFERENCE_ORDER}/tags", json={"Tags": ["exported"]})
    order = fake.app.order(REFERENCE_ORDER)
    assert order["Tags"] == ["shopify", "Exported"]
    assert order["LastModifiedAt"] > before
    seen = http.get("orders", params={"modifiedAtMin": "2026-01-01T00:00:00"}).json()["Data"]
    assert [o["BillBeeOrderId"] for o in seen] == [REFERENCE_ORDER]
    assert http.post(f"orders/{REFERENCE_ORDER}/tags", json={"Tags": "x"}).status_code == 400


def test_it_answers_unknown_orders_with_error_code_2(fake):
    response = client(fake).get("orders/1")
    assert response.status_code == 404
    assert response.json()["ErrorCode"] == example("error_order_not_found.json")["ErrorCode"]


def test_it_creates_an_invoice_pdf_once_and_then_throttles(fake):
    http = client(fake)
    response = http.post(
        f"orders/CreateInvoice/{REFERENCE_ORDER}", params={"includeInvoicePdf": "True"}
    )
    data = response.json()["Data"]
    assert data["InvoiceNumber"] == example("create_invoice_response.json")["Data"]["InvoiceNumber"]
    assert base64.b64decode(data["PDFData"]).startswith(b"%PDF-")
    again = http.post(f"orders/CreateInvoice/{REFERENCE_ORDER}")
    assert again.status_code == 429
    assert int(again.headers["Retry-After"]) > 0


def test_it_numbers_a_new_invoice_and_refuses_cancelled_orders(fake):
    http = client(fake)
    fake.app.throttle_per_order = False
    data = http.post("orders/CreateInvoice/100000223400001").json()["Data"]
    assert data["InvoiceNumber"].startswith("RE-")
    assert data["PDFData"] is None
    repeat = http.post("orders/CreateInvoice/100000223400001").json()["Data"]
    assert repeat["InvoiceNumber"] == data["InvoiceNumber"]
    cancelled = http.post("orders/CreateInvoice/100000223400002")
    assert cancelled.status_code == 400
    assert cancelled.json()["ErrorCode"] == 5


def test_it_throttles_an_endpoint_with_429_and_retry_after(run_fake):
    fake = run_fake(BillbeeFake(api_key=KEY, user=USER, password=PASSWORD, endpoint_rate_limit=2))
    codes = [client(fake).get("shopaccounts").status_code for _ in range(4)]
    assert codes.count(429) >= 1
    assert codes[:2] == [200, 200]


def test_it_changes_state_and_adds_orders_through_the_control_api(fake):
    response = httpx.post(f"{fake.url}/__fake__/orders/100000223400001/state", json={"state": 3})
    assert response.status_code == 200
    order = fake.app.order(100000223400001)
    assert order["State"] == 3
    assert order["History"][-1]["TypeId"] == 15
    new = {
        **example("order_two_rates_shipping_coupon.json"),
        "BillBeeOrderId": 7,
        "OrderNumber": "#7",
    }
    assert httpx.post(f"{fake.url}/__fake__/orders", json=new).status_code == 201
    assert client(fake).get("orders/7").json()["Data"]["OrderNumber"] == "#7"


def test_it_injects_faults_like_the_other_fakes(fake):
    fake.app.configure_faults(next=["503", "429"])
    http = client(fake)
    assert http.get("shopaccounts").status_code == 503
    assert http.get("shopaccounts").status_code == 429
    shops = http.get("shopaccounts").json()
    assert [s["Name"] for s in shops["Data"]][:1] == ["teeladen-shopify"]


def test_it_builds_from_command_line_options():
    app = build(["--api-key", "k", "--user", "u", "--password", "p", "--orders", "5"])
    assert (app.api_key, app.user, app.password) == ("k", "u", "p")
    assert len(app.orders) == 2 + 9 + 5
    with pytest.raises(SystemExit):
        build(["--api-key", "k"])


def shop_and_state(fake) -> tuple[int, int, int]:
    order = fake.app.order(REFERENCE_ORDER)
    matching = [
        o
        for o in fake.app.orders.values()
        if o["Seller"]["BillbeeShopId"] == order["Seller"]["BillbeeShopId"]
        and o["State"] == order["State"]
    ]
    return order["Seller"]["BillbeeShopId"], order["State"], len(matching)


@pytest.mark.parametrize(
    "form",
    [
        "shopId={shop}&orderStateId={state}",
        "shopId[0]={shop}&orderStateId[0]={state}",
        "shopId%5B0%5D={shop}&orderStateId%5B0%5D={state}",
        "shopId[]={shop}&orderStateId[]={state}",
    ],
)
def test_it_filters_by_array_parameters_in_every_form_clients_send(fake, form):
    """GIVEN the indexed form Billbee's own PHP SDK sends (shopId[0]=…)
    THEN the filter applies as with repeated keys instead of returning every order."""
    shop, state, expected = shop_and_state(fake)
    assert 0 < expected < len(fake.app.orders)
    query = form.format(shop=shop, state=state)
    body = client(fake).get(f"orders?{query}&pageSize=250").json()
    assert body["Paging"]["TotalRows"] == expected
    assert all(o["State"] == state for o in body["Data"])


@pytest.mark.parametrize(
    ("query", "name"),
    [
        ("pageSize=abc", "pageSize"),
        ("shopId[0]=x", "shopId"),
        ("minOrderDate=gestern", "minOrderDate"),
    ],
)
def test_it_refuses_a_bad_parameter_value_in_its_envelope_without_python_text(fake, query, name):
    response = client(fake).get(f"orders?{query}")
    assert response.status_code == 400
    body = response.json()
    assert body["ErrorCode"] == 11 and name in body["ErrorMessage"]
    assert "invalid literal" not in response.text and "int()" not in response.text


def test_it_answers_a_wrong_method_in_json(fake):
    response = client(fake).delete("orders")
    assert response.status_code == 405
    assert response.headers["Content-Type"].startswith("application/json")
    assert "does not support http method 'DELETE'" in response.json()["Message"]


def test_it_lists_invoices_and_credit_notes_like_the_reference_example(fake):
    expected = example("get_invoices_page.json")
    body = (
        client(fake)
        .get(
            "orders/invoices",
            params={
                "includePositions": "true",
                "minInvoiceDate": "2024-11-29T00:00:00",
                "maxInvoiceDate": "2024-12-03T23:59:59",
            },
        )
        .json()
    )
    by_number = {i["InvoiceNumber"]: i for i in body["Data"]}
    for want in expected["Data"]:
        got = by_number[want["InvoiceNumber"]]
        for key in ("BillbeeId", "Type", "TotalNet", "TotalGross", "InvoiceDate", "OrderNumber"):
            assert got[key] == want[key], key
        assert got["Positions"] == want["Positions"]
        assert got["AdditionalFees"] == want["AdditionalFees"]
        assert set(got) == set(want)


def test_the_invoice_list_leaves_positions_out_unless_asked_and_is_throttled(fake):
    fake.app.throttle_per_order = True
    http = client(fake)
    first = http.get("orders/invoices", params={"pageSize": "5"})
    assert first.status_code == 200 and all(i["Positions"] == [] for i in first.json()["Data"])
    again = http.get("orders/invoices", params={"pageSize": "5"})
    assert again.status_code == 429 and int(again.headers["Retry-After"]) > 1
