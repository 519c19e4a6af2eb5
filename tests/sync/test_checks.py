"""Never send what was not checked just now (issue #13, item 10): right before any create
the engine checks the stored voucher again, against the bookkeeping rules and the
target's own ``check``; nothing is created and then failed."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.utils import timezone

from belegsync.bookkeeping import Line, Party, Payment
from belegsync.connectors.base import AdapterContext, SourceDocument
from belegsync.connectors.errors import ConfigError, FailureReason
from belegsync.documents import actions
from belegsync.documents.models import Connection, Document
from belegsync.documents.states import State
from belegsync.fakes.lexoffice import LexofficeFake, Profile
from belegsync.sync.cycle import run_cycle
from belegsync.sync.ingest import store_all
from belegsync.targets.memory import Account, MemoryTarget
from tests.conftest import make_voucher

KEY, PARTNER = "lexoffice-key", "partner-key"


def account() -> Account:
    return MemoryTarget.accounts.setdefault("alice-books", Account())


def codes(document: Document) -> list[str]:
    return [reason.code for reason in document.failures]


def inconsistent(number: str):
    """An invoice whose gross total is not the sum of its lines (44.95)."""
    return make_voucher(number, total_gross=Decimal("49.95"))


@pytest.fixture
def lexoffice(run_fake):
    return run_fake(LexofficeFake(api_keys=(KEY,), partner_keys=(PARTNER,), rate_per_second=0))


def lexoffice_connection(org, fake, key: str = KEY, **policy) -> Connection:
    return Connection.objects.create(
        organisation=org,
        name="Shop → lexoffice",
        source_kind="memory",
        target_kind="lexoffice",
        credentials={"target": {"api_key": key}},
        settings={
            "policy": {"transfer_pdf": False, **policy},
            "target": {"lexoffice_base_url": fake.url},
        },
    )


def set_policy(connection: Connection, **policy) -> None:
    settings = dict(connection.settings)
    settings["policy"] = {**settings.get("policy", {}), **policy}
    connection.settings = settings
    connection.save()


def writes(fake) -> list[tuple[str, str, int]]:
    return [r for r in fake.app.requests if r[0] in ("POST", "PUT")]


def voucher_writes(fake) -> list[tuple[str, str, int]]:
    return [r for r in writes(fake) if r[1].startswith(("/v1/vouchers", "/v1/contacts"))]


@pytest.mark.django_db
def test_a_reset_inconsistent_document_fails_again_and_nothing_reaches_the_target(org, lexoffice):
    """GIVEN a document stored as failed because its total is not the sum of its lines
    WHEN the merchant resets it and the next cycle runs
    THEN it fails again with the same reason, and lexoffice received no request at all."""
    conn = lexoffice_connection(org, lexoffice)
    store_all(conn, [SourceDocument(inconsistent("RE-1"), source_id="RE-1")])
    document = Document.objects.get(source_number="RE-1")
    assert document.state == State.FAILED and codes(document) == ["total_mismatch"]

    actions.reset(document)
    run_cycle(conn.pk, "worker-1", fetch_first=False)

    document.refresh_from_db()
    assert document.state == State.FAILED
    assert document.failure_reason == FailureReason.VALIDATION
    assert codes(document) == ["total_mismatch", "checked_before_sending"]
    assert "remote" not in document.steps and not document.remote_id
    assert writes(lexoffice) == [] and lexoffice.app.vouchers == {}


@pytest.mark.django_db
def test_a_reupload_of_an_inconsistent_document_fails_again_and_sends_nothing(connection):
    store_all(connection, [SourceDocument(inconsistent("RE-9"), source_id="RE-9")])
    actions.reupload(Document.objects.get(source_number="RE-9"), remote_exists=lambda d: False)
    assert Document.objects.get(source_number="RE-9").state == State.WAITING
    run_cycle(connection.pk, "worker-1", fetch_first=False)
    document = Document.objects.get(source_number="RE-9")
    assert document.state == State.FAILED and codes(document)[0] == "total_mismatch"
    assert account().creates == [] and account().checks == []


@pytest.mark.django_db
def test_data_that_stopped_adding_up_after_import_is_not_sent(connection):
    """A waiting document whose stored voucher no longer passes (data changed under it,
    a rule that is newer than the import) fails at the check, not in the target."""
    store_all(connection, [SourceDocument(make_voucher("RE-2"), source_id="RE-2")])
    Document.objects.filter(source_number="RE-2").update(
        voucher={**Document.objects.get(source_number="RE-2").voucher, "total_gross": "99.00"}
    )
    run_cycle(connection.pk, "worker-1", fetch_first=False)
    document = Document.objects.get(source_number="RE-2")
    assert document.state == State.FAILED and codes(document)[0] == "total_mismatch"
    assert account().creates == [] and account().checks == []


@pytest.mark.django_db
def test_what_the_target_would_refuse_fails_with_all_its_reasons_before_create(connection):
    account().refuse["RE-3"] = [
        ConfigError(
            "no account for paypal", code="sevdesk.payment_not_mapped", params={"method": "paypal"}
        ),
        ConfigError(
            "no account for invoice",
            code="sevdesk.payment_not_mapped",
            params={"method": "invoice"},
        ),
    ]
    store_all(connection, [SourceDocument(make_voucher("RE-3"), source_id="RE-3")])
    run_cycle(connection.pk, "worker-1", fetch_first=False)
    document = Document.objects.get(source_number="RE-3")
    assert document.state == State.FAILED
    assert document.failure_reason == FailureReason.CONFIG
    assert codes(document) == [
        "sevdesk.payment_not_mapped",
        "sevdesk.payment_not_mapped",
        "checked_before_sending",
    ]
    assert [r.params["method"] for r in document.failures[:2]] == ["paypal", "invoice"]
    assert account().creates == [] and account().checks == ["RE-3"]


@pytest.mark.django_db
def test_a_voucher_already_in_the_target_is_adopted_without_a_new_check(connection):
    """The check guards the create; what a crash left in the target is found and kept."""
    store_all(connection, [SourceDocument(make_voucher("RE-4"), source_id="RE-4")])
    MemoryTarget(AdapterContext(credentials={"account": "alice-books"})).create(
        make_voucher("RE-4")
    )
    account().refuse["RE-4"] = [ConfigError("would refuse")]
    run_cycle(connection.pk, "worker-1", fetch_first=False)
    document = Document.objects.get(source_number="RE-4")
    assert document.state == State.DONE and document.steps["remote"]["adopted"]
    assert account().checks == []


@pytest.mark.django_db
def test_lexoffice_mark_paid_with_an_api_key_is_refused_before_anything_is_created(org, lexoffice):
    """GIVEN 'mark as paid' on and a private API key (lexoffice takes payment hints only
    from partner apps) WHEN paid vouchers are transferred THEN none is created in
    lexoffice and then failed: each fails before the create, with what to do."""
    conn = lexoffice_connection(org, lexoffice, mark_paid=True)
    paid = Payment("paypal", Decimal("44.95"), dt.date(2026, 11, 2), reference="PAYID-1")
    store_all(
        conn,
        [
            SourceDocument(make_voucher("RE-5", payments=(paid,)), source_id="RE-5"),
            SourceDocument(make_voucher("RE-6"), source_id="RE-6"),  # paid, no reference
        ],
    )
    run_cycle(conn.pk, "worker-1", fetch_first=False)
    by_number = {d.source_number: d for d in Document.objects.filter(connection=conn)}
    assert {n: d.state for n, d in by_number.items()} == {"RE-5": "failed", "RE-6": "failed"}
    assert codes(by_number["RE-5"])[0] == "lexoffice.mark_paid_not_permitted"
    assert codes(by_number["RE-6"])[0] == "lexoffice.mark_paid_no_reference"
    assert lexoffice.app.vouchers == {} and voucher_writes(lexoffice) == []


@pytest.mark.django_db
def test_lexoffice_mark_paid_with_a_partner_token_is_sent_and_hinted(org, lexoffice):
    conn = lexoffice_connection(org, lexoffice, key=PARTNER, mark_paid=True)
    paid = Payment("paypal", Decimal("44.95"), dt.date(2026, 11, 2), reference="PAYID-7")
    store_all(conn, [SourceDocument(make_voucher("RE-7", payments=(paid,)), source_id="RE-7")])
    run_cycle(conn.pk, "worker-1", fetch_first=False)
    document = Document.objects.get(source_number="RE-7")
    assert document.state == State.DONE, document.failure_message
    assert [h["externalReference"] for h in lexoffice.app.hints.values()] == ["PAYID-7"]


@pytest.mark.django_db
def test_an_open_voucher_is_sent_with_mark_paid_on_whatever_the_key(org, lexoffice):
    conn = lexoffice_connection(org, lexoffice, mark_paid=True)
    store_all(conn, [SourceDocument(make_voucher("RE-8", payments=()), source_id="RE-8")])
    run_cycle(conn.pk, "worker-1", fetch_first=False)
    assert Document.objects.get(source_number="RE-8").state == State.DONE
    assert len(lexoffice.app.vouchers) == 1


# --- plausible dates (issue #13, item 5) ---------------------------------------------


def dated(number: str, days_ahead: int):
    return make_voucher(number, invoice_date=timezone.localdate() + dt.timedelta(days=days_ahead))


@pytest.mark.django_db
def test_an_invoice_dated_further_ahead_than_the_policy_allows_is_held_failed(connection):
    """GIVEN the default of 3 days WHEN invoices dated 3 and 4 days ahead arrive
    THEN the first waits, the second is held failed with "check the invoice date"."""
    store_all(
        connection,
        [
            SourceDocument(dated("RE-20", 3), source_id="RE-20"),
            SourceDocument(dated("RE-21", 4), source_id="RE-21"),
        ],
    )
    assert Document.objects.get(source_number="RE-20").state == State.WAITING
    held = Document.objects.get(source_number="RE-21")
    assert held.state == State.FAILED and held.failure_reason == FailureReason.VALIDATION
    (reason,) = held.failures
    assert reason.code == "invoice_date_in_future"
    assert reason.params["days"] == 3
    assert reason.params["latest_date"] == (timezone.localdate() + dt.timedelta(days=3)).isoformat()
    run_cycle(connection.pk, "worker-1", fetch_first=False)
    assert account().creates == ["RE-20"]


@pytest.mark.django_db
def test_the_number_of_days_is_the_connections_choice(connection):
    set_policy(connection, future_days=10)
    store_all(connection, [SourceDocument(dated("RE-22", 10), source_id="RE-22")])
    assert Document.objects.get(source_number="RE-22").state == State.WAITING
    set_policy(connection, future_days=0)
    run_cycle(connection.pk, "worker-1", fetch_first=False)
    held = Document.objects.get(source_number="RE-22")
    assert held.state == State.FAILED and codes(held)[0] == "invoice_date_in_future"
    assert account().creates == []


# --- § 19 UStG for every connection (issue #13, item 7) ---------------------------------


@pytest.mark.django_db
def test_a_small_business_connection_books_every_voucher_as_one(connection):
    """GIVEN the connection's § 19 setting WHEN a source sends vouchers that do not say
    so THEN they are booked as small business; one that charges VAT is refused."""
    set_policy(connection, small_business=True)
    untaxed = make_voucher(
        "RE-30",
        lines=(Line("Ware", Decimal(1), Decimal("50.00"), Decimal("50.00"), Decimal(0)),),
        total_net=Decimal("50.00"),
        total_gross=Decimal("50.00"),
        payments=(),
    )
    store_all(
        connection,
        [
            SourceDocument(untaxed, source_id="RE-30"),
            SourceDocument(make_voucher("RE-31"), source_id="RE-31"),  # 19 % VAT on it
        ],
    )
    run_cycle(connection.pk, "worker-1", fetch_first=False)
    (booked,) = account().vouchers.values()
    assert booked["number"] == "RE-30" and booked["small_business"] is True
    refused = Document.objects.get(source_number="RE-31")
    assert refused.state == State.FAILED and set(codes(refused)) == {"rate_not_allowed"}


@pytest.mark.django_db
def test_lexoffice_says_before_sending_when_its_account_is_a_small_business(org, lexoffice):
    lexoffice.app.profile = Profile("DESTINATION", small_business=True)
    conn = lexoffice_connection(org, lexoffice)
    store_all(conn, [SourceDocument(make_voucher("RE-32"), source_id="RE-32")])
    run_cycle(conn.pk, "worker-1", fetch_first=False)
    document = Document.objects.get(source_number="RE-32")
    assert codes(document)[0] == "lexoffice.small_business_only_there"
    assert lexoffice.app.vouchers == {}


# --- DATEV month files: the same check right before the file is written --------------


@pytest.fixture
def datev(org) -> Connection:
    org.datev_consultant_number, org.datev_client_number = 1001, 1
    org.save()
    return Connection.objects.create(
        organisation=org,
        name="Shop → DATEV",
        source_kind="memory",
        target_kind="datev",
        settings={"policy": {"transfer_pdf": False}},
    )


@pytest.mark.django_db
def test_a_month_file_leaves_out_what_fails_the_check_just_before_it_is_written(datev):
    """GIVEN a DATEV connection with two documents of a month that is over, one of whose
    stored data stopped adding up after import WHEN the month is delivered THEN the file
    carries the other one only, and the broken one fails with its reason."""
    conn = datev
    store_all(
        conn,
        [
            SourceDocument(make_voucher("RE-40"), source_id="RE-40"),
            SourceDocument(make_voucher("RE-41"), source_id="RE-41"),
        ],
    )
    broken = Document.objects.get(source_number="RE-41")
    Document.objects.filter(pk=broken.pk).update(voucher={**broken.voucher, "total_gross": "99.00"})
    run_cycle(conn.pk, "worker-1", fetch_first=False)
    states = dict(Document.objects.filter(connection=conn).values_list("source_number", "state"))
    assert states == {"RE-40": "done", "RE-41": "failed"}
    assert codes(Document.objects.get(source_number="RE-41")) == [
        "total_mismatch",
        "checked_before_sending",
    ]
    (file,) = conn.month_files.all()
    assert [d.source_number for d in file.documents.all()] == ["RE-40"]


@pytest.mark.django_db
def test_a_month_file_holds_a_number_two_orders_share_as_a_transfer_does(datev):
    """GIVEN two orders with one number on a DATEV connection, the held document reset
    WHEN the month is delivered THEN it stays out of the file, failed as a conflict with the
    transfer's reasons (one check for both ways out)."""
    store_all(datev, [SourceDocument(make_voucher("RE-50"), source_id="111")])
    other = make_voucher("RE-50", party=Party(name="Max Muster"))
    store_all(datev, [SourceDocument(other, source_id="222")])
    store_all(datev, [SourceDocument(make_voucher("RE-51"), source_id="333")])
    actions.reset(Document.objects.get(source_number="RE-50"))
    run_cycle(datev.pk, "worker-1", fetch_first=False)
    held = Document.objects.get(source_number="RE-50")
    assert held.state == State.FAILED and held.failure_reason == FailureReason.CONFLICT
    assert codes(held) == ["number_conflict", "checked_before_sending"]
    (file,) = datev.month_files.all()
    assert [d.source_number for d in file.documents.all()] == ["RE-51"]
