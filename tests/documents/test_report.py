"""The month report: complete only when every document is booked and no number is missing."""

from __future__ import annotations

import datetime as dt
import io

import pytest
from django.core.management import call_command

from belegsync.documents.models import Document
from belegsync.documents.report import month_report
from belegsync.documents.states import State
from tests.documents.test_states import make_document

pytestmark = pytest.mark.django_db

NOVEMBER = dt.date(2026, 11, 1)


def documents(connection, *numbers_and_states):
    for number, state in numbers_and_states:
        document = make_document(connection, state, number)
        Document.objects.filter(pk=document.pk).update(invoice_date=dt.date(2026, 11, 2))


def test_a_month_with_everything_booked_and_no_gap_is_complete(org, connection):
    documents(connection, ("RE-1", State.DONE), ("RE-2", State.MANUAL), ("RE-3", State.DONE))
    report = month_report(org, NOVEMBER)
    assert report.complete
    assert (report.total, report.booked) == (3, 3)
    assert dict((s, n) for s, n, _ in report.rows) == {"done": 2, "manual": 1}


def test_a_failed_document_or_a_missing_number_makes_it_incomplete(org, connection):
    documents(connection, ("RE-1", State.DONE), ("RE-2", State.FAILED), ("RE-5", State.DONE))
    report = month_report(org, NOVEMBER)
    assert not report.complete
    assert [o.number for o in report.outstanding] == ["RE-2"]
    assert [str(g) for g in report.gaps] == ["RE-3 … RE-4 (2)"]


def test_other_months_and_other_organisations_do_not_count(org, other_org, connection):
    documents(connection, ("RE-1", State.DONE))
    assert month_report(org, dt.date(2026, 10, 1)).total == 0
    assert month_report(other_org, NOVEMBER).total == 0
    assert not month_report(org, dt.date(2026, 10, 1)).complete, "an empty month proves nothing"


def test_the_command_exits_1_when_the_month_is_not_complete(org, connection):
    documents(connection, ("RE-1", State.DONE), ("RE-2", State.WAITING))
    out = io.StringIO()
    with pytest.raises(SystemExit) as exit_info:
        call_command("report", "--month", "2026-11", stdout=out)
    assert exit_info.value.code == 1
    assert "not booked: RE-2 (waiting)" in out.getvalue()
    Document.objects.filter(source_number="RE-2").update(state=State.DONE)
    out = io.StringIO()
    call_command("report", "--month", "2026-11", stdout=out)
    assert "complete: every document is in the bookkeeping" in out.getvalue()


def test_skipped_documents_are_listed_but_do_not_make_the_month_incomplete(org, connection):
    documents(
        connection,
        ("RE-1", State.DONE),
        ("RE-2", State.SKIPPED),
        ("RE-3", State.DONE),
        ("B-00001", State.SKIPPED),
        ("B-00009", State.SKIPPED),
    )
    report = month_report(org, NOVEMBER)
    assert report.complete
    assert report.gaps == [], "skipped numbers fill gaps and make no sequence of their own"
    assert {o.number for o in report.outstanding} == {"RE-2", "B-00001", "B-00009"}
