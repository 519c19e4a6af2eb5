"""LexofficeTarget against the lexoffice fake over real HTTP: dedupe, create, files,
mark-paid, errors a merchant can read."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.utils import translation

from belegsync.bookkeeping import Line, Party, Payment
from belegsync.connectors.base import AdapterContext
from belegsync.connectors.errors import (
    AuthError,
    ConfigError,
    ServerError,
    ValidationRejected,
)
from belegsync.connectors.http import RetryPolicy
from belegsync.connectors.settings import Policy
from belegsync.fakes.base import READINGS, serve_in_thread
from belegsync.fakes.lexoffice import LexofficeFake, Profile
from belegsync.reasons import render
from belegsync.targets.lexoffice import LexofficeTarget
from belegsync.targets.lexoffice.client import LexofficeClient
from belegsync.targets.lexoffice.forms import LexofficeSettingsForm
from belegsync.targets.lexoffice.mapping import INTRA_EU_SUPPLY
from tests.conftest import make_voucher
from tests.doubles import policy_and_settings

KEY = "test-key"
PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


class Unpaced:
    """A limiter that never waits: tests run the fake without a rate limit."""

    def acquire(self, key: str) -> None:
        return None


@pytest.fixture(scope="module")
def server():
    running = serve_in_thread(
        LexofficeFake(api_keys=(KEY,), partner_keys=("partner",), rate_per_second=0)
    )
    yield running
    running.stop()


@pytest.fixture(params=READINGS)
def fake(server, request, point_at):
    """Each test runs against both readings of what the reference leaves unverified."""
    point_at("lexoffice", server.url)
    server.app.set_reading(request.param)
    server.app.reset_state()
    server.app.profile = Profile("DESTINATION")
    server.app.faults.queued.clear()
    server.app.requests.clear()
    return server


def target_for(fake, key: str = KEY, **settings) -> LexofficeTarget:
    policy, own = policy_and_settings(settings)
    context = AdapterContext(
        credentials={"api_key": key},
        settings=own,
        policy=policy,
        limiter=Unpaced(),
    )
    client = LexofficeClient(
        key, limiter=Unpaced(), retry=RetryPolicy(base_delay=0.01), sleep=lambda s: None
    )
    return LexofficeTarget(context, client=client)


def writes(fake) -> list[tuple[str, str, int]]:
    return [r for r in fake.app.requests if r[0] in ("POST", "PUT")]


def test_it_creates_attaches_and_then_adopts_instead_of_duplicating(fake):
    target = target_for(fake)
    voucher = make_voucher("RE-1")
    assert target.find(voucher) is None
    ref = target.create(voucher)
    ref = target.attach(ref, PDF, "RE-1.pdf")
    stored = fake.app.vouchers[ref.remote_id]
    assert stored["files"] == ref.facts["files"]
    assert ref.url.endswith(f"/permalink/vouchers/view/{ref.remote_id}")
    fresh = target_for(fake)
    found = fresh.find(voucher)
    assert found is not None and found.adopted and found.remote_id == ref.remote_id
    assert len(fake.app.by_number("RE-1")) == 1


def test_it_compares_number_type_and_date_exactly(fake):
    target = target_for(fake)
    target.create(make_voucher("RE-2"))
    other = target_for(fake)
    assert other.find(make_voucher("RE-2", invoice_date=dt.date(2026, 11, 3))) is None
    assert other.find(make_voucher("RE-20")) is None
    assert other.find(make_voucher("RE-2")) is not None


def test_it_batches_lookups_to_about_two_requests_per_voucher(fake):
    target = target_for(fake)
    for index in range(40):
        voucher = make_voucher(f"RE-{1000 + index}")
        assert target.find(voucher) is None
        target.attach(target.create(voucher), PDF + str(index).encode(), "x.pdf")
    assert len(fake.app.requests) / 40 <= 2.1
    assert len(fake.app.vouchers) == 40


def test_it_asks_directly_after_a_create_whose_answer_was_lost(fake):
    target = target_for(fake)
    voucher = make_voucher("RE-3")
    assert target.find(voucher) is None
    fake.app.fail_next_write_with_504()
    with pytest.raises(ServerError):
        target.create(voucher)
    found = target.find(voucher)  # the engine's retry
    assert found is not None and found.adopted
    assert len(fake.app.by_number("RE-3")) == 1


def test_it_sees_a_voucher_another_worker_created_once_the_snapshot_is_stale(fake):
    clock = [0.0]
    mine = target_for(fake)
    mine._clock = lambda: clock[0]
    assert mine.find(make_voucher("RE-4")) is None  # loads the week's snapshot
    target_for(fake).create(make_voucher("RE-5"))  # another worker
    clock[0] += 61
    assert mine.find(make_voucher("RE-5")) is not None


def test_it_asks_directly_when_the_same_number_is_looked_up_again(fake):
    mine = target_for(fake)
    voucher = make_voucher("RE-6")
    assert mine.find(voucher) is None
    target_for(fake).create(voucher)  # e.g. a crashed attempt in another process
    assert mine.find(voucher) is not None


def test_it_explains_a_rejected_voucher_and_keeps_the_issue_list(fake):
    client = LexofficeClient(KEY, limiter=Unpaced())
    body = target_for(fake).preview(make_voucher("RE-7"))
    body["totalTaxAmount"] = 99.99
    with pytest.raises(ValidationRejected) as caught:
        client.create_voucher(body)
    error = caught.value
    assert [r.code for r in error.reasons] == ["lexoffice.tax_total_mismatch"]
    with translation.override("de"):
        assert render(error.reasons[0]).startswith(
            "lexoffice hat den Beleg abgelehnt: seine Steuersumme passt nicht zur Steuer"
        )
    assert [i.field for i in error.issues] == ["totalTaxAmount"]
    assert "IssueList" in error.raw
    assert KEY not in error.message + error.raw


def test_it_names_the_voucher_when_lexoffice_rejects_its_rate(fake):
    fake.app.profile = Profile(None)
    target = target_for(fake, lexoffice_distance_sales_principle="DESTINATION")
    sale = make_voucher(
        "RE-8",
        lines=(Line("Jacke", Decimal(1), Decimal("100.00"), Decimal("120.00"), Decimal(20)),),
        total_net=Decimal("100.00"),
        total_gross=Decimal("120.00"),
        party=Party(name="Max Huber", country="AT"),
    )
    with pytest.raises(ValidationRejected, match="RE-8") as caught:
        target.create(sale)
    assert caught.value.issues


def test_it_books_an_austrian_distance_sale_at_20_percent_from_the_profile(fake):
    target = target_for(fake)  # principle "auto": read from the profile
    sale = make_voucher(
        "RE-9",
        lines=(Line("Jacke", Decimal(1), Decimal("100.00"), Decimal("120.00"), Decimal(20)),),
        total_net=Decimal("100.00"),
        total_gross=Decimal("120.00"),
        party=Party(name="Max Huber", country="AT"),
    )
    ref = target.create(sale)
    item = fake.app.vouchers[ref.remote_id]["voucherItems"][0]
    assert (item["taxRatePercent"], item["categoryId"]) == (
        Decimal(20),
        "4ebd965a-7126-416c-9d8c-a5c9366ee473",
    )


def test_it_creates_a_contact_for_an_intra_community_supply(fake):
    target = target_for(fake)
    sale = make_voucher(
        "RE-10",
        lines=(Line("Ware", Decimal(1), Decimal("100.00"), Decimal("100.00"), Decimal(0)),),
        total_net=Decimal("100.00"),
        total_gross=Decimal("100.00"),
        party=Party(company="Dupont SARL", country="FR", vat_id="FR40303265045"),
    )
    first = target.create(sale)
    second = target_for(fake).create(
        make_voucher(
            "RE-11", **{k: getattr(sale, k) for k in ("lines", "total_net", "total_gross", "party")}
        )
    )
    contacts = list(fake.app.contacts.values())
    assert len(contacts) == 1 and contacts[0]["company"]["vatRegistrationId"] == "FR40303265045"
    for ref in (first, second):
        assert fake.app.vouchers[ref.remote_id]["contactId"] == contacts[0]["id"]


def test_it_checks_the_pdf_before_sending(fake):
    target = target_for(fake)
    ref = target.create(make_voucher("RE-12"))
    before = len(fake.app.requests)
    with pytest.raises(ValidationRejected, match="at most 5 MB"):
        target.attach(ref, PDF + b"0" * (5 * 1024 * 1024), "RE-12.pdf")
    with pytest.raises(ValidationRejected, match="not a PDF"):
        target.attach(ref, b"<html>error</html>", "RE-12.pdf")
    assert len(fake.app.requests) == before


def test_an_update_keeps_the_attached_files(fake):
    target = target_for(fake)
    ref = target.attach(target.create(make_voucher("RE-13")), PDF, "RE-13.pdf")
    ref = target.update(ref, make_voucher("RE-13", shop="ebay"))
    stored = fake.app.vouchers[ref.remote_id]
    assert stored["files"] == ref.facts["files"] and len(stored["files"]) == 1
    assert "shop ebay" in stored["remark"]


def test_mark_paid_refuses_loudly_with_an_api_key(fake):
    target = target_for(fake, mark_paid=True)
    voucher = make_voucher(
        "RE-14", payments=(Payment("paypal", Decimal("44.95"), reference="PAYID-1"),)
    )
    ref = target.create(voucher)
    with pytest.raises(ConfigError, match="cannot set vouchers to paid"):
        target.mark_paid(ref, voucher)
    no_reference = make_voucher("RE-15")
    with pytest.raises(ConfigError, match="no transaction id"):
        target.mark_paid(target.create(no_reference), no_reference)


def test_mark_paid_sends_an_assignment_hint_with_a_partner_token(fake):
    target = target_for(fake, key="partner", mark_paid=True)
    voucher = make_voucher(
        "RE-16", payments=(Payment("paypal", Decimal("44.95"), reference="PAYID-2"),)
    )
    ref = target.mark_paid(target.create(voucher), voucher)
    assert ref.facts["payment_hint"] == "PAYID-2"
    assert fake.app.hints[ref.remote_id]["externalReference"] == "PAYID-2"


def test_mark_paid_again_after_a_lost_answer_is_done_not_failed(fake):
    """A retry after a crash sends the hint again; lexoffice refuses a second hint (406)."""
    target = target_for(fake, key="partner", mark_paid=True)
    voucher = make_voucher(
        "RE-19", payments=(Payment("paypal", Decimal("44.95"), reference="PAYID-3"),)
    )
    ref = target.create(voucher)
    target.mark_paid(ref, voucher)
    again = target.mark_paid(ref, voucher)
    assert again.remote_id == ref.remote_id
    assert len([h for h in fake.app.hints.values() if h["voucherId"] == ref.remote_id]) == 1


def test_mark_paid_accepts_a_voucher_lexoffice_already_has_as_paid(fake):
    target = target_for(fake)
    voucher = make_voucher("RE-17")
    ref = target.create(voucher)
    fake.app.pay(ref.remote_id)
    assert target.mark_paid(ref, voucher).facts["paid"] is True


def test_preview_is_exactly_the_body_create_sends(fake):
    target = target_for(fake)
    voucher = make_voucher("RE-18")
    preview = target.preview(voucher)
    ref = target.create(voucher)
    got = fake.app.render_voucher(fake.app.vouchers[ref.remote_id])
    assert preview["voucherItems"] == got["voucherItems"]
    assert preview["totalGrossAmount"] == got["totalGrossAmount"] == 44.95
    offline = LexofficeTarget(AdapterContext(settings={}))
    assert offline.preview(voucher) == preview


def test_it_retries_a_429_burst_and_then_books_once(fake):
    fake.app.configure_faults(next=["429", "429", "429"])
    target = target_for(fake)
    target.create(make_voucher("RE-19"))
    assert len(fake.app.by_number("RE-19")) == 1


def test_check_credentials_reads_the_profile_and_explains_a_wrong_key(fake):
    good = AdapterContext(credentials={"api_key": KEY})
    assert LexofficeTarget.check_credentials(good)["distanceSalesPrinciple"] == "DESTINATION"
    bad = AdapterContext(credentials={"api_key": "wrong"})
    with pytest.raises(AuthError, match="did not accept this API key"):
        LexofficeTarget.check_credentials(bad)


def test_the_settings_form_parses_category_overrides():
    form = LexofficeSettingsForm(
        data={
            "lexoffice_base_url": "old",
            "lexoffice_distance_sales_principle": "auto",
            "lexoffice_category_overrides": "shipping=8f8664a0-fd86-11e1-a21f-0800200c9a66",
        }
    )
    assert form.is_valid(), form.errors
    assert form.cleaned_data["lexoffice_category_overrides"] == {
        "shipping": "8f8664a0-fd86-11e1-a21f-0800200c9a66"
    }
    bad = LexofficeSettingsForm(
        data={
            **form.data,
            "lexoffice_category_overrides": "postage=8f8664a0-fd86-11e1-a21f-0800200c9a66",
        }
    )
    assert not bad.is_valid() and "postage" in str(bad.errors)


def test_it_books_the_date_the_connection_chose_and_finds_the_voucher_by_it(fake):
    """document_date=payment: voucherDate is the payment day, and the duplicate
    look-up searches that day too, so a retry adopts instead of creating twice."""
    voucher = make_voucher(
        "RE-20", payments=(Payment("paypal", Decimal("44.95"), dt.date(2026, 11, 9)),)
    )
    target = target_for(fake, document_date="payment")
    assert target.preview(voucher)["voucherDate"].startswith("2026-11-09")
    ref = target.create(voucher)
    again = target_for(fake, document_date="payment")
    found = again.find(voucher)
    assert found is not None and found.remote_id == ref.remote_id


def test_its_check_says_before_create_that_this_key_cannot_mark_paid(fake):
    paid = make_voucher("RE-16", payments=(Payment("paypal", Decimal("44.95"), reference="P-1"),))
    api_key, partner = target_for(fake, mark_paid=True), target_for(fake, "partner", mark_paid=True)
    policy = Policy(mark_paid=True)
    assert [e.code for e in api_key.check(paid, policy)] == ["lexoffice.mark_paid_not_permitted"]
    assert partner.check(paid, policy) == [] and partner.check(paid, Policy()) == []
    assert [e.code for e in partner.check(make_voucher("RE-17"), policy)] == [
        "lexoffice.mark_paid_no_reference"
    ]
    assert fake.app.vouchers == {} and fake.app.hints == {}


def test_its_preview_needs_no_key_and_shows_the_contact_it_would_create():
    """GIVEN no API key WHEN an intra-community supply is previewed THEN the body says
    which contact create would make first, instead of failing with "no API key"."""
    target = LexofficeTarget(AdapterContext(policy=Policy()))
    voucher = make_voucher(
        "RE-18",
        party=Party(company="Dupont SARL", country="FR", vat_id="FR40303265045"),
        lines=(Line("Ware", Decimal(1), Decimal("100.00"), Decimal("100.00"), Decimal(0)),),
        total_net=Decimal("100.00"),
        total_gross=Decimal("100.00"),
        payments=(),
    )
    body = target.preview(voucher)
    assert "contactId" not in body and body["useCollectiveContact"] is False
    contact = body["contact"]["would_create"]
    assert contact["company"] == {
        "name": "Dupont SARL",
        "vatRegistrationId": "FR40303265045",
        "allowTaxFreeInvoices": True,
    }
    assert {item["categoryId"] for item in body["voucherItems"]} == {INTRA_EU_SUPPLY}


def test_its_preview_names_an_existing_contact_by_its_id(fake):
    target = target_for(fake)
    voucher = make_voucher(
        "RE-19",
        party=Party(company="Dupont SARL", country="FR", vat_id="FR40303265045"),
        lines=(Line("Ware", Decimal(1), Decimal("100.00"), Decimal("100.00"), Decimal(0)),),
        total_net=Decimal("100.00"),
        total_gross=Decimal("100.00"),
        payments=(),
    )
    assert "contact" in target.preview(voucher)
    target.create(voucher)
    (contact_id,) = fake.app.contacts
    body = target.preview(voucher)
    assert body["contactId"] == contact_id and "contact" not in body
