"""The Billbee source against the fake over real HTTP: every setting's effect on what is
transferred, incremental fetching, idempotency, PDFs and tags."""

from __future__ import annotations

import datetime as dt

import pytest

from belegsync.connectors.base import AdapterContext, Cursor
from belegsync.connectors.errors import AuthError
from belegsync.connectors.reasons import Reason
from belegsync.fakes.base import READINGS
from belegsync.sources.billbee import BillbeeSource
from tests.doubles import (
    BILLBEE_KEY,
    BILLBEE_PASSWORD,
    BILLBEE_USER,
    policy_and_settings,
    unthrottled_billbee,
)

KEY, USER, PASSWORD = BILLBEE_KEY, BILLBEE_USER, BILLBEE_PASSWORD
NOW = dt.datetime(2026, 11, 26, 12, 0, tzinfo=dt.UTC)
REFERENCE, STORNO = 100000223344551, 100000223399001
AMAZON = 100000000123457


@pytest.fixture(params=READINGS)
def fake(run_fake, request):
    """Each test runs against both readings of what the reference leaves unverified."""
    app = unthrottled_billbee(bulk=300, now=NOW - dt.timedelta(hours=1))
    app.set_reading(request.param)
    return run_fake(app)


def source(fake, remembered=None, **settings) -> BillbeeSource:
    policy, own = policy_and_settings(settings)
    context = AdapterContext(
        connection_id=1,
        credentials={"api_key": KEY, "user": USER, "password": PASSWORD},
        settings=own,
        policy=policy,
        remembered=remembered or (lambda ids: {}),
    )
    return BillbeeSource(context)


def fetch_all(src, cursor=None):
    pages = list(src.fetch(cursor or Cursor(), NOW))
    docs = {d.source_id: d for p in pages for d in p.documents}
    return pages, docs


def test_it_reads_every_page_and_hands_out_the_bookmark_only_with_the_last(fake):
    pages, docs = fetch_all(source(fake))
    assert len(pages) == 2
    assert len(docs) == len(fake.app.orders)
    assert pages[0].more and pages[0].cursor == Cursor()
    newest = max(o["LastModifiedAt"] for o in fake.app.orders.values())
    assert not pages[-1].more
    assert dt.datetime.fromisoformat(pages[-1].cursor.value) == dt.datetime.fromisoformat(newest)


def test_it_rereads_only_what_changed_since_the_bookmark_with_overlap(fake):
    src = source(fake)
    pages, _ = fetch_all(src)
    cursor = pages[-1].cursor
    assert fetch_all(src, cursor)[1].keys() <= {
        str(k)
        for k, o in fake.app.orders.items()
        if o["LastModifiedAt"]
        >= (dt.datetime.fromisoformat(cursor.value) - dt.timedelta(minutes=10)).isoformat()
    }
    fake.app.set_order_state(100000223400001, 3)
    _, docs = fetch_all(src, Cursor(dt.datetime(2026, 1, 1, tzinfo=dt.UTC).isoformat()))
    assert "100000223400001" in docs


def test_it_never_advances_the_bookmark_past_the_run_start(fake):
    src = source(fake)
    future = dt.datetime(2030, 1, 1, tzinfo=dt.UTC)
    fake.app.set_order_state(REFERENCE, 7, at=future)
    pages = list(src.fetch(Cursor(), future + dt.timedelta(days=1)))
    assert dt.datetime.fromisoformat(pages[-1].cursor.value) <= future + dt.timedelta(days=1)
    # an order modified after the run started is left for the next run
    early = list(src.fetch(Cursor(), dt.datetime(2029, 1, 1, tzinfo=dt.UTC)))
    assert str(REFERENCE) not in {d.source_id for p in early for d in p.documents}


def test_it_keeps_the_bookmark_when_the_window_changed_while_paging(fake):
    src = source(fake)
    pages = src.fetch(Cursor("2024-01-01T00:00:00+00:00"), NOW)
    first = next(pages)
    fake.app.set_order_state(REFERENCE, 7, at=NOW + dt.timedelta(minutes=1))  # leaves the window
    rest = list(pages)
    assert first.more
    assert rest[-1].cursor == Cursor("2024-01-01T00:00:00+00:00")


def codes(document) -> list[str]:
    return [reason.code for reason in document.skip_reasons]


def test_it_skips_orders_in_states_not_selected_and_says_which(fake):
    _, docs = fetch_all(source(fake, state_ids=["4"]))
    assert docs[str(REFERENCE)].skip_reasons == ()
    assert docs["100000223400006"].skip_reasons == (  # state 3
        Reason("billbee.state_not_selected", {"order_state": 3, "order_states": ["4"]}),
    )


def test_it_transfers_credit_notes_whatever_their_state(fake):
    _, docs = fetch_all(source(fake, state_ids=["4"]))
    credit = docs[str(STORNO)]
    assert credit.voucher.is_credit_note
    assert credit.voucher.refers_to == "RE-2024-1187"
    assert credit.skip_reasons == ()


def test_it_skips_orders_of_shops_not_selected(fake):
    _, docs = fetch_all(source(fake, shop_ids=[str(AMAZON)], state_ids=["3", "4", "7"]))
    assert docs["100000223400004"].skip_reasons == ()
    assert docs[str(REFERENCE)].skip_reasons == (
        Reason("skip.shop_not_selected", {"shop": "teeladen-shopify"}),
    )


