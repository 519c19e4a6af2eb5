from __future__ import annotations

import dataclasses
import os
from decimal import Decimal

import hypothesis
import pytest
from django.db import connection as db
from django.db import transaction
from django.utils import timezone
from hypothesis import strategies as st

from belegsync.bookkeeping import VoucherKind
from belegsync.connectors.base import SourceDocument
from belegsync.connectors.reasons import Reason
from belegsync.documents.models import Document
from belegsync.documents.states import State
from belegsync.sync.imports import _analyse_documents
from belegsync.sync.ingest import store, store_all
from tests.conftest import make_voucher

pytestmark = pytest.mark.django_db


def sd(number="RE-1", skip: Reason | None = None, **changes) -> SourceDocument:
    return SourceDocument(
        make_voucher(number, **changes),
        source_id=f"o-{number}",
        skip_reasons=(skip,) if skip else (),
    )


def test_it_creates_a_waiting_document_once(connection):
    assert store(connection, sd()) == "created"
    assert store(connection, sd()) == "unchanged"
    document = Document.objects.get()
    assert (document.state, document.total_gross) == (State.WAITING, Decimal("44.95"))
    assert document.events.get().action == "import"


def test_a_voucher_that_does_not_add_up_fails_with_the_reason(connection):
    assert store(connection, sd(total_gross=Decimal("45.00"))) == "failed"
    document = Document.objects.get()
    assert document.state == State.FAILED
    assert document.failure_reason == "validation"
    assert document.failures == [
        Reason(
            "total_mismatch",
            {"total": "45.00", "lines_total": "44.95"},
            field="total_gross",
        )
    ]
    assert document.events.get().detail["reasons"] == document.failure_details


def test_corrected_data_brings_a_failed_document_back_to_waiting(connection):
    store(connection, sd(total_gross=Decimal("45.00")))
    assert store(connection, sd()) == "updated"
    assert Document.objects.get().state == State.WAITING


def test_skipped_documents_are_kept_and_become_eligible(connection):
    shop = Reason("skip.shop_not_selected", {"shop": "Etsy"})
    assert store(connection, sd(skip=shop)) == "skipped"
    document = Document.objects.get()
    assert (document.state, document.skips) == (State.SKIPPED, [shop])
    assert store(connection, sd(skip=shop)) == "unchanged"
    store(connection, sd())
    document.refresh_from_db()
    assert (document.state, document.skips) == (State.WAITING, [])


def test_newer_data_for_a_done_document_waits_for_reupload(connection):
    store(connection, sd())
    Document.objects.update(state=State.DONE)
    changed = sd(shop="other shop")
    assert store(connection, changed) == "pending_reupload"
    document = Document.objects.get()
    assert document.state == State.DONE
    assert document.voucher["shop"] == ""
    assert document.pending_voucher["shop"] == "other shop"
    assert store(connection, changed) == "unchanged"


def test_store_all_counts_outcomes(connection):
    report = store_all(connection, [sd("A"), sd("B"), sd("B"), sd("C", total_net=Decimal(1))])
    assert (report.created, report.unchanged, report.failed) == (2, 1, 1)
    assert report.numbers_failed == ["C"]


def test_a_credit_note_and_an_invoice_may_share_a_number(connection):
    note = dataclasses.replace(make_voucher("X-1"), kind=VoucherKind.CREDIT_NOTE, refers_to="X-0")
    store(connection, SourceDocument(note, source_id="n"))
    store(connection, sd("X-1"))
    assert Document.objects.count() == 2


def test_a_batch_stores_new_known_and_repeated_numbers_by_the_same_rules(connection):
    from belegsync.sync.ingest import store_batch

    store(connection, sd("A"))
    Document.objects.filter(source_number="A").update(state=State.DONE)
    batch = [sd("A", shop="new"), sd("B"), sd("B", shop="x"), sd("C", total_net=Decimal(1))]
    results = store_batch(connection, batch, actor="import")
    assert [(r.number, r.outcome, r.previous_state) for r in results] == [
        ("A", "pending_reupload", "done"),
        ("B", "created", None),
        ("B", "updated", None),
        ("C", "failed", None),
    ]
    assert Document.objects.get(source_number="B").voucher["shop"] == "x"
    assert Document.objects.get(source_number="C").events.get().actor == "import"
    again = store_batch(connection, [sd("A", shop="new"), sd("B", shop="x")])
    assert [r.outcome for r in again] == ["unchanged", "unchanged"]


