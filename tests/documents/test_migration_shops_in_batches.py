"""Migration documents/0028 (SQLite): a count batch counts the documents' shops at once,
as it counts this app's kept tables; backwards the shops' row trigger counts each new
document again, batch or not."""

from __future__ import annotations

import pytest
from django.db import connection as db

from tests.migrating import back_to_the_newest, before, migrate  # noqa: F401 (fixture)

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.usefixtures("back_to_the_newest"),
    pytest.mark.skipif(
        "db.vendor != 'sqlite'", reason="PostgreSQL's shop trigger is a statement trigger"
    ),
]

MIGRATION = ("documents", "0028_shops_in_count_batches")


def _insert_in_a_batch(apps, slug: str) -> tuple[dict[str, int], dict[str, int]]:
    """Documents of three shops (one unnamed) inserted in an open count batch: the shops
    counted before the batch's range is written, and after."""
    org = apps.get_model("documents", "Organisation").objects.create(name=slug, slug=slug)
    connection = apps.get_model("documents", "Connection").objects.create(
        organisation=org, name="c", source_kind="memory", target_kind="memory"
    )
    shops = apps.get_model("exports", "DocumentShop").objects.filter(connection=connection)
    Document = apps.get_model("documents", "Document")
    with db.cursor() as cursor:
        cursor.execute("INSERT INTO documents_countbatch (first_id, last_id) VALUES (NULL, NULL)")
        documents = [
            Document.objects.create(
                connection=connection, source_number=f"RE-{n}", voucher={"shop": shop}
            )
            for n, shop in enumerate(["ebay", "ebay", "Amazon", ""])
        ]
        during = {s.shop: s.n for s in shops.all()}
        cursor.execute(
            "UPDATE documents_countbatch SET first_id = %s, last_id = %s",
            [documents[0].pk, documents[-1].pk],
        )
        cursor.execute("DELETE FROM documents_countbatch")
    return during, {s.shop: s.n for s in shops.all()}


def test_a_batch_counts_its_shops_at_once_and_backwards_each_document_counts_itself():
    new = migrate([MIGRATION], others_at_newest=True)
    assert _insert_in_a_batch(new, "after") == ({}, {"ebay": 2, "Amazon": 1})

    old = migrate([before(MIGRATION)], others_at_newest=True)
    during, after = _insert_in_a_batch(old, "before")
    assert during == after == {"ebay": 2, "Amazon": 1}
