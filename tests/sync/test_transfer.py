"""The transfer pipeline: claims, leases, recorded steps, and exactly once."""

from __future__ import annotations

import datetime as dt
import threading
import time

import pytest
from django.db import close_old_connections
from django.utils import timezone

from belegsync.connectors.base import AdapterContext, SourceDocument
from belegsync.connectors.errors import AuthError, ServerError, ValidationRejected
from belegsync.connectors.reasons import Reason
from belegsync.documents.models import Connection, Document
from belegsync.documents.states import State
from belegsync.sources.memory import STORE
from belegsync.sync import transfer as pipeline
from belegsync.sync.adapters import source_for, target_for
from belegsync.sync.cycle import run_cycle
from belegsync.sync.ingest import store_all
from belegsync.targets.memory import Account, MemoryTarget
from tests.conftest import make_voucher


def feed(connection, count: int, prefix: str = "RE-") -> list[str]:
    numbers = [f"{prefix}{i:05d}" for i in range(count)]
    STORE.add(connection.pk, *[SourceDocument(make_voucher(n), source_id=n) for n in numbers])
    return numbers


def account() -> Account:
    """The memory target account of the ``connection`` fixture."""
    return MemoryTarget.accounts.setdefault("alice-books", Account())


@pytest.mark.django_db
def test_a_cycle_fetches_and_transfers_everything_once(connection):
    numbers = feed(connection, 5)
    STORE.pdfs["RE-00001"] = b"%PDF-1.4 test"
    report = run_cycle(connection.pk, "worker-1")
    assert (report.fetched.created, report.transferred) == (5, 5)
    assert sorted(account().creates) == numbers
    assert len(account().files) == 1 and len(account().paid) == 5
    assert STORE.transferred[connection.pk] == numbers
    connection.refresh_from_db()
    assert connection.cursor == "5"
    done = Document.objects.get(source_number="RE-00001")
    assert done.state == State.DONE and done.remote_id.startswith("mem-")
    assert [e.action for e in done.events.all()] == [
        "import",
        "claim",
        "step_remote",
        "step_attach",
        "step_mark_paid",
        "step_mark_transferred",
        "complete",
    ]


@pytest.mark.django_db
def test_a_second_cycle_with_nothing_new_changes_nothing(connection):
    feed(connection, 3)
    run_cycle(connection.pk, "w")
    report = run_cycle(connection.pk, "w")
    assert (report.fetched.created, report.transferred) == (0, 0)
    assert len(account().creates) == 3


@pytest.mark.django_db
def test_a_voucher_already_in_the_target_is_adopted_not_created(connection):
    [number] = feed(connection, 1)
    target = target_for(connection)
    target.create(make_voucher(number))
    run_cycle(connection.pk, "w")
    assert account().creates == [number]  # only the one made above
    document = Document.objects.get()
    assert document.state == State.DONE
    assert document.steps["remote"]["adopted"] is True


@pytest.mark.django_db
def test_a_server_error_returns_the_document_for_a_later_retry(connection):
    feed(connection, 1)
    account().fail_next["create"] = [ServerError("lexoffice answered 503", status=503)]
    report = run_cycle(connection.pk, "w")
    document = Document.objects.get()
    assert (report.retried, document.state) == (1, State.WAITING)
    assert document.retry_at > timezone.now()
    assert "Will retry" in document.events.last().message
    Document.objects.update(retry_at=timezone.now())
    run_cycle(connection.pk, "w", fetch_first=False)
    document.refresh_from_db()
    assert document.state == State.DONE and account().creates == ["RE-00000"]