def test_sources_are_told_what_was_stored_of_their_earlier_documents(connection):
    from belegsync.sync.adapters import source_for

    store(connection, SourceDocument(make_voucher("A"), source_id="o-1", meta={"seen": [3]}))
    remembered = source_for(connection).context.remembered(["o-1", "o-2"])
    assert remembered == {"o-1": {"seen": [3]}}


def _lookup_plan(sql: str, params: tuple) -> str:
    """How the database finds the rows of ``sql``: the plan's text, lower-cased."""
    with db.cursor() as cursor:
        if db.vendor == "sqlite":
            cursor.execute(f"EXPLAIN QUERY PLAN {sql}", params)
            return " ".join(str(row[-1]) for row in cursor.fetchall()).lower()
        # a small test table is scanned anyway: ask how it would use an index
        cursor.execute("SET LOCAL enable_seqscan = off")
        cursor.execute(f"EXPLAIN {sql}", params)
        return " ".join(row[0] for row in cursor.fetchall()).lower()


def test_the_batch_lookup_searches_the_number_index_on_all_its_columns(connection):
    """GIVEN a connection with stored documents WHEN a batch looks its numbers up
    THEN the database seeks (connection, kind, number) in the unique index instead of
    walking the connection's documents: the guard against an import that grows with
    the square of its size."""
    from belegsync.sync.ingest import _known_sql

    store_all(connection, [sd(f"RE-{n}") for n in range(30)])
    batch = [sd("RE-3"), sd("RE-40")]
    with transaction.atomic():
        sql, params = _known_sql(connection, _prepared(connection, batch))
        plan = _lookup_plan(sql, params)
    if db.vendor == "sqlite":  # the unique constraint is the table's own (autoindex)
        assert "using index" in plan and "connection_id=? and kind=? and source_number=?" in plan
    else:  # which index a 30-row table's statistics pick varies: the seek needs the kind
        assert "index scan" in plan and "kind" in plan and "source_number" in plan, plan


def test_a_batch_stores_every_column_of_new_documents_and_their_events(connection):
    """GIVEN new documents of every outcome in one batch (waiting, failed, skipped)
    WHEN the batch inserts them in one statement per table THEN each row has its own
    values, the columns a row leaves out have their defaults, every document has its
    import event, and the counts and the number search know them."""
    from belegsync.documents import listing
    from belegsync.documents.listing import NUMBER_SEARCH
    from belegsync.documents.models import DocumentCount, Event
    from belegsync.sync.ingest import store_batch

    shop = Reason("skip.shop_not_selected", {"shop": "Etsy"})
    batch = [sd("RE-1"), sd("RE-2", total_gross=Decimal("45.00")), sd("RE-3", skip=shop)]
    with transaction.atomic():
        results = store_batch(connection, batch, actor="import", detail={"import": 7})
    assert [r.outcome for r in results] == ["created", "failed", "skipped"]
    documents = {d.source_number: d for d in Document.objects.all()}
    assert {n: d.state for n, d in documents.items()} == {
        "RE-1": State.WAITING,
        "RE-2": State.FAILED,
        "RE-3": State.SKIPPED,
    }
    assert documents["RE-1"].failure_reason == "" and documents["RE-1"].failure_details is None
    assert documents["RE-2"].failure_reason == "validation"
    assert documents["RE-3"].skip_details[0]["code"] == "skip.shop_not_selected"
    assert documents["RE-1"].steps == {} and documents["RE-1"].attempts == 0
    assert documents["RE-1"].total_gross == Decimal("44.95")
    assert documents["RE-1"].as_voucher() == batch[0].voucher
    events = {e.document.source_number: e for e in Event.objects.select_related("document")}
    assert {n: (e.action, e.to_state, e.actor) for n, e in events.items()} == {
        "RE-1": ("import", "waiting", "import"),
        "RE-2": ("import", "failed", "import"),
        "RE-3": ("import", "skipped", "import"),
    }
    assert events["RE-1"].detail == {"import": 7}
    assert events["RE-1"].at == documents["RE-1"].created_at
    counts = {(c.state, c.failure_reason): c.n for c in DocumentCount.objects.all()}
    assert counts == {("waiting", ""): 1, ("failed", "validation"): 1, ("skipped", ""): 1}
    searched = listing.Filters(number="E-2")
    found = listing.filtered(Document.objects.all(), [connection.pk], searched)
    assert listing.ids(found, searched, 10) == [documents["RE-2"].pk]
    if db.vendor == "sqlite":  # the FTS5 table itself, which the search above walks
        with db.cursor() as cursor:
            search = f"SELECT rowid FROM {NUMBER_SEARCH} WHERE source_number LIKE '%E-2%'"  # noqa: S608
            cursor.execute(search)
            assert cursor.fetchall() == [(documents["RE-2"].pk,)]


