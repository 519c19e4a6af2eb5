"""A connection's life: in set-up until its adapters have what they need; a paused
connection resumes when its credentials are accepted again."""

from __future__ import annotations

import pytest
from django.utils import translation

from belegsync.documents.models import Connection, ConnectionEvent
from belegsync.fakes.sevdesk import SevdeskFake
from belegsync.services import Actor
from belegsync.services import connections as services
from belegsync.sync.cycle import run_cycle
from belegsync.sync.scheduler import tick
from belegsync.sync.transfer import claim_next
from belegsync.targets.memory import MemoryTarget
from tests.web.helpers import make_document

TOKEN = "0123456789abcdef0123456789abcdef"


@pytest.fixture
def billbee(org):
    """A Billbee → memory connection whose credentials Billbee accepted, nothing else done."""
    connection = Connection.objects.create(
        organisation=org,
        name="Billbee → Books",
        source_kind="billbee",
        target_kind="memory",
        credentials={"target": {"account": "books"}},
        settings={"policy": {"mark_paid": True}},
    )
    services.credentials_accepted(Actor.system(), connection, "source")
    services.refresh_setup(Actor.system(), connection)
    return connection


@pytest.mark.django_db
def test_a_half_set_up_billbee_connection_creates_nothing_in_the_target(billbee, alice):
    """GIVEN a new Billbee connection with step 1 saved but not step 2, and a document waiting
    WHEN the scheduler ticks and a cycle runs anyway
    THEN nothing is claimed or created; the page's list names the missing step."""
    services.step_done(Actor.of(alice), billbee, "billbee:general")
    make_document(billbee, "RE-1")
    assert not billbee.setup_complete
    assert any("Payment & customers" in m for m in services.setup_texts(billbee))
    assert tick(lambda pk: None) == []
    report = run_cycle(billbee.pk, "worker-1", fetch_first=False)
    assert not report.ran and report.transferred == 0
    assert claim_next("worker-1", connection_id=billbee.pk) is None
    assert not MemoryTarget.accounts.get("books") or not MemoryTarget.accounts["books"].vouchers
    # step 2 saved: the set-up is complete and the connection is due at once
    services.step_done(Actor.of(alice), billbee, "billbee:payment")
    billbee.refresh_from_db()
    assert billbee.setup_complete and billbee.setup_missing == []
    assert ConnectionEvent.objects.filter(connection=billbee, action="setup_complete").exists()
    assert tick(lambda pk: None) == [billbee.pk]
    claimed = claim_next("worker-1", connection_id=billbee.pk)
    assert claimed is not None and claimed.source_number == "RE-1"


@pytest.mark.django_db
def test_a_target_that_books_payments_on_accounts_needs_the_mapping_first(org):
    connection = Connection.objects.create(
        organisation=org,
        name="x",
        source_kind="memory",
        target_kind="sevdesk",
        settings={"policy": {"mark_paid": True}},
    )
    services.credentials_accepted(Actor.system(), connection, "target")
    missing = services.refresh_setup(Actor.system(), connection)
    assert len(missing) == 1 and "accounts" in missing[0]
    connection.settings = {
        "policy": {"mark_paid": True, "payment_accounts": {"by_method": {"PayPal": "7"}}}
    }
    connection.save()
    assert services.refresh_setup(Actor.system(), connection) == []
    # sent as open, no mapping is needed
    connection.settings = {"policy": {"mark_paid": False}}
    assert services.setup_missing(connection) == []


