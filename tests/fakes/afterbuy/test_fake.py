"""The Afterbuy fake against the reference: envelope, auth, filters, paging, errors, PDFs."""

from __future__ import annotations

import defusedxml.ElementTree as SafeXML
import httpx
import pytest

from belegsync.fakes.afterbuy import AfterbuyFake, build
from tests.reference import REFERENCE as REFERENCE_DIR

EXAMPLES = REFERENCE_DIR / "afterbuy" / "examples"
TOKENS = ["--partner-token", "00000000-1111-2222-3333-444444444444"]
TOKENS += ["--account-token", "55555555-6666-7777-8888-999999999999"]
LEGACY = ["--partner-id", "123", "--partner-password", "1a2b3c"]
LEGACY += ["--user-id", "AfterbuyTestaccount", "--user-password", "4a5b6c"]
WEB = ["--user", "teeladen", "--password", "richtig"]


@pytest.fixture(scope="module")
def fake():
    from belegsync.fakes.base import serve_in_thread

    running = serve_in_thread(build([*TOKENS, *LEGACY, *WEB, "--orders", "300"]))
    yield running
    running.stop()


def call(fake, body: bytes, method: str = "POST"):
    response = httpx.request(method, f"{fake.url}/afterbuy/ABInterface.aspx", content=body)
    assert response.status_code == 200
    return SafeXML.fromstring(response.content)


def reference_request(name: str = "GetSoldItems_request.xml") -> bytes:
    return (EXAMPLES / name).read_bytes()


def errors(root) -> list[str]:
    return [e.findtext("ErrorCode") for e in root.iterfind("Result/ErrorList/Error")]


def test_it_answers_the_reference_request_with_token_auth(fake):
    body = reference_request().replace(b"01.11.2024", b"01.01.2024").replace(b">512341<", b">0<")
    root = call(fake, body)
    assert root.findtext("CallStatus") == "Success"
    assert root.findtext("VersionID") == "8"
    orders = root.findall("Result/Orders/Order")
    assert len(orders) == 250
    ids = [int(o.findtext("OrderID")) for o in orders]
    assert ids == sorted(ids)
    assert root.findtext("Result/HasMoreItems") == "1"
    assert root.findtext("Result/LastOrderID") == str(ids[-1])
    assert root.findtext("Result/OrdersCount") == "250"
    # not_gutschrift: no credit note among them
    assert all(o.findtext("SoldItems/SoldItem/ItemPlatformName") != "gutschrift" for o in orders)


def test_it_accepts_get_with_body_and_the_legacy_credentials(fake):
    body = reference_request("GetSoldItems_request_legacy_auth.xml").replace(b"512345", b"500003")
    root = call(fake, body, method="GET")
    assert root.findtext("CallStatus") == "Success"
    assert [o.findtext("OrderID") for o in root.iterfind("Result/Orders/Order")] == ["500003"]


def test_it_continues_paging_with_range_id(fake):
    seen: list[int] = []
    low = 0
    while True:
        body = reference_request().replace(b"01.11.2024", b"01.01.2024")
        body = body.replace(b">512341<", f">{low}<".encode())
        root = call(fake, body)
        seen += [int(o.findtext("OrderID")) for o in root.iterfind("Result/Orders/Order")]
        if root.findtext("Result/HasMoreItems") == "0":
            break
        low = int(root.findtext("Result/LastOrderID")) + 1
    assert len(seen) == len(set(seen))
    invoices = [o for o in fake.app.orders.values() if o["Platform"] != "gutschrift"]
    assert sorted(seen) == sorted(o["OrderID"] for o in invoices if not o["Hidden"])


@pytest.mark.parametrize(
    ("change", "code"),
    [
        ((b"55555555-6666", b"55555555-0000"), "4"),  # invented code
        ((b"<CallName>GetSoldItems", b"<CallName>GetNothing"), "6"),  # invented code
        ((b"<FilterName>RangeID", b"<FilterName>NoSuchFilter"), "30"),
        ((b"<FilterValue>ModDate", b"<FilterValue>Yesterday"), "30"),
    ],
)
def test_it_answers_errors_in_the_envelope(fake, change, code):
    root = call(fake, reference_request().replace(*change))
    assert root.findtext("CallStatus") == "Error"
    assert errors(root) == [code]


def test_it_refuses_a_request_without_filter_as_error_30_in_the_chosen_language(fake):
    body = reference_request()
    start, end = body.index(b"<DataFilter>"), body.index(b"</DataFilter>") + len(b"</DataFilter>")
    body = (body[:start] + body[end:]).replace(b"<ErrorLanguage>DE", b"<ErrorLanguage>EN")
    root = call(fake, body)
    assert errors(root) == ["30"]
    assert root.findtext("Result/ErrorList/Error/ErrorDescription") == "No valid filter given."