@pytest.mark.skipif(db.vendor != "sqlite", reason="SQLite's FTS5 number index")
def test_a_batch_writes_each_new_document_once_into_the_number_index(connection):
    """GIVEN an import batch (a savepoint inside the job's transaction) WHEN it stores
    500 new documents THEN SQLite writes about seven rows per document (the document,
    its event, its count, its day count, its gross per rate, its number block, its
    number in the FTS5 index), not the index over and over:
    inside a savepoint FTS5 flushes a segment at every statement, and a statement per
    row made it merge segments all the time (12 times the data stored)."""
    from belegsync.sync.ingest import store_batch

    def rows_written() -> int:
        with db.cursor() as cursor:
            cursor.execute("SELECT total_changes()")
            return cursor.fetchone()[0]

    before = rows_written()
    with transaction.atomic():
        store_batch(connection, [sd(f"RE-{n}") for n in range(500)])
    assert rows_written() - before < 9 * 500


def test_insert_rows_gives_each_row_its_own_key_in_row_order(connection):
    """GIVEN more rows than one SQLite statement takes (its parameter limit) WHEN they are
    inserted reading their keys back THEN key i is row i's, on both databases, and a
    document saved the ordinary way afterwards gets a key of its own."""
    from belegsync.sync.ingest import _max_parameters, insert_rows

    fields = len([f for f in Document._meta.concrete_fields if not f.primary_key])
    count = _max_parameters(db) // fields + 7 if db.vendor == "sqlite" else 1500
    rows = [
        {"connection_id": connection.pk, "kind": "invoice", "source_number": f"K-{n}"}
        for n in reversed(range(count))
    ]
    with transaction.atomic():
        ids = insert_rows(Document, rows, returning_ids=True)
    assert len(set(ids)) == count
    numbers = dict(Document.objects.values_list("pk", "source_number"))
    assert [numbers[pk] for pk in ids] == [row["source_number"] for row in rows]
    later = Document.objects.create(connection=connection, source_number="K-later")
    assert later.pk not in ids


def _prepared(connection, batch):
    """The batch as store_batch looks it up (prepared to store)."""
    from belegsync.sync.ingest import prepare

    return [prepare(item, connection.policy, timezone.localdate()) for item in batch]


def _lookup_work(connection, batch) -> int:
    """What the database does to look a batch's numbers up: SQLite's virtual machine steps
    (in tens), PostgreSQL's rows read from the table and its indexes."""
    from belegsync.sync.ingest import _known

    prepared = _prepared(connection, batch)

    def query() -> list:
        return _known(connection, prepared)

    if db.vendor == "sqlite":
        steps = [0]

        def count() -> int:
            steps[0] += 1
            return 0

        db.connection.set_progress_handler(count, 10)
        try:
            query()
        finally:
            db.connection.set_progress_handler(None, 10)
        return steps[0]
    read = (
        "SELECT coalesce(seq_tup_read, 0) + coalesce(idx_tup_fetch, 0) "
        "FROM pg_stat_xact_user_tables WHERE relname = 'documents_document'"
    )
    with db.cursor() as cursor:
        cursor.execute(read)
        before = cursor.fetchone()[0]
        query()
        cursor.execute(read)
        return cursor.fetchone()[0] - before


def test_the_batch_lookup_touches_the_batchs_rows_not_the_connections(connection):
    """GIVEN a connection with 200 stored documents, analysed as an import does after its
    first batch, and then with 3,000, not analysed again WHEN a batch of three numbers
    (two stored, one new) is looked up THEN the database does about the same work both
    times: it reads the batch's rows, not the connection's (the guard against an import
    that grows with the square of its size, without a timer), on statistics of a table
    fifteen times smaller."""
    batch = [sd("RE-3"), sd("RE-40"), sd("RE-new")]
    with transaction.atomic():
        store_all(connection, [sd(f"RE-{n}") for n in range(200)])
        if db.vendor == "postgresql":
            _analyse_documents()  # as an import does after its first batch
        small = _lookup_work(connection, batch)
        store_all(connection, [sd(f"RE-{n}") for n in range(200, 3000)])
        large = _lookup_work(connection, batch)
    if db.vendor == "postgresql":
        assert small <= 2 and large <= 2, (small, large)  # the two stored rows, by the index
    else:
        assert large <= small * 1.5 + 2, (small, large)