def test_it_skips_orders_before_the_start_date(fake):
    _, docs = fetch_all(source(fake, start_date="2024-11-29"))
    [early] = docs[str(REFERENCE)].skip_reasons
    assert early.code == "skip.before_start_date"
    assert early.params["start_date"] == dt.date(2024, 11, 29)
    assert early.params["order_date"] < dt.date(2024, 11, 29)
    assert "skip.before_start_date" not in codes(docs["100000223400003"])


def test_it_starts_the_first_window_at_the_start_date(fake):
    _, docs = fetch_all(source(fake, start_date="2024-12-02"))
    assert str(REFERENCE) not in docs  # untouched since before the start date
    assert "100000224000300" not in docs
    assert "100000224000299" in docs


def test_it_keeps_orders_without_invoice_as_skipped_under_their_order_number(fake):
    _, docs = fetch_all(source(fake, state_ids=["2"]))
    doc = docs["100000223400001"]
    assert doc.voucher.number == "#1101"
    assert doc.skip_reasons == (Reason("billbee.no_invoice_yet", {"number": "#1101"}),)


def test_it_counts_a_state_the_order_passed_between_two_cycles_when_asked(fake):
    fake.app.set_order_state(100000223400001, 13)  # Gepackt
    fake.app.set_order_state(100000223400001, 16)  # Im Fulfillment
    fake.app.throttle_per_order = False
    _, default = fetch_all(source(fake, state_ids=["13"]))
    assert Reason("billbee.state_not_selected", {"order_state": 16, "order_states": ["13"]}) in (
        default["100000223400001"].skip_reasons
    )
    _, ever = fetch_all(source(fake, state_ids=["13"], state_rule="ever"))
    assert codes(ever["100000223400001"]) == ["billbee.no_invoice_yet"]
    assert 13 in ever["100000223400001"].meta["states_seen"]


def test_it_remembers_states_belegsync_saw_in_earlier_cycles(fake):
    meta = {"100000223400006": {"states_seen": [7]}}
    src = source(fake, remembered=lambda ids: meta, state_ids=["7"], state_rule="ever")
    _, docs = fetch_all(src)
    assert docs["100000223400006"].skip_reasons == ()
    assert docs["100000223400006"].meta["states_seen"] == [3, 7]


def test_it_lets_documents_with_unmapped_payment_methods_wait(fake):
    settings = {"mark_paid": True, "state_ids": ["3", "4"]}
    _, docs = fetch_all(source(fake, **settings))
    assert docs["100000223400008"].skip_reasons == (
        Reason("skip.payment_not_mapped", {"methods": ["Billbee payment type 145"]}),
    )
    assert docs[str(REFERENCE)].skip_reasons == ()  # known methods pass without a mapping
    _, required = fetch_all(source(fake, payment_accounts_required=True, **settings))
    [unmapped] = required[str(REFERENCE)].skip_reasons
    assert unmapped.code == "skip.payment_not_mapped"
    assert sorted(unmapped.params["methods"]) == ["Gutschein", "PayPal"]
    mapped = {"PayPal": "acc-1", "Gutschein": "acc-2", "Billbee payment type 145": "acc-3"}
    _, ok = fetch_all(source(fake, payment_accounts_required=True, by_method=mapped, **settings))
    assert ok[str(REFERENCE)].skip_reasons == ()
    assert ok["100000223400008"].skip_reasons == ()
    _, default = fetch_all(source(fake, unassigned_to_default=True, **settings))
    assert default["100000223400008"].skip_reasons == ()
    _, open_ = fetch_all(source(fake, mark_paid=False, state_ids=["3"]))
    assert open_["100000223400008"].skip_reasons == ()


def test_it_keeps_the_invoice_date_whatever_date_is_booked(fake):
    """The voucher date choice is applied by the target (lexoffice, sevDesk, DATEV)."""
    _, docs = fetch_all(source(fake, document_date="payment"))
    voucher = docs[str(REFERENCE)].voucher
    assert voucher.invoice_date == dt.date(2024, 11, 29)
    assert voucher.booking_date("payment") == dt.date(2024, 11, 28)


def test_it_fetches_the_invoice_pdf_and_tags_the_order(fake):
    src = source(fake, export_tag="in-buchhaltung")
    _, docs = fetch_all(src)
    pdf = src.pdf(docs[str(REFERENCE)])
    assert pdf is not None and pdf.startswith(b"%PDF-")
    src.mark_transferred(docs[str(REFERENCE)])
    src.mark_transferred(docs[str(REFERENCE)])  # a retried step changes nothing
    assert fake.app.order(REFERENCE)["Tags"] == ["shopify", "in-buchhaltung"]


def test_it_refuses_wrong_credentials_with_a_clear_message(fake):
    context = AdapterContext(
        credentials={"api_key": "nope", "user": USER, "password": PASSWORD},
        settings={},
    )
    with pytest.raises(AuthError, match="API password"):
        BillbeeSource.check_credentials(context)
    ok = AdapterContext(
        credentials={"api_key": KEY, "user": USER, "password": PASSWORD},
        settings={},
    )
    assert [s.name for s in BillbeeSource.shops(ok)] == [
        "teeladen-shopify",
        "teeladen-amazon",
        "teeladen-ebay",
    ]


def test_it_retries_through_a_429_with_retry_after(fake):
    fake.app.configure_faults(next=["429", "503"])
    src = source(fake)
    src.client._sleep = lambda _s: None
    _, docs = fetch_all(src)
    assert len(docs) == len(fake.app.orders)
