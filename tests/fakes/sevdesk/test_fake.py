"""The sevDesk double against its reference: envelope, errors, voucher rules, bookings."""

from __future__ import annotations

import json
from collections.abc import Iterator
from decimal import Decimal
from typing import Any

import httpx
import pytest

from belegsync.fakes.base import Exchange, RunningFake, serve_in_thread
from belegsync.fakes.sevdesk import SevdeskFake, build
from tests.contract.plugin import contract_problems, recording
from tests.reference import REFERENCE as REFERENCE_DIR

TOKEN = "0123456789abcdef0123456789abcdef"
REFERENCE = REFERENCE_DIR / "sevdesk" / "examples"


@pytest.fixture(scope="module")
def _server() -> Iterator[RunningFake]:
    running = serve_in_thread(build(["--api-token", TOKEN]))
    yield running
    running.stop()


@pytest.fixture
def fake(_server: RunningFake) -> RunningFake:
    """One server per module (stopping one takes half a second), fresh state per test."""
    app = _server.app
    assert isinstance(app, SevdeskFake)
    app.error_with_200_next = app.fail_after_write_next = 0
    app.reset_state()
    app.add_check_account("PayPal BB", "offline")
    return _server


@pytest.fixture
def api(fake):
    with httpx.Client(
        base_url=fake.url + "/api/v1", headers={"Authorization": TOKEN}, timeout=5
    ) as client:
        yield client


def offline_id(app: SevdeskFake, name: str = "PayPal BB") -> int:
    return next(a["id"] for a in app.check_accounts.values() if a["name"] == name)


def online_id(app: SevdeskFake) -> int:
    return next(a["id"] for a in app.check_accounts.values() if a["type"] == "online")


def voucher_body(**overrides: Any) -> dict[str, Any]:
    body = json.loads((REFERENCE / "saveVoucher_19_7_shipping.request.json").read_text())
    body.pop("filename")
    body["voucher"].update(overrides)
    return body


def save(api: httpx.Client, body: dict[str, Any]) -> httpx.Response:
    return api.post("/Voucher/Factory/saveVoucher", json=body)


def assert_error(response: httpx.Response, status: int, code: int | None = None) -> str:
    assert response.status_code == status, response.text
    body = response.json()
    assert body["objects"] is None
    assert body["error"]["responseCode"] == status
    assert set(body["error"]) >= {"exceptionUUID", "message", "errorCode", "code", "data"}
    if code is not None:
        assert body["error"]["code"] == code
    return str(body["error"]["message"])


def test_it_refuses_a_bearer_token_and_a_wrong_one(fake):
    for header in (f"Bearer {TOKEN}", "wrong", None):
        headers = {"Authorization": header} if header else {}
        response = httpx.get(fake.url + "/api/v1/CheckAccount", headers=headers)
        assert_error(response, 401)


def test_it_saves_the_reference_voucher_with_sums_as_the_synthetic_answer(api):
    response = save(api, voucher_body())
    assert response.status_code == 201
    voucher = response.json()["objects"]["voucher"]
    expected = json.loads(
        (REFERENCE / "saveVoucher_19_7_shipping.response.SYNTHETIC.json").read_text()
    )["objects"]["voucher"]
    for key in ("sumNet", "sumTax", "sumGross", "status", "taxRule", "voucherDate", "taxType"):
        assert voucher[key] == expected[key], key
    assert voucher["paidAmount"] == 0
    assert isinstance(voucher["id"], str)


def test_its_answers_pass_the_official_spec_and_its_errata(api, fake):
    with recording() as seen:
        _walk_the_endpoints_belegsync_uses(api, fake)
    assert len(seen) >= 16
    assert contract_problems(seen) == []