def test_a_batch_finds_its_stored_numbers_whatever_characters_they_hold(connection):
    """GIVEN stored invoices whose numbers hold quotes, commas, braces, a backslash, a
    space and an umlaut WHEN the same batch is stored again THEN every one is found
    (unchanged), none is created twice (the look-up hands PostgreSQL the numbers as one
    array, which has its own quoting)."""
    numbers = ['RE "1"', "RE,2", "{RE-3}", "RE\\4", "RE 5 ", "RÜ-6", "NULL", "'RE-7'"]
    batch = [sd(n) for n in numbers]
    assert store_all(connection, batch).created == len(numbers)
    again = store_all(connection, batch)
    assert (again.unchanged, again.created) == (len(numbers), 0)
    assert sorted(Document.objects.values_list("source_number", flat=True)) == sorted(numbers)


def test_rows_the_database_makes_from_ids_are_those_insert_rows_writes(connection):
    """GIVEN an import event's columns (a timestamp with microseconds, JSON with an umlaut,
    columns left to their defaults) WHEN one row is inserted by insert_rows and three by
    insert_for_each from their documents' ids THEN all four hold the same values, each
    its own document, in the order of the ids."""
    import datetime as dt

    from belegsync.documents.models import Event
    from belegsync.sync.ingest import AsStored, insert_for_each, insert_rows

    store_all(connection, [sd(f"RE-{n}") for n in range(4)])
    first, *others = Document.objects.order_by("pk").values_list("pk", flat=True)
    at = dt.datetime(2026, 3, 1, 12, 30, 15, 123456, tzinfo=dt.UTC)
    for detail in ({"import": 7, "Bär": ["ä", 1.5]}, AsStored('{"import": 7}')):
        Event.objects.all().delete()
        row = {"at": at, "actor": "import", "action": "import", "to_state": "waiting"}
        row |= {"message": "imported", "detail": detail}
        insert_rows(Event, [{**row, "document_id": first}])
        insert_for_each(Event, "document_id", list(reversed(others)), row)
        events = list(Event.objects.order_by("pk").values())
        assert [e.pop("document_id") for e in events] == [first, *reversed(others)]
        for event in events:
            del event["id"]
        assert events[1:] == [events[0]] * 3
        assert events[0]["at"] == at and events[0]["user_id"] is None
        assert events[0]["from_state"] == "" and events[0]["detail"] == (
            detail if isinstance(detail, dict) else {"import": 7}
        )


def test_a_batch_stores_what_storing_one_by_one_stores(connection, org):
    """GIVEN new documents of every outcome (waiting, failed, skipped, one with an
    umlaut) WHEN one connection stores them as one batch (columns built from the prepared
    forms, events made by the database) and another one by one through the ORM THEN every
    column of every document and of its import event is the same."""
    from belegsync.documents.models import Connection, Event
    from belegsync.sync.ingest import store_batch

    other = Connection.objects.create(
        organisation=org, name="one by one", source_kind="memory", target_kind="memory"
    )
    shop = Reason("skip.shop_not_selected", {"shop": "Etsy"})
    batch = [
        sd("RE-1"),
        sd("RE-2", total_gross=Decimal("45.00")),
        sd("RE-3", skip=shop),
        sd("RÜ-5", total_net=Decimal("0.10"), total_gross=Decimal("0.12")),
    ]
    with transaction.atomic():
        store_batch(connection, batch, actor="import")
    for item in batch:
        store(other, item, actor="import")

    def stored(conn) -> tuple[list, list]:
        skip = {"id", "connection", "created_at", "updated_at"}
        names = [f.attname for f in Document._meta.concrete_fields if f.name not in skip]
        documents = list(
            Document.objects.filter(connection=conn).order_by("source_number").values(*names)
        )
        events = list(
            Event.objects.filter(document__connection=conn)
            .order_by("document__source_number")
            .values_list(
                "document__source_number",
                "at",
                "actor",
                "user_id",
                "action",
                "from_state",
                "to_state",
                "message",
                "detail",
            )
        )
        created = dict(
            Document.objects.filter(connection=conn).values_list("source_number", "created_at")
        )
        assert all(event[1] == created[event[0]] for event in events)
        events = [event[:1] + event[2:] for event in events]
        return documents, events

    assert stored(connection) == stored(other)
    assert len(stored(connection)[1]) == len(batch)


