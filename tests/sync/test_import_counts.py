"""An import's batches are counted at once (``documents.CountBatch``; SQLite's insert
triggers of the counts, day counts, gross per rate and number blocks skip their rows
while a batch is open): every kept table (those and the shops) still equals a recount
of the documents after every batch, and the pause never reaches any other write."""

from __future__ import annotations

import pytest
from django.db import connection as db
from django.db import transaction

from belegsync.connectors.base import SourceDocument
from belegsync.documents.models import Connection, CountBatch, Document
from belegsync.services import Actor
from belegsync.services import imports as services
from belegsync.sync import imports
from belegsync.sync.ingest import store_batch
from tests.conftest import make_voucher
from tests.documents import test_counts, test_day_counts, test_month_report_kept
from tests.exports import test_shops

pytestmark = pytest.mark.django_db


def assert_kept_equal_recounts() -> None:
    assert test_counts.kept() == test_counts.recount()
    assert test_day_counts.kept() == test_day_counts.recount()
    rates = test_month_report_kept
    assert rates.rate_rows_kept() == rates.rate_rows_recounted()
    assert rates.number_blocks_kept() == rates.number_blocks_recounted()
    assert test_shops.kept() == test_shops.recount()


@pytest.mark.parametrize("way", ["here", "aside"])
def test_an_import_keeps_every_kept_table_equal_to_a_recount(org, tmp_path, monkeypatch, way):
    """GIVEN a Rechnungsliste of invoices and credit notes over several days, and a
    connection that has documents already WHEN it is imported in batches of 7 (read in
    this process or in a second one), and again (nothing new) THEN after every batch
    each kept table equals its recount, and no count batch is left open."""
    from tests.sources.afterbuy.generator import generate

    path = tmp_path / "list.csv"
    generate(path, 80, seed=5, per_day=9)
    monkeypatch.setattr(imports, "BATCH", 7)
    monkeypatch.setattr(imports, "READ_ASIDE_FROM", 0 if way == "aside" else 10**12)
    connection = Connection.objects.create(
        organisation=org, name="list", source_kind="afterbuy_csv", target_kind="memory"
    )
    store_batch(connection, [SourceDocument(make_voucher("RE-1"), source_id="1")])
    batches = {"n": 0}
    real = imports.store_batch

    def checked(*args, **kwargs):
        stored = real(*args, **kwargs)
        batches["n"] += 1
        assert not CountBatch.objects.exists()
        assert_kept_equal_recounts()
        return stored

    monkeypatch.setattr(imports, "store_batch", checked)
    job = services.import_now(
        Actor.system("cli"), services.start_import_from_path(Actor.system("cli"), connection, path)
    )
    assert job.count("created") > 70 and batches["n"] >= 12
    services.import_now(
        Actor.system("cli"), services.start_import_from_path(Actor.system("cli"), connection, path)
    )
    assert_kept_equal_recounts()
    assert Document.objects.filter(connection=connection).count() == job.count("created") + 1


def test_the_triggers_count_every_other_write_in_the_same_transaction(connection):
    """GIVEN a batch stored in an open transaction WHEN a document is then written, moved
    and deleted by the ORM in that transaction THEN the triggers count each change (the
    batch paused them for its own insert only)."""
    with transaction.atomic():
        store_batch(
            connection,
            [SourceDocument(make_voucher(f"RE-{n}"), source_id=str(n)) for n in range(5)],
        )
        assert not CountBatch.objects.exists()
        voucher = make_voucher("RE-99")
        from tests.exports.helpers import store

        written = store(connection, voucher)
        assert_kept_equal_recounts()
        Document.objects.filter(pk=written.pk).update(state="skipped")
        assert_kept_equal_recounts()
        written.delete()
        assert_kept_equal_recounts()


def test_a_batch_that_rolls_back_leaves_no_batch_open_and_no_counts(connection):
    """GIVEN a batch whose transaction rolls back WHEN the kept tables are read THEN they
    count nothing of it, and no count batch is open."""
    with transaction.atomic():
        store_batch(
            connection,
            [SourceDocument(make_voucher(f"RE-{n}"), source_id=str(n)) for n in range(5)],
        )
        transaction.set_rollback(True)
    assert not CountBatch.objects.exists()
    assert not Document.objects.exists()
    assert_kept_equal_recounts()
    assert test_counts.kept() == {}


@pytest.mark.skipif(db.vendor != "sqlite", reason="SQLite's row triggers only")
def test_an_open_batch_pauses_the_insert_triggers_only_in_its_transaction(connection):
    """GIVEN an open count batch WHEN a document is inserted THEN its counts wait for the
    batch's range; written into the batch row, they are there."""
    with transaction.atomic(), db.cursor() as cursor:
        cursor.execute("INSERT INTO documents_countbatch (first_id, last_id) VALUES (NULL, NULL)")
        from tests.exports.helpers import store

        written = store(connection, make_voucher("RE-7", shop="ebay"))
        assert test_counts.kept() == {} and test_day_counts.kept() == {}
        assert test_shops.kept() == {}  # documents/0028: the shops wait for the batch too
        cursor.execute(
            "UPDATE documents_countbatch SET first_id = %s, last_id = %s", [written.pk, written.pk]
        )
        cursor.execute("DELETE FROM documents_countbatch")
        assert test_counts.kept() == {(connection.pk, "waiting", ""): 1}
        assert test_shops.kept() == {(connection.pk, "ebay"): 1}
        assert_kept_equal_recounts()
