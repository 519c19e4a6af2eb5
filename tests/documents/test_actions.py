from __future__ import annotations

import dataclasses
from decimal import Decimal

import pytest

from belegsync.bookkeeping import voucher_to_dict
from belegsync.documents.actions import (
    RemoteCopyExists,
    bulk,
    mark_manually_imported,
    reset,
    reupload,
)
from belegsync.documents.models import Document
from belegsync.documents.states import State
from tests.conftest import make_voucher
from tests.documents.test_states import make_document

pytestmark = pytest.mark.django_db


def test_reset_clears_the_failure_and_records_who(connection, alice):
    document = make_document(connection, State.FAILED)
    Document.objects.filter(pk=document.pk).update(
        failure_reason="rejected", failure_details=[{"code": "category.rejected"}], attempts=3
    )
    reset(document, alice)
    assert (document.state, document.failure_reason, document.attempts) == ("waiting", "", 0)
    event = document.events.get()
    assert (event.actor, event.user) == ("alice", alice)


def test_reset_keeps_recorded_steps_so_the_target_is_asked_first(connection):
    document = make_document(connection, State.DONE)
    Document.objects.filter(pk=document.pk).update(steps={"remote": {"remote_id": "x"}})
    reset(document)
    assert document.steps == {"remote": {"remote_id": "x"}}


def test_mark_manually_imported_only_from_failed(connection):
    failed = make_document(connection, State.FAILED, "RE-1")
    waiting = make_document(connection, State.WAITING, "RE-2")
    mark_manually_imported(failed)
    assert failed.state == State.MANUAL
    outcomes = bulk(mark_manually_imported, [waiting])
    assert not outcomes[0].ok
    assert "waiting" in outcomes[0].message


def test_reupload_is_refused_while_the_target_has_the_voucher(connection):
    document = make_document(connection, State.DONE)
    with pytest.raises(RemoteCopyExists, match="Delete it there first"):
        reupload(document, remote_exists=lambda d: True)
    document.refresh_from_db()
    assert document.state == State.DONE


def test_reupload_applies_the_newer_data_and_forgets_the_remote_copy(connection):
    document = make_document(connection, State.DONE)
    newer = dataclasses.replace(make_voucher("RE-1"), total_gross=Decimal("44.95"), shop="B")
    Document.objects.filter(pk=document.pk).update(
        remote_id="lx-1",
        steps={"remote": {"remote_id": "lx-1"}},
        pending_voucher=voucher_to_dict(newer),
    )
    document.refresh_from_db()
    reupload(document, remote_exists=lambda d: False)
    assert document.state == State.WAITING
    assert (document.remote_id, document.steps, document.pending_voucher) == ("", {}, None)
    assert document.voucher["shop"] == "B"


def test_bulk_reports_per_document_on_a_mixed_selection(connection):
    docs = [
        make_document(connection, State.FAILED, "RE-1"),
        make_document(connection, State.PROCESSING, "RE-2"),
        make_document(connection, State.MANUAL, "RE-3"),
    ]
    outcomes = bulk(reset, docs)
    assert [o.ok for o in outcomes] == [True, False, True]
    states = dict(Document.objects.values_list("source_number", "state"))
    assert states == {"RE-1": "waiting", "RE-2": "processing", "RE-3": "waiting"}