@pytest.mark.skipif("db.vendor != 'postgresql'", reason="PostgreSQL's COPY text")
def test_documents_copied_from_their_prepared_text_hold_what_the_orm_stores(connection):
    """GIVEN a waiting invoice whose number and buyer hold a backslash, a tab, a newline,
    a carriage return, quotes and an umlaut, one that does not add up and one skipped
    WHEN each is stored once by the ORM (one by one) and once by a batch's COPY from its
    prepared text, made in the reading process (copy_text) or by the storing one
    THEN both rows hold the same value in every column (PostgreSQL reads the text as
    the ORM's values)."""
    from belegsync.bookkeeping import Party
    from belegsync.documents.models import Connection
    from belegsync.sync.ingest import prepare, store_batch

    odd = 'RE\\1\t"2"\n3\r-Ü'
    party = Party(name='Jürgen "\\t" \\N\tSchmidt', street="A\nB", zip_code="1", city="C")
    documents = [
        sd(odd, party=party),
        sd("RE-sum", total_gross=Decimal("45.00")),
        sd("RE-skip", skip=Reason("skip.shop_not_selected", {"shop": "Ét\\sy"})),
    ]
    twin = Connection.objects.create(
        organisation=connection.organisation,
        name="twin",
        source_kind="memory",
        target_kind="memory",
    )
    for document in documents:
        store(connection, document)
    policy, today = twin.policy, timezone.localdate()
    read_aside = [prepare(d, policy, today, keep_source=False, copy_text=True) for d in documents]
    assert all(p.copied for p in read_aside)
    store_batch(twin, read_aside[:2])
    store_batch(twin, [documents[2]])  # prepared by the storing process, without its text
    skip = {"id", "connection_id", "created_at", "updated_at"}
    names = [f.attname for f in Document._meta.concrete_fields if f.attname not in skip]

    def rows(owner):
        return sorted(Document.objects.filter(connection=owner).values_list(*names))

    assert rows(twin) == rows(connection)
    for created, updated in Document.objects.filter(connection=twin).values_list(
        "created_at", "updated_at"
    ):
        assert created == updated and abs(timezone.now() - created).total_seconds() < 60
    assert (
        Document.objects.filter(connection=twin, source_number=odd).get().voucher["party"]["name"]
        == party.name
    )


COPY_CASES = int(os.environ.get("BELEGSYNC_FUZZ_CASES", "8")) * 25
#: Text with the characters COPY escapes, and the template's braces, often.
COPY_TEXT = st.text(st.sampled_from(list('a1 {}\\\t\n\r"Ü')) | st.characters())


@hypothesis.settings(max_examples=COPY_CASES, deadline=None)
@hypothesis.given(
    number=COPY_TEXT.filter(bool),
    source_id=COPY_TEXT,
    meta=COPY_TEXT,
    date=st.none() | st.just("2026-11-02"),
    skipped=st.booleans(),
)
def test_a_documents_copy_text_from_the_template_is_that_made_value_by_value(
    number, source_id, meta, date, skipped
):
    """GIVEN a prepared document with any text in its number, source id and meta (tabs,
    newlines, backslashes, braces, NUL-free Unicode), with or without a date, skipped
    or not WHEN its COPY text is made THEN it is the text made value by value, the
    template's fast path and the escaping path alike."""
    from belegsync.sync.ingest import Prepared, _copy_text_by_column, copy_text_of

    prepared = Prepared(
        kind="invoice",
        number=number,
        source_id=source_id,
        voucher="{}",
        invoice_date=date,
        currency="EUR",
        total_net="1.00",
        total_gross="1.19",
        meta=meta,
        skip_details=[{"code": "skip.shop_not_selected"}] if skipped else None,
        state="skipped" if skipped else "waiting",
        outcome="created",
        failure=None,
        source=None,
    )
    assert copy_text_of(prepared) == _copy_text_by_column(prepared)
