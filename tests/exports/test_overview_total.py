"""The order overview's total: from the counts the database keeps where they answer,
always what a COUNT of the filtered documents says."""

from __future__ import annotations

import datetime as dt
import itertools

import pytest
from django.db import connection as db
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from belegsync.bookkeeping import VoucherKind
from belegsync.documents.models import Connection, Document
from belegsync.exports.models import DocumentTag
from belegsync.exports.service import Criteria, count_documents, filter_documents
from tests.conftest import make_voucher

from .helpers import store

pytestmark = pytest.mark.django_db


@pytest.fixture
def shelves(org, other_org, connection):
    """Documents of two connections in several states and days (one without a date), a
    credit note, a tag; and bob's, which alice's counts must never see."""
    second = Connection.objects.create(
        organisation=org, name="Second shop", source_kind="memory", target_kind="memory"
    )
    theirs = Connection.objects.create(
        organisation=other_org, name="Bob's", source_kind="memory", target_kind="memory"
    )
    states = itertools.cycle(["waiting", "done", "failed", "done", "skipped"])
    made = []
    for index, (owner, day) in enumerate(
        itertools.product([connection, second, theirs], [1, 2, 15, 30])
    ):
        voucher = make_voucher(f"RE-{index}", invoice_date=dt.date(2026, 6, day))
        made.append(store(owner, voucher, state=next(states)))
    store(connection, make_voucher("GS-1", kind=VoucherKind.CREDIT_NOTE), state="done")
    undated = store(connection, make_voucher("RE-undated"), state="done")
    Document.objects.filter(pk=undated.pk).update(invoice_date=None)
    # moves after storing: the kept counts follow every change of state
    Document.objects.filter(pk__in=[made[0].pk, made[5].pk]).update(state="done")
    DocumentTag.objects.create(document=made[1], tag="DATEV")
    return connection, second


CRITERIA = [
    Criteria(),
    Criteria(state="done"),
    Criteria(state="failed"),
    Criteria(state="sent"),
    Criteria(date_from=dt.date(2026, 6, 2)),
    Criteria(date_to=dt.date(2026, 6, 15), state="done"),
    Criteria(date_from=dt.date(2026, 6, 2), date_to=dt.date(2026, 6, 15)),
    Criteria(kind="credit_note"),
    Criteria(tagged="untagged"),
    Criteria(search="RE-1"),
    Criteria(shop="nowhere"),
]


@pytest.mark.parametrize("criteria", CRITERIA, ids=lambda c: str(c.as_json()))
@pytest.mark.parametrize("narrowed", ["all", "first", "second"])
def test_the_total_is_the_count_of_the_filtered_documents(org, shelves, criteria, narrowed):
    first, second = shelves
    if narrowed != "all":
        criteria.connections = [(first if narrowed == "first" else second).pk]
    mine = Document.objects.filter(connection__organisation=org)
    documents = filter_documents(mine, criteria)
    ids = [first.pk, second.pk]
    assert count_documents(documents, ids, criteria) == documents.count()


def test_the_overview_as_it_opens_counts_no_documents(client, alice, org, shelves):
    """GIVEN alice's documents WHEN she opens the overview, or one state's or a month's
    THEN the total ("of N") is the kept counts', and no query counts the documents."""
    client.force_login(alice)
    mine = Document.objects.filter(connection__organisation=org)
    for query, criteria in (
        ({}, Criteria()),
        ({"state": "done"}, Criteria(state="done")),
        ({"from": "2026-06-02"}, Criteria(date_from=dt.date(2026, 6, 2))),
    ):
        with CaptureQueriesContext(db) as queries:
            page = client.get(reverse("exports:overview"), query).content.decode()
        total = filter_documents(mine, criteria).count()
        assert total > 2
        assert f"of {total}</p>" in page
        counting = [
            q["sql"] for q in queries if "COUNT(" in q["sql"] and "documents_document" in q["sql"]
        ]
        assert counting == []