def _walk_the_endpoints_belegsync_uses(api, fake):
    vid = save(api, voucher_body()).json()["objects"]["voucher"]["id"]
    api.get("/Voucher", params={"descriptionLike": "RE-2026"})
    api.get(f"/Voucher/{vid}")
    api.get("/VoucherPos", params={"voucher[id]": vid, "voucher[objectName]": "Voucher"})
    api.post("/Voucher/Factory/uploadTempFile", files={"file": ("a.pdf", b"%PDF-1", "x/y")})
    booking = json.loads((REFERENCE / "bookAmount_partial.request.json").read_text())
    booking["checkAccount"]["id"] = offline_id(fake.app)
    api.put(f"/Voucher/{vid}/bookAmount", json=booking)
    api.put(f"/Voucher/{vid}/resetToOpen")
    api.get("/CheckAccount")
    api.get("/ReceiptGuidance/forRevenue")
    api.get("/Tools/bookkeepingSystemVersion")
    contact = json.loads((REFERENCE / "contact_create_person.request.json").read_text())
    cid = api.post("/Contact", json=contact).json()["objects"]["id"]
    api.get("/Contact", params={"depth": "1", "customerNumber": "1042"})
    api.get("/Contact/Factory/getNextCustomerNumber")
    for name in ("contactAddress_create", "communicationWay_create"):
        body = json.loads((REFERENCE / f"{name}.request.json").read_text())
        body["contact"]["id"] = int(cid)
        path = "/ContactAddress" if name.startswith("contactAddress") else "/CommunicationWay"
        assert api.post(path, json=body).status_code == 201
    api.post("/CheckAccount/Factory/clearingAccount", json={"name": "X", "accountingNumber": 9})


def test_the_spec_check_accepts_recorded_answers_and_catches_wrong_ones():
    recorded = json.loads(
        (REFERENCE / "recorded/voucher_saveVoucher_create.response.json").read_text()
    )

    def problems(body: Any) -> list[str]:
        answer = Exchange(
            "sevdesk",
            "POST",
            "/api/v1/Voucher/Factory/saveVoucher",
            "",
            {},
            b"",
            201,
            {"Content-Type": "application/json"},
            json.dumps(body).encode(),
        )
        return contract_problems([answer])

    assert problems(recorded) == []
    broken = json.loads(json.dumps(recorded))
    broken["objects"]["voucher"]["creditDebit"] = "X"
    assert any("creditDebit" in p for p in problems(broken))
    broken["objects"]["voucher"]["creditDebit"] = "C"
    broken["objects"]["voucherPos"] = {"not": "a list"}
    assert any("voucherPos" in p for p in problems(broken))
    assert problems(recorded["objects"])  # the real API wraps every answer


@pytest.mark.parametrize(
    ("change", "status"),
    [
        ({"taxRule": {"id": "3", "objectName": "TaxRule"}}, 422),  # 19 % on an EU-supply rule
        ({"taxRule": {"id": "18", "objectName": "TaxRule"}}, 422),  # OSS: not for vouchers
        ({"taxRule": {"id": "11", "objectName": "TaxRule"}}, 422),  # no small business here
        ({"taxType": "default"}, 422),  # 1.0 field
        ({"status": 1000}, 422),  # cannot be saved as paid
        ({"supplierName": None}, 422),
        ({"currency": "USD"}, 422),
    ],
)
def test_it_rejects_what_sevdesk_rejects(api, change, status):
    assert_error(save(api, voucher_body(**change)), status)


def test_it_rejects_a_rate_the_account_does_not_allow_and_mixed_net_gross(api):
    body = voucher_body()
    body["voucherPosSave"][1]["taxRate"] = 19  # account 5186 is the 7 % account
    message = assert_error(save(api, body), 422)
    assert "5186" in message
    body = voucher_body()
    body["voucherPosSave"][0].update(net=True, sumNet=10)
    assert "mixed" in assert_error(save(api, body), 422)


def test_it_accepts_rule_11_only_for_a_small_business(run_fake):
    app = run_fake(build(["--api-token", TOKEN, "--small-business"]))
    body = voucher_body(taxRule={"id": "11", "objectName": "TaxRule"})
    for pos in body["voucherPosSave"]:
        pos.update(taxRate=0, accountDatev={"id": 3510, "objectName": "AccountDatev"})
    headers = {"Authorization": TOKEN}
    response = httpx.post(
        app.url + "/api/v1/Voucher/Factory/saveVoucher", json=body, headers=headers
    )
    assert response.status_code == 201
    assert assert_error(
        httpx.post(
            app.url + "/api/v1/Voucher/Factory/saveVoucher", json=voucher_body(), headers=headers
        ),
        422,
    )


