"""Migration exports/0005: the shops are counted from the documents already there, kept
from then on by the triggers, and gone again (with their triggers) backwards."""

from __future__ import annotations

import pytest

from tests.migrating import back_to_the_newest, before, migrate  # noqa: F401 (fixture)

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.usefixtures("back_to_the_newest"),
]

MIGRATION = ("exports", "0005_document_shops")


def test_existing_documents_shops_are_counted_and_the_counts_go_back():
    old = migrate([before(MIGRATION)], others_at_newest=True)
    Document = old.get_model("documents", "Document")
    org = old.get_model("documents", "Organisation").objects.create(name="a", slug="a")
    connection = old.get_model("documents", "Connection").objects.create(
        organisation=org, name="c", source_kind="memory", target_kind="memory"
    )
    for number, shop in [("RE-1", "ebay"), ("RE-2", "ebay"), ("RE-3", "Amazon"), ("RE-4", "")]:
        Document.objects.create(connection=connection, source_number=number, voucher={"shop": shop})
    Document.objects.create(connection=connection, source_number="RE-5", voucher={})

    new = migrate([MIGRATION], others_at_newest=True)
    shops = new.get_model("exports", "DocumentShop").objects
    assert {r.shop: r.n for r in shops.all()} == {"ebay": 2, "Amazon": 1}
    NewDocument = new.get_model("documents", "Document")
    NewDocument.objects.create(
        connection_id=connection.pk, source_number="RE-6", voucher={"shop": "Amazon"}
    )
    assert shops.get(shop="Amazon").n == 2

    old = migrate([before(MIGRATION)], others_at_newest=True)
    assert "documentshop" not in {m._meta.model_name for m in old.get_models()}
    Document = old.get_model("documents", "Document")
    Document.objects.create(
        connection_id=connection.pk, source_number="RE-7", voucher={"shop": "x"}
    )