@pytest.mark.django_db
def test_retries_are_bounded_then_the_document_fails_as_unavailable(connection):
    feed(connection, 1)
    account().fail_next["find"] = [ServerError("down", status=500)] * 50
    run_cycle(connection.pk, "w")
    for _ in range(pipeline.MAX_ATTEMPTS):
        Document.objects.filter(state=State.WAITING).update(retry_at=None)
        run_cycle(connection.pk, "w", fetch_first=False)
    document = Document.objects.get()
    assert document.state == State.FAILED
    assert document.failure_reason == "unavailable"
    [reason] = document.failures
    assert reason.code == "unavailable_retrying"
    assert reason.params["attempts"] == pipeline.MAX_ATTEMPTS
    assert dt.datetime.fromisoformat(reason.params["retry_at"]) == document.retry_at
    assert document.attempts == pipeline.MAX_ATTEMPTS


@pytest.mark.django_db
def test_a_rejected_voucher_fails_with_the_reason_and_raw_error(connection):
    feed(connection, 1)
    account().fail_next["create"] = [
        ValidationRejected(
            "tax amount does not match the lines",
            raw='{"IssueList": []}',
            code="remote.rejected",
            params={"system": "lexoffice", "remote_message": "tax amount"},
        )
    ]
    run_cycle(connection.pk, "w")
    document = Document.objects.get()
    assert (document.state, document.failure_reason) == (State.FAILED, "rejected")
    assert document.failures == [
        Reason("remote.rejected", {"system": "lexoffice", "remote_message": "tax amount"})
    ]
    assert document.raw_error == '{"IssueList": []}'
    # the English summary stays with the history for support
    assert document.events.get(action="fail").message == "tax amount does not match the lines"


@pytest.mark.django_db
def test_an_error_without_a_code_of_its_own_fails_with_its_familys_words(connection):
    feed(connection, 1)
    account().fail_next["create"] = [ValidationRejected("tax amount does not match the lines")]
    run_cycle(connection.pk, "w")
    assert Document.objects.get().failures == [Reason("category.rejected")]


@pytest.mark.django_db
def test_refused_credentials_pause_the_connection_instead_of_failing_documents(connection):
    feed(connection, 3)
    account().fail_next["find"] = [AuthError("lexoffice did not accept the API key")]
    run_cycle(connection.pk, "w")
    connection.refresh_from_db()
    assert "did not accept" in connection.paused_reason
    assert connection.pause_reasons == [Reason("category.auth")]
    assert set(Document.objects.values_list("state", flat=True)) == {State.WAITING}
    assert pipeline.claim_next("w") is None  # paused: nothing is claimed


@pytest.mark.django_db
def test_a_disabled_connection_or_organisation_gets_no_claims(connection):
    feed(connection, 1)
    store_all(connection, STORE.changes[connection.pk])
    Connection.objects.update(enabled=False)
    assert pipeline.claim_next("w") is None
    Connection.objects.update(enabled=True)
    connection.organisation.sync_enabled = False
    connection.organisation.save()
    assert pipeline.claim_next("w") is None
    connection.organisation.sync_enabled = True
    connection.organisation.save()
    assert pipeline.claim_next("w") is not None


@pytest.mark.django_db
def test_a_dead_workers_claim_is_taken_over_after_its_lease(connection):
    feed(connection, 1)
    store_all(connection, STORE.changes[connection.pk])
    claimed = pipeline.claim_next("worker-1")
    assert pipeline.claim_next("worker-2") is None  # lease still valid
    later = timezone.now() + pipeline.LEASE + dt.timedelta(seconds=1)
    taken = pipeline.claim_next("worker-2", now=later)
    assert taken.pk == claimed.pk and taken.lease_owner == "worker-2"
    assert taken.events.last().message == "taken over from worker-1"
    # the dead worker wakes up: every write it tries is fenced off
    with pytest.raises(pipeline.LeaseLost):
        pipeline._record(claimed, "worker-1", "remote", {"remote_id": "ghost"})