@pytest.mark.django_db
def test_a_paused_connection_resumes_after_a_good_credentials_check(org, alice, run_fake):
    """GIVEN a connection paused because sevDesk refused its token
    WHEN the token works again and the merchant presses "check again"
    THEN the pause ends, the connection is due, and its history says so."""
    fake = run_fake(SevdeskFake(api_token="someone-elses"))
    connection = Connection.objects.create(
        organisation=org,
        name="Shop → sevDesk",
        source_kind="memory",
        target_kind="sevdesk",
        credentials={"target": {"api_token": TOKEN}},
        paused_reason="sevDesk refused the API token.",
    )
    problems = services.check_again(Actor.of(alice), connection)
    assert problems and "refused" in problems[0]
    connection.refresh_from_db()
    assert connection.paused_reason
    fake.app.api_token = TOKEN  # the merchant re-activated the token in sevDesk
    assert services.check_again(Actor.of(alice), connection) == []
    connection.refresh_from_db()
    assert connection.paused_reason == "" and connection.is_active
    resumed = ConnectionEvent.objects.get(connection=connection, action="resumed")
    assert resumed.actor == "alice" and resumed.user == alice
    assert tick(lambda pk: None) == [connection.pk]


@pytest.mark.django_db
def test_saving_the_form_with_a_working_key_ends_the_pause(client, alice, org, run_fake):
    run_fake(SevdeskFake(api_token=TOKEN))
    connection = Connection.objects.create(
        organisation=org,
        name="Shop → sevDesk",
        source_kind="memory",
        target_kind="sevdesk",
        credentials={"target": {"api_token": TOKEN}},
        paused_reason="sevDesk refused the API token.",
    )
    client.force_login(alice)
    response = client.post(
        f"/connections/{connection.pk}/",
        {
            "name": connection.name,
            "source_kind": "memory",
            "target_kind": "sevdesk",
            "enabled": "on",
            "sync_interval": 3600,
            "policy-mark_paid": "False",
            "policy-document_date": "invoice",
        },
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    connection.refresh_from_db()
    assert connection.paused_reason == ""
    assert ConnectionEvent.objects.filter(connection=connection, action="resumed").exists()


@pytest.mark.django_db
def test_the_set_up_list_reads_in_the_readers_language(billbee, alice, client):
    """GIVEN a Billbee connection whose steps were saved by nobody, stored while English was
    active
    WHEN a German and an English reader look at it
    THEN each reads the list in their own language, the step by its title in it: the list is
    stored as codes, not as text."""
    with translation.override("en"):
        services.refresh_setup(Actor.system(), billbee)
    billbee.refresh_from_db()
    assert {r["code"] for r in billbee.setup_missing} == {"setup.step"}
    assert {r["params"]["step"] for r in billbee.setup_missing} == {
        "billbee:general",
        "billbee:payment",
    }
    with translation.override("de"):
        german = services.setup_texts(billbee)
    with translation.override("en"):
        english = services.setup_texts(billbee)
    assert german == [
        "Billbee: Der Schritt „Allgemein“ ist noch nicht gespeichert.",
        "Billbee: Der Schritt „Zahlungen & Kunden“ ist noch nicht gespeichert.",
    ]
    assert english == [
        "Billbee: the step “General” is not saved yet.",
        "Billbee: the step “Payment & customers” is not saved yet.",
    ]
    client.force_login(alice)
    client.post("/i18n/setlang/", {"language": "de", "next": "/"})
    page = client.get(f"/connections/{billbee.pk}/").content.decode()
    assert "Der Schritt „Allgemein“ ist noch nicht gespeichert." in page


@pytest.mark.django_db
def test_check_again_says_the_refusal_in_the_readers_language(org, alice, run_fake):
    """The refusal is said in the reader's words (its reason), never the client's English
    message: the same words saving the form uses."""
    run_fake(SevdeskFake(api_token="someone-elses"))
    connection = Connection.objects.create(
        organisation=org,
        name="Shop → sevDesk",
        source_kind="memory",
        target_kind="sevdesk",
        credentials={"target": {"api_token": TOKEN}},
    )
    with translation.override("de"):
        [problem] = services.check_again(Actor.of(alice), connection)
    assert problem.startswith("sevDesk hat die Zugangsdaten abgelehnt: ")
    assert "did not accept" not in problem and "credentials" not in problem
