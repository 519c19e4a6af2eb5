"""The export page's shop choice reads the shops the database keeps per connection
(``exports.DocumentShop``, kept by triggers like the dashboard's counts) instead of a
DISTINCT over every voucher: after every change of a document the kept shops equal a
recount, and the page reads no document for them."""

from __future__ import annotations

import pytest
from django.db import connection as db
from django.test.utils import CaptureQueriesContext
from hypothesis import given
from hypothesis import strategies as st

from belegsync.documents.models import Connection, Document
from belegsync.documents.states import MOVES
from belegsync.exports.models import DocumentShop
from tests.conftest import make_voucher
from tests.documents import changes

from .helpers import store

pytestmark = pytest.mark.django_db

MISSING = object()
#: What a voucher's shop may be: names, nothing, and values no source writes.
SHOPS = ["ebay", "ebay", "Amazon", "Gutschrift", "", None, 5, MISSING]


def recount() -> dict[tuple[int, str], int]:
    kept: dict[tuple[int, str], int] = {}
    for d in Document.objects.all():
        shop = d.voucher.get("shop") if isinstance(d.voucher, dict) else None
        if shop not in (None, ""):
            key = (d.connection_id, str(shop))
            kept[key] = kept.get(key, 0) + 1
    return kept


def kept() -> dict[tuple[int, str], int]:
    assert not DocumentShop.objects.filter(n__lt=0).exists()
    return {(r.connection_id, r.shop): r.n for r in DocumentShop.objects.all() if r.n}


def voucher(shop: object) -> dict[str, object]:
    return {"number": "X"} if shop is MISSING else {"number": "X", "shop": shop}


operation = st.one_of(
    st.tuples(st.just("import"), st.integers(1, 30), st.sampled_from(["ebay", "Amazon", ""])),
    st.tuples(st.just("create"), st.sampled_from(SHOPS)),
    st.tuples(st.just("move"), st.integers(0, 10_000), st.sampled_from(sorted(MOVES))),
    st.tuples(st.just("bulk"), st.integers(0, 10_000), st.sampled_from(["voucher", "state"])),
    st.tuples(st.just("rehome"), st.integers(0, 10_000)),
    changes.DELETE,
)


def apply(op: tuple, connection: Connection, serial: int) -> None:
    kind, *args = op
    if kind == "import":
        number, shop = args
        store(connection, make_voucher(f"RE-{number}-{serial}", shop=shop))
    elif kind == "create":
        Document.objects.create(
            connection=connection, source_number=f"X-{serial}", voucher=voucher(args[0])
        )
    elif kind == "move":
        changes.move(*args)
    elif kind == "bulk":
        index, column = args
        value = voucher(SHOPS[index % len(SHOPS)]) if column == "voucher" else "skipped"
        changes.bulk_update(index, column, value)
    elif kind == "rehome":  # the document moves to the other connection
        changes.bulk_update(args[0], "connection", connection)
    else:
        changes.delete(args[0])


@changes.FUZZ
@given(operations=st.lists(operation, min_size=5, max_size=25))
def test_the_kept_shops_equal_a_recount_after_every_change(connection, org, operations):
    """GIVEN two connections WHEN documents naming shops (or none, or a number) are
    imported, written, moved, updated in bulk, moved to the other connection and deleted
    THEN after every change the kept shops and their counts equal a recount."""

    def check(step, op, connections):
        assert kept() == recount(), f"after step {step} {op}"

    changes.after_every_change(org, connection, operations, apply, check)


def test_the_page_offers_the_organisations_shops_without_reading_a_document(
    client, alice, connection, other_org
):
    """GIVEN 300 documents of three shops, and another organisation's shop
    WHEN alice opens the export page THEN its choice offers her three shops, sorted,
    read from three kept rows: no query over the documents names the shop."""
    for i in range(300):
        store(connection, make_voucher(f"RE-{i}", shop=["ebay", "Amazon", "Kasse"][i % 3]))
    store(connection, make_voucher("GS-1", shop="Gutschrift"))  # an old CSV import's
    theirs = Connection.objects.create(organisation=other_org, name="theirs", source_kind="memory")
    store(theirs, make_voucher("RE-1", shop="Bobs Laden"))
    client.force_login(alice)
    with CaptureQueriesContext(db) as queries:
        response = client.get("/exports/")
    assert response.context["shops"] == ["Amazon", "Kasse", "ebay"]
    assert DocumentShop.objects.filter(connection=connection).count() == 4
    over_documents = [
        q["sql"] for q in queries.captured_queries if "documents_document" in q["sql"]
    ]
    assert over_documents and not [sql for sql in over_documents if "shop" in sql.lower()]