def test_it_answers_an_unparsable_request_like_the_reference(fake):
    root = call(fake, b"<Request><AfterbuyGlobal>")
    expected = SafeXML.parse(EXAMPLES / "error_response_parse.xml").getroot()
    assert root.findtext("CallName") == expected.findtext("CallName") == "NotFound"
    assert errors(root) == errors(expected) == ["2"]
    assert root.findtext("Result/ErrorList/Error/ErrorDescription") == expected.findtext(
        "Result/ErrorList/Error/ErrorDescription"
    )


def test_it_refuses_entity_declarations_in_requests(fake):
    bomb = b'<?xml version="1.0"?><!DOCTYPE r [<!ENTITY a "aaaa">]><Request>&a;</Request>'
    assert errors(call(fake, bomb)) == ["2"]


def test_it_limits_update_sold_items_to_150_orders():
    app = build([*TOKENS, "--orders", "5"])
    orders = "".join(f"<Order><OrderID>{500000 + i}</OrderID></Order>" for i in range(151))
    head = (
        reference_request()
        .split(b"<RequestAllItems>")[0]
        .replace(b"GetSoldItems", b"UpdateSoldItems")
    )
    body = head + f"<Orders>{orders}</Orders></Request>".encode()
    from werkzeug.test import Client

    answer = Client(app).post("/afterbuy/ABInterface.aspx", data=body)
    assert errors(SafeXML.fromstring(answer.data)) == ["75"]


def test_it_counts_calls_against_the_call_limit():
    from werkzeug.test import Client

    app = build([*TOKENS, "--orders", "5", "--call-limit", "2"])
    client = Client(app)
    codes = [
        errors(
            SafeXML.fromstring(
                client.post("/afterbuy/ABInterface.aspx", data=reference_request()).data
            )
        )
        for _ in range(3)
    ]
    assert codes == [[], [], ["99"]]  # invented code


def test_it_serves_pdfs_only_after_login(fake):
    with httpx.Client(base_url=fake.url) as browser:
        first = browser.get("/afterbuy/invoice.aspx", params={"OrderID": 500000})
        assert first.status_code == 302
        assert first.headers["Location"].startswith("/Account/Login")
        wrong = browser.post("/Account/Login", data={"Username": "teeladen", "Password": "x"})
        assert wrong.status_code == 200 and "falsch" in wrong.text
        right = browser.post("/Account/Login", data={"Username": "teeladen", "Password": "richtig"})
        assert right.status_code == 302
        pdf = browser.get("/afterbuy/invoice.aspx", params={"OrderID": 500000})
        assert pdf.headers["Content-Type"] == "application/pdf"
        assert pdf.content.startswith(b"%PDF-")


def test_it_seeds_the_generators_invoices(fake):
    from belegsync.fakes.afterbuy.seed import invoices

    app: AfterbuyFake = fake.app
    for invoice in invoices(300):
        order = app.orders[invoice.order_id]
        assert order["InvoiceNumber"] == invoice.number
        assert order["FullAmount"] == invoice.total


def test_it_finds_the_request_inside_an_outer_element_as_a_go_client_sends_it(fake):
    """GIVEN <SoldItemsBody><Request>…</Request></SoldItemsBody> (a public Go client's body)
    THEN the call is answered, not refused with CallName NotFound."""
    inner = reference_request().replace(b"01.11.2024", b"01.01.2024").replace(b">512341<", b">0<")
    inner = inner.split(b"?>", 1)[1] if inner.startswith(b"<?xml") else inner
    root = call(fake, b"<SoldItemsBody>" + inner + b"</SoldItemsBody>")
    assert root.findtext("CallStatus") == "Success" and root.findtext("CallName") == "GetSoldItems"
    order = root.find("Result/Orders/Order")
    assert order.find("BuyerInfo/ShippingAddress/CountryISO") is not None
    assert order.findtext("PaymentInfo/PaymentFunction")
    assert order.findtext("OrderOriginalCurrency/InvoiceAmount") == order.findtext(
        "PaymentInfo/FullAmount"
    )


@pytest.mark.parametrize(
    ("method", "path"), [("PUT", "/afterbuy/ABInterface.aspx"), ("GET", "/nope")]
)
def test_it_answers_a_wrong_method_or_path_with_its_xml_envelope(fake, method, path):
    response = httpx.request(method, f"{fake.url}{path}")
    assert response.headers["Content-Type"].startswith("text/xml")
    root = SafeXML.fromstring(response.content)
    assert root.findtext("CallStatus") == "Error" and root.tag == "Afterbuy"


def test_an_injected_server_failure_keeps_the_xml_envelope(fake):
    fake.app.configure_faults(next=["500"])
    response = httpx.post(f"{fake.url}/afterbuy/ABInterface.aspx", content=reference_request())
    assert response.status_code == 500
    assert response.headers["Content-Type"].startswith("text/xml")
    assert errors(SafeXML.fromstring(response.content)) == ["97"]