def test_it_attaches_an_uploaded_file_and_refuses_an_unknown_one(api):
    upload = api.post(
        "/Voucher/Factory/uploadTempFile", files={"file": ("r.pdf", b"%PDF", "application/pdf")}
    )
    assert upload.status_code == 201
    name = upload.json()["objects"]["filename"]
    assert name.endswith(".pdf") and len(name) == 36
    saved = save(api, {**voucher_body(), "filename": name}).json()["objects"]["voucher"]
    assert saved["document"]["objectName"] == "Document"
    assert_error(save(api, {**voucher_body(), "filename": "nope.pdf"}), 400)
    assert_error(api.post("/Voucher/Factory/uploadTempFile", data={"x": "1"}), 400)


def test_it_updates_only_drafts(api):
    created = save(api, voucher_body()).json()["objects"]
    vid = created["voucher"]["id"]
    update = voucher_body(id=int(vid))
    assert_error(save(api, update), 400, code=90400)
    assert api.put(f"/Voucher/{vid}/resetToDraft").json()["objects"]["status"] == "50"
    for pos, old in zip(update["voucherPosSave"], created["voucherPos"], strict=True):
        pos["id"] = int(old["id"])
    again = save(api, update).json()["objects"]
    assert [p["id"] for p in again["voucherPos"]] == [p["id"] for p in created["voucherPos"]]
    assert again["voucher"]["sumGross"] == created["voucher"]["sumGross"]
    assert again["voucher"]["status"] == "100"


def test_it_books_partly_then_fully_and_refuses_more(api, fake):
    vid = save(api, voucher_body()).json()["objects"]["voucher"]["id"]
    account = {"id": offline_id(fake.app), "objectName": "CheckAccount"}
    booking = {"amount": "20", "date": "24.05.2026", "type": "N", "checkAccount": account}
    log = api.put(f"/Voucher/{vid}/bookAmount", json=booking).json()["objects"]
    assert (log["fromStatus"], log["toStatus"], log["amountPayed"]) == ("100", "750", "20")
    booking.update(amount=39.88, type="FULL_PAYMENT")
    log = api.put(f"/Voucher/{vid}/bookAmount", json=booking).json()["objects"]
    assert log["toStatus"] == "1000"
    voucher = api.get(f"/Voucher/{vid}").json()["objects"][0]
    assert Decimal(str(voucher["paidAmount"])) == Decimal("59.88")
    assert voucher["payDate"].startswith("2026-05-24")
    assert_error(api.put(f"/Voucher/{vid}/bookAmount", json=booking), 400, code=751)
    transactions = api.get(
        "/CheckAccountTransaction",
        params={"checkAccount[id]": account["id"], "checkAccount[objectName]": "CheckAccount"},
    ).json()["objects"]
    assert [t["amount"] for t in transactions] == ["20", "39.88"]


def test_it_refuses_bookings_sevdesk_refuses(api, fake):
    draft = save(api, voucher_body(status=50)).json()["objects"]["voucher"]["id"]
    open_ = save(api, voucher_body()).json()["objects"]["voucher"]["id"]
    offline = {"id": offline_id(fake.app), "objectName": "CheckAccount"}
    online = {"id": online_id(fake.app), "objectName": "CheckAccount"}
    ok = {"amount": 1, "date": "24.05.2026", "type": "N", "checkAccount": offline}
    assert_error(api.put(f"/Voucher/{draft}/bookAmount", json=ok), 422)
    assert_error(api.put(f"/Voucher/{open_}/bookAmount", json={**ok, "type": "CF"}), 422)
    assert_error(api.put(f"/Voucher/{open_}/bookAmount", json={**ok, "amount": -1}), 422)
    assert_error(api.put(f"/Voucher/{open_}/bookAmount", json={**ok, "checkAccount": online}), 422)
    missing = {**ok, "checkAccount": {"id": 1, "objectName": "CheckAccount"}}
    assert_error(api.put(f"/Voucher/{open_}/bookAmount", json=missing), 404, code=151)
    assert_error(api.put("/Voucher/1/bookAmount", json=ok), 404, code=151)
    refused = api.post(
        "/CheckAccountTransaction",
        json={"checkAccount": offline, "amount": 1, "valueDate": "24.05.2026"},
    )
    recorded = json.loads(
        (REFERENCE / "recorded/error_422_offline_account.response.json").read_text()
    )
    assert assert_error(refused, 422) == recorded["error"]["message"]


