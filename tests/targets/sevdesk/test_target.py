"""SevdeskTarget against the sevDesk double over HTTP: every setting's effect."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.utils import translation

from belegsync.bookkeeping import Party, Payment
from belegsync.connectors.base import Target
from belegsync.connectors.errors import (
    AuthError,
    ConfigError,
    ServerError,
    ValidationRejected,
)
from belegsync.reasons import render
from belegsync.targets.sevdesk import SevdeskTarget
from belegsync.targets.sevdesk.forms import SevdeskCredentialsForm
from tests.conftest import make_voucher
from tests.contract.plugin import contract_problems, from_belegsync, recording

from .conftest import TOKEN, account_id

PDF = b"%PDF-1.4 invoice"


def transfer(target: SevdeskTarget, voucher):
    """What the engine does: find or create, attach, mark paid when the policy says so."""
    ref = target.find(voucher) or target.create(voucher)
    ref = target.attach(ref, PDF, f"{voucher.number}.pdf")
    return target.mark_paid(ref, voucher) if target.policy.mark_paid else ref


def only_voucher(app):
    (voucher,) = app.vouchers.values()
    return voucher


def test_it_is_a_target(target):
    assert isinstance(target(), Target)


def test_it_transfers_a_paid_voucher_with_pdf_onto_the_mapped_manual_account(target, fake):
    ref = transfer(target(), make_voucher())
    stored = only_voucher(fake.app)
    assert ref.remote_id == str(stored["id"]) and ref.url.endswith(ref.remote_id)
    assert stored["status"] == 1000 and stored["paidAmount"] == Decimal("44.95")
    assert fake.app.documents[stored["document"]]["content"] == PDF
    (transaction,) = fake.app.transactions.values()
    assert str(transaction["checkAccount"]) == account_id(fake.app, "PayPal BB")


def test_every_request_and_answer_passes_the_official_spec_and_its_errata(target, fake):
    with recording() as seen:
        transfer(target(customer_per_buyer=True), make_voucher())
    assert len(seen) >= 8 and all(from_belegsync(e) for e in seen)
    assert contract_problems(seen) == []


def test_its_preview_is_exactly_the_body_it_sends(target, fake):
    adapter, voucher = target(), make_voucher()
    preview = adapter.preview(voucher)
    adapter.create(voucher)
    (sent,) = [e["request"] for e in fake.app.journal if e["path"].endswith("saveVoucher")]
    assert sent == preview
    assert fake.app.journal[-1]["status"] == 201


def test_reconciliation_in_sevdesk_leaves_the_voucher_open(target, fake):
    transfer(target(mark_paid=False), make_voucher())
    assert only_voucher(fake.app)["status"] == 100
    assert not fake.app.transactions


def test_it_finds_an_existing_voucher_by_exact_number_only(target, fake):
    adapter = target()
    transfer(adapter, make_voucher("RE-10"))
    assert adapter.find(make_voucher("RE-1")) is None
    found = adapter.find(make_voucher("RE-10"))
    assert found is not None and found.adopted and found.facts["status"] == "1000"
    transfer(adapter, make_voucher("RE-10"))  # a second run adopts and changes nothing
    assert len(fake.app.vouchers) == 1 and len(fake.app.transactions) == 1


def test_it_refuses_an_unmapped_payment_method_unless_standard_payment_is_on(target, fake):
    voucher = make_voucher(payments=(Payment("invoice", Decimal("44.95"), dt.date(2026, 11, 2)),))
    with pytest.raises(ConfigError, match="'invoice'"):
        transfer(target(), voucher)
    transfer(target(unassigned_to_default=True), voucher)
    (transaction,) = fake.app.transactions.values()
    assert fake.app.check_accounts[transaction["checkAccount"]]["name"] == "Basiskonto"


def test_it_refuses_a_mapping_to_a_real_bank_account(target, fake):
    online = next(a["id"] for a in fake.app.check_accounts.values() if a["type"] == "online")
    adapter = target(by_method={"paypal": str(online)})
    with pytest.raises(ConfigError, match="manual"):
        transfer(adapter, make_voucher())
    assert only_voucher(fake.app)["status"] == 100


def test_it_lists_only_active_manual_accounts(context, fake):
    fake.app.add_check_account("Alt", "offline", archived=True)
    names = [a.name for a in SevdeskTarget.account_choices(context())]
    assert names == ["Basiskonto", "PayPal BB"]


def test_without_customer_creation_it_only_names_the_buyer(target, fake):
    transfer(target(), make_voucher())
    stored = only_voucher(fake.app)
    assert stored["supplier"] is None and stored["supplierName"] == "Erika Mustermann"
    assert not fake.app.contacts


def test_it_creates_a_customer_once_and_reuses_it_by_number_then_email(target, fake):
    adapter = target(customer_per_buyer=True)
    party = Party(name="Erika Mustermann", customer_number="K-7", email="Erika@Example.org")
    transfer(adapter, make_voucher("RE-1", party=party))
    (contact,) = fake.app.contacts.values()
    assert (contact["customerNumber"], contact["surename"], contact["familyname"]) == (
        "K-7",
        "Erika",
        "Mustermann",
    )
    assert [w["value"] for w in fake.app.ways.values()] == ["Erika@Example.org"]
    transfer(target(customer_per_buyer=True), make_voucher("RE-2", party=party))
    by_email = Party(name="E. Mustermann", email="erika@example.org")
    transfer(target(customer_per_buyer=True), make_voucher("RE-3", party=by_email))
    assert len(fake.app.contacts) == 1
    assert {v["supplier"] for v in fake.app.vouchers.values()} == {contact["id"]}
    stranger = Party(name="Max Muster", email="max@example.org")
    transfer(adapter, make_voucher("RE-4", party=stranger))
    assert sorted(c["customerNumber"] for c in fake.app.contacts.values()) == ["1000", "K-7"]


def test_a_rejected_voucher_fails_with_a_readable_reason_and_the_raw_error(target, fake):
    adapter = target()
    adapter._allowed = {(5192, 3, Decimal(19))}  # pretend the guidance allowed it
    voucher = make_voucher()
    body = adapter.preview(voucher)
    body["voucher"]["taxRule"]["id"] = "3"
    with pytest.raises(ValidationRejected) as caught:
        adapter.client.save_voucher(body)
    assert caught.value.status == 422 and '"responseCode": 422' in caught.value.raw


def test_it_refuses_a_combination_sevdesk_would_reject_before_sending(target, fake):
    fake.app.small_business = True
    with pytest.raises(ConfigError, match="small business"):
        target().create(make_voucher())
    assert not fake.app.vouchers


def test_a_combination_refusal_names_the_position_not_a_line(target, fake):
    """GIVEN three lines at 19 % that sevDesk books as one position on 5186, which its
    guidance does not allow WHEN checked THEN the refusal names position 1 (of the
    body), its account and rate, with what to do, in German."""
    from belegsync.bookkeeping import Line

    adapter = target(sevdesk_accounts={"revenue_19": "5186"})
    adapter._allowed = {(5192, 1, Decimal(19))}
    line = Line("Artikel", Decimal(1), Decimal("10.00"), Decimal("11.90"), Decimal(19))
    voucher = make_voucher(
        lines=(line, line, line), total_net=Decimal("30.00"), total_gross=Decimal("35.70")
    )
    [refusal] = adapter.check(voucher, adapter.policy)
    assert refusal.code == "sevdesk.account_not_allowed"
    assert "position 1" in refusal.message and "line" not in refusal.message
    with translation.override("de"):
        german = render(refusal.reasons[0])
    assert german.startswith("Position 1 (Konto 5186 zu 19\xa0%): sevDesk erlaubt dieses")
    assert not fake.app.vouchers


def test_a_sevdesk_refusal_names_the_voucher_and_keeps_sevdesks_words(target, fake):
    adapter = target(sevdesk_accounts={"revenue_19": "5186"})
    adapter._allowed = {(5186, 1, Decimal(19))}  # guidance out of date: sevDesk decides
    with pytest.raises(ValidationRejected) as caught:
        adapter.create(make_voucher())
    assert "RE-1001" in caught.value.message and "5186" in caught.value.message
    assert caught.value.code == "sevdesk.refused"
    with translation.override("de"):
        german = render(caught.value.reasons[0])
    assert german.startswith("sevDesk hat den Beleg abgelehnt und sagt: „The combination")
    assert "prüf die Konten in den Einstellungen der Verbindung" in german
    assert "not allowed" in caught.value.raw


def test_an_error_inside_http_200_is_an_error(target, fake):
    fake.app.error_with_200_next = 1
    with pytest.raises(ValidationRejected, match="nothing was changed"):
        target().find(make_voucher())


def test_a_create_that_failed_after_writing_is_adopted_not_duplicated(target, fake):
    adapter, voucher = target(), make_voucher()
    adapter.find(voucher)
    fake.app.fail_after_write_next = 1
    with pytest.raises(ServerError):
        adapter.create(voucher)
    transfer(target(), voucher)  # the engine retries the document: find adopts it
    assert len(fake.app.vouchers) == 1 and only_voucher(fake.app)["status"] == 1000


def test_a_booking_is_never_repeated_blindly(target, fake):
    adapter, voucher = target(), make_voucher()
    ref = adapter.attach(adapter.create(voucher), PDF, "a.pdf")
    fake.app.fail_after_write_next = 1
    with pytest.raises(ServerError):
        adapter.mark_paid(ref, voucher)
    ref = adapter.mark_paid(ref, voucher)  # sevDesk says "already paid": that is success
    assert ref.facts["status"] == "1000" and len(fake.app.transactions) == 1


def test_it_creates_with_the_pdf_in_two_requests(target, fake):
    adapter, voucher = target(), make_voucher()
    adapter._check_combinations(voucher, adapter.preview(voucher))  # the once-per-adapter part
    before = len(fake.app.journal)
    ref = adapter.create_with_pdf(voucher, PDF, "RE-1001.pdf")
    paths = [e["path"].rsplit("/", 1)[-1] for e in fake.app.journal[before:]]
    assert paths == ["uploadTempFile", "saveVoucher"]
    assert adapter.attach(ref, PDF, "again.pdf") is ref  # nothing more to do
    assert only_voucher(fake.app)["document"] is not None


def test_it_checks_credentials_and_the_bookkeeping_system(context, fake):
    SevdeskTarget.check_credentials(context())
    fake.app.api_token = "other"
    with pytest.raises(AuthError) as caught:
        SevdeskTarget.check_credentials(context())
    assert TOKEN not in caught.value.message and TOKEN not in caught.value.raw
    fake.app.api_token = TOKEN
    fake.app.bookkeeping_version = "1.0"
    with pytest.raises(ConfigError, match=r"2\.0"):
        SevdeskTarget.check_credentials(context())


def test_its_credentials_form_takes_a_pasted_bearer_token():
    credentials = SevdeskCredentialsForm({"api_token": f"Bearer {TOKEN}"})
    assert credentials.is_valid() and credentials.cleaned_data["api_token"] == TOKEN


def test_the_engines_paid_switch_overrules_a_stale_reconciliation_choice(target, fake):
    """Billbee's set-up writes mark_paid alone; sevDesk's older form choice must not win."""
    transfer(target(payment_reconciliation="sevdesk", mark_paid=True), make_voucher())
    assert only_voucher(fake.app)["status"] == 1000


def test_its_check_names_every_payment_it_could_not_book_before_anything_is_sent(target, fake):
    voucher = make_voucher(
        payments=(
            Payment("invoice", Decimal("20.00"), dt.date(2026, 11, 2)),
            Payment("paypal", Decimal("24.95"), dt.date(2026, 11, 2)),
            Payment("cash", Decimal("0.00"), dt.date(2026, 11, 2)),
        )
    )
    adapter = target()
    refusals = adapter.check(voucher, adapter.policy)
    assert [(e.code, e.params["method"]) for e in refusals] == [
        ("sevdesk.payment_not_mapped", "invoice"),
        ("sevdesk.payment_not_mapped", "cash"),
    ]
    assert fake.app.vouchers == {}
    assert adapter.check(voucher, adapter.policy.model_copy(update={"mark_paid": False})) == []
