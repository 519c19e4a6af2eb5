"""Rows written before reasons were codes are read back into codes by migration 0002."""

from __future__ import annotations

import pytest

from tests.migrating import back_to_the_newest
from tests.migrating import migrate as _migrate

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.usefixtures(back_to_the_newest.__name__),
]

BEFORE = [("documents", "0001_initial")]
AFTER = [("documents", "0003_drop_reason_texts")]
VOUCHER = {
    "kind": "invoice",
    "number": "RE-1",
    "invoice_date": "2026-11-02",
    "currency": "EUR",
    "party": {"name": "Erika", "country": "DE"},
    "lines": [
        {
            "description": "T-Shirt",
            "quantity": "1",
            "net": "33.61",
            "gross": "40.00",
            "tax_rate": "19",
            "category": "goods",
        }
    ],
    "total_net": "33.61",
    "total_gross": "45.00",
}


def test_old_texts_become_codes_with_their_parameters():
    """GIVEN documents, events and a pause with the English texts belegsync wrote
    WHEN the migrations run
    THEN each text is its code and parameters; an unknown text is kept as legacy."""
    old = _migrate(BEFORE)
    organisation = old.get_model("documents", "Organisation").objects.create(name="o", slug="o")
    link = old.get_model("documents", "Connection").objects.create(
        organisation=organisation,
        name="c",
        source_kind="billbee",
        target_kind="lexoffice",
        paused_reason="lexoffice did not accept the API key.",
    )
    Document = old.get_model("documents", "Document")
    invalid = Document.objects.create(
        connection=link,
        source_number="RE-1",
        state="failed",
        voucher=VOUCHER,
        failure_reason="validation",
        failure_message="The voucher does not add up: total_gross: The gross total …",
    )
    skipped = Document.objects.create(
        connection=link,
        source_number="RE-2",
        state="skipped",
        voucher=VOUCHER,
        skip_reason="Ordered on 02.11.2026, before the start date 01.12.2026. "
        "The order is in state Zahlung erhalten; only Versendet, Abgeschlossen are transferred.",
    )
    odd = Document.objects.create(
        connection=link,
        source_number="RE-3",
        state="failed",
        voucher=VOUCHER,
        failure_reason="rejected",
        failure_message="lexoffice rejected voucher RE-3: odd",
    )
    old.get_model("documents", "Event").objects.create(
        document=skipped,
        actor="vm:1",
        action="skip",
        to_state="skipped",
        message=skipped.skip_reason,
    )

    new = _migrate(AFTER)
    Document = new.get_model("documents", "Document")
    assert Document.objects.get(pk=invalid.pk).failure_details == [
        {
            "code": "total_mismatch",
            "field": "total_gross",
            "params": {"total": "45.00", "lines_total": "40.00"},
        }
    ]
    assert Document.objects.get(pk=skipped.pk).skip_details == [
        {
            "code": "skip.before_start_date",
            "params": {"order_date": "2026-11-02", "start_date": "2026-12-01"},
        },
        {
            "code": "billbee.state_not_selected",
            "params": {"order_state": 3, "order_states": ["4", "7"]},
        },
    ]
    assert Document.objects.get(pk=odd.pk).failure_details == [
        {"code": "legacy", "params": {"text": "lexoffice rejected voucher RE-3: odd"}}
    ]
    event = new.get_model("documents", "Event").objects.get(document_id=skipped.pk)
    assert [r["code"] for r in event.detail["reasons"]] == [
        "skip.before_start_date",
        "billbee.state_not_selected",
    ]
    pause = new.get_model("documents", "Connection").objects.get(pk=link.pk).pause_details
    assert pause == [
        {"code": "legacy", "params": {"text": "lexoffice did not accept the API key."}}
    ]