def test_it_deletes_only_drafts(api):
    draft = save(api, voucher_body(status=50)).json()["objects"]["voucher"]["id"]
    open_ = save(api, voucher_body()).json()["objects"]["voucher"]["id"]
    assert api.delete(f"/Voucher/{draft}").json() == {"objects": [None]}
    assert_error(api.get(f"/Voucher/{draft}"), 404, code=151)
    assert_error(api.delete(f"/Voucher/{open_}"), 409, code=159)


def test_its_description_search_is_a_substring_match_and_typos_filter_nothing(api):
    for number in ("RE-1", "RE-10", "RE-2"):
        save(api, voucher_body(description=number))
    found = api.get("/Voucher", params={"descriptionLike": "re-1"}).json()["objects"]
    assert sorted(v["description"] for v in found) == ["RE-1", "RE-10"]
    typo = api.get("/Voucher", params={"descriptionLikee": "RE-1"}).json()["objects"]
    assert len(typo) == 3
    counted = api.get("/Voucher", params={"countAll": "true", "limit": "1"}).json()
    assert counted["total"] == "3" and len(counted["objects"]) == 1


def test_its_contacts_search_persons_only_with_depth_1(api):
    person = {"surename": "Erika", "familyname": "M", "category": {"id": 3}, "customerNumber": "7"}
    api.post("/Contact", json=person)
    api.post("/Contact", json={"name": "ACME GmbH", "category": {"id": 3}, "customerNumber": "8"})
    assert len(api.get("/Contact").json()["objects"]) == 1
    found = api.get("/Contact", params={"depth": "1", "customerNumber": "7"}).json()["objects"]
    assert [c["surename"] for c in found] == ["Erika"]
    assert api.get("/Contact/Factory/getNextCustomerNumber").json() == {"objects": "1000"}
    assert_error(api.post("/Contact", json={"name": "No category"}), 400)


def test_it_reports_errors_inside_http_200_and_fails_after_a_write(api, fake):
    fake.app.error_with_200_next = 1
    response = api.get("/CheckAccount")
    assert response.status_code == 200 and response.json()["error"]["responseCode"] == 400
    fake.app.fail_after_write_next = 1
    assert_error(save(api, voucher_body()), 500)
    assert len(fake.app.vouchers) == 1  # applied although the caller saw a 500


def test_it_rate_limits_with_retry_after(run_fake):
    app = run_fake(build(["--api-token", TOKEN, "--rate-limit", "2"]))
    statuses = [
        httpx.get(app.url + "/api/v1/CheckAccount", headers={"Authorization": TOKEN})
        for _ in range(4)
    ]
    limited = [r for r in statuses if r.status_code == 429]
    assert limited and limited[0].headers["Retry-After"] == "1"


def test_it_filters_vouchers_by_unix_timestamps_and_refuses_other_dates(fake, api):
    """GIVEN startDate as the spec has it (unix seconds) THEN it filters on voucherDate;
    GIVEN startDate=01.05.2026 THEN a 400 in sevDesk's error form, not every voucher."""
    assert save(api, voucher_body()).status_code == 201
    day = fake.app.vouchers[next(iter(fake.app.vouchers))]["voucherDate"]
    before, after = int(day.timestamp()) - 86400, int(day.timestamp()) + 86400
    assert len(api.get("/Voucher", params={"startDate": before}).json()["objects"]) == 1
    assert api.get("/Voucher", params={"startDate": after}).json()["objects"] == []
    assert api.get("/Voucher", params={"endDate": before}).json()["objects"] == []
    message = assert_error(api.get("/Voucher", params={"startDate": "01.05.2026"}), 400)
    assert "unix timestamp" in message


def test_it_answers_a_wrong_method_in_its_error_form(fake, api):
    assert "does not support http method 'PATCH'" in assert_error(api.patch("/Voucher"), 405)