@pytest.mark.django_db
def test_a_crash_after_create_is_healed_by_find(connection):
    """GIVEN a worker created the voucher remotely and died before recording it
    WHEN another worker takes the document over
    THEN it finds the remote voucher and adopts it: booked once."""
    [number] = feed(connection, 1)
    store_all(connection, STORE.changes[connection.pk])
    document = pipeline.claim_next("worker-1")
    target_for(connection).create(document.as_voucher())  # the request that got through
    later = timezone.now() + pipeline.LEASE + dt.timedelta(seconds=1)
    document = pipeline.claim_next("worker-2", now=later)
    Document.objects.filter(pk=document.pk).update(lease_until=timezone.now() + pipeline.LEASE)
    result = pipeline.transfer(document, source_for(connection), target_for(connection), "worker-2")
    assert result.state == State.DONE
    assert account().creates == [number]


@pytest.mark.django_db(transaction=True)
def test_two_workers_never_transfer_the_same_document_twice(connection):
    numbers = feed(connection, 40)
    store_all(connection, STORE.changes[connection.pk])
    errors: list[BaseException] = []
    account().hook = lambda step, key: time.sleep(0.005)  # a remote that takes its time
    start = threading.Barrier(2)

    def work(name: str) -> None:
        try:
            source, target = source_for(connection), target_for(connection)
            start.wait()
            while (document := pipeline.claim_next(name)) is not None:
                pipeline.transfer(document, source, target, name)
        except BaseException as exc:  # reported below, never swallowed
            errors.append(exc)
        finally:
            close_old_connections()

    workers = [threading.Thread(target=work, args=(f"worker-{i}",)) for i in range(2)]
    for w in workers:
        w.start()
    for w in workers:
        w.join(60)
    assert errors == []
    assert sorted(account().creates) == numbers  # each exactly once
    assert set(Document.objects.values_list("state", flat=True)) == {State.DONE}
    claimers = set(Document.objects.values_list("events__actor", flat=True)) - {"system"}
    assert len(claimers) == 2, "both workers took part"


@pytest.mark.django_db
def test_a_document_failed_as_unavailable_is_retried_by_a_later_cycle(connection):
    feed(connection, 1)
    store_all(connection, STORE.changes[connection.pk])
    Document.objects.update(
        state=State.FAILED, failure_reason="unavailable", retry_at=timezone.now()
    )
    run_cycle(connection.pk, "w", fetch_first=False)
    document = Document.objects.get()
    assert document.state == State.DONE
    assert "retrying: target unavailable" in [e.message for e in document.events.all()]


@pytest.mark.django_db
def test_a_connection_with_an_unknown_target_pauses_with_the_reason(connection):
    feed(connection, 1)
    Connection.objects.update(target_kind="nonesuch")
    report = run_cycle(connection.pk, "w")
    connection.refresh_from_db()
    assert "not set up completely" in connection.paused_reason
    assert connection.pause_reasons == [Reason("connection.incomplete")]
    assert "nonesuch" in report.note
    assert Document.objects.get().state == State.WAITING


@pytest.mark.django_db
def test_a_target_that_creates_with_the_pdf_gets_it_in_one_call(connection):
    [number] = feed(connection, 1)
    STORE.pdfs[number] = b"%PDF-1.4 one call"
    calls: list[str] = []

    class OneCallTarget(MemoryTarget):
        def create_with_pdf(self, voucher, pdf, filename):
            calls.append(f"create_with_pdf:{filename}")
            ref = self.create(voucher)
            self.account.files[ref.remote_id] = pdf
            return ref

        def attach(self, ref, pdf, filename):
            calls.append("attach")
            return super().attach(ref, pdf, filename)

    store_all(connection, STORE.changes[connection.pk])
    document = pipeline.claim_next("w")
    target = OneCallTarget(AdapterContext(credentials={"account": "alice-books"}))
    result = pipeline.transfer(document, source_for(connection), target, "w")
    assert result.state == State.DONE
    assert calls == [f"create_with_pdf:{number}.pdf"]
    assert result.steps["attach"] == {"attached": True}
    assert list(account().files.values()) == [b"%PDF-1.4 one call"]
