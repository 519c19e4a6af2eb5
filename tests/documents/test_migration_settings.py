"""Migration 0005 carries every shape of today's flat settings into their namespaces."""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import connection as db
from django.db.migrations.executor import MigrationExecutor

from belegsync.connectors.settings import DocumentDate
from belegsync.documents.models import Connection as Current

pytestmark = pytest.mark.django_db(transaction=True)

BEFORE = [("documents", "0004_connection_setup")]
AFTER = [("documents", "0005_namespaced_settings")]

#: (source, target, the flat settings as the forms of before stored them)
SHAPES = {
    "billbee_three_steps_to_sevdesk": (
        "billbee",
        "sevdesk",
        {
            "start_date": "2026-01-01",
            "shop_ids": ["1"],
            "state_ids": ["3", "4"],
            "state_rule": "ever",
            "export_tag": "belegsync",
            "billbee_base_url": "",
            "mark_paid": True,
            "create_customers": True,
            "book_unassigned_as_default": False,
            "document_date": "payment",
            "payment_accounts": {"PayPal": "17", "Kreditkarte": ""},
            "payment_accounts_required": True,
            # sevDesk's form, saved on the same connection
            "payment_reconciliation": "sevdesk",
            "default_payment_account": "",
        },
    ),
    "billbee_generic_form_to_lexoffice": (
        "billbee",
        "lexoffice",
        {
            "start_date": None,
            "state_ids": ["4"],
            "state_rule": "current",
            "export_tag": "bb",
            "mark_paid": False,
            "create_customers": False,
            "document_date": "invoice",
            "lexoffice_base_url": "current",
            "lexoffice_distance_sales_principle": "DESTINATION",
            "lexoffice_category_overrides": {"goods": "8f8664a1-fd86-11e1-a21f-0800200c9a66"},
        },
    ),
    "rechnungsliste_to_lexoffice": (
        "afterbuy_csv",
        "lexoffice",
        {"csv_mapping": {"total_gross": "Summe"}, "afterbuy_web_url": "", "transfer_pdf": False},
    ),
    "afterbuy_api_to_sevdesk": (
        "afterbuy_api",
        "sevdesk",
        {
            "start_date": "2024-01-01",
            "afterbuy_documents": ["invoice"],
            "afterbuy_export_tag": "",
            "afterbuy_api_url": "",
            "afterbuy_web_url": "",
            "payment_reconciliation": "source",
            "mark_paid": True,
            "book_unassigned_as_default": True,
            "sevdesk_accounts": {"revenue_19": "8400"},
        },
    ),
    "paced_memory_to_lexoffice": (
        "memory",
        "lexoffice",
        {"lexoffice_base_url": "http://127.0.0.1:1", "target_rate_per_second": 40},
    ),
    "memory_with_a_key_nobody_knows": ("memory", "memory", {"mark_paid": True, "colour": "red"}),
    "empty": ("memory", "memory", {}),
}


def _migrate(targets):
    executor = MigrationExecutor(db)
    executor.loader.build_graph()
    executor.migrate(targets)
    return executor.loader.project_state(targets).apps


def _create(apps, shapes):
    org = apps.get_model("documents", "Organisation").objects.create(name="A", slug="a")
    Connection = apps.get_model("documents", "Connection")
    return {
        name: Connection.objects.create(
            organisation=org, name=name, source_kind=s, target_kind=t, settings=flat
        ).pk
        for name, (s, t, flat) in shapes.items()
    }


def test_every_shape_moves_to_its_owner_and_back():
    """GIVEN a copy of each shape of flat settings that exists
    WHEN migration 0005 runs
    THEN each key is in its owner's namespace, read by the current models as the
    engine read it before; migrating back gives the flat dict again."""
    pks = _create(_migrate(BEFORE), SHAPES)
    _migrate(AFTER)
    # read by today's model, but only the columns 0005 knows (later migrations add more)
    read = Current.objects.only("source_kind", "target_kind", "settings")
    moved = {name: read.get(pk=pk) for name, pk in pks.items()}

    billbee = moved["billbee_three_steps_to_sevdesk"]
    policy = billbee.policy
    assert policy.start_date == dt.date(2026, 1, 1) and policy.mark_paid
    assert policy.customer_per_buyer and policy.document_date is DocumentDate.PAYMENT
    assert policy.payment_accounts.by_method == {"PayPal": "17"}  # "" was "not mapped"
    source = billbee.settings_of("source")
    assert source.shop_ids == ["1"] and source.state_rule == "ever"
    assert source.payment_accounts_required
    assert set(billbee.settings) == {"policy", "source"}  # nothing of Billbee's at sevDesk

    lexoffice = moved["billbee_generic_form_to_lexoffice"]
    assert lexoffice.policy.start_date is None and not lexoffice.policy.mark_paid
    assert lexoffice.settings_of("target").lexoffice_distance_sales_principle == "DESTINATION"
    assert lexoffice.settings_of("source").export_tag == "bb"

    csv = moved["rechnungsliste_to_lexoffice"]
    assert csv.settings_of("source").csv_mapping == {"total_gross": "Summe"}
    assert csv.policy.transfer_pdf is False

    api = moved["afterbuy_api_to_sevdesk"]
    assert api.settings_of("source").afterbuy_documents == ["invoice"]
    assert api.policy.mark_paid and api.policy.payment_accounts.unassigned_to_default
    assert api.settings_of("target").sevdesk_accounts == {"revenue_19": 8400}

    paced = moved["paced_memory_to_lexoffice"]
    assert paced.settings_of("target").rate_per_second == 40
    assert paced.settings_of("target").lexoffice_base_url == "http://127.0.0.1:1"

    unknown = moved["memory_with_a_key_nobody_knows"]
    assert unknown.policy.mark_paid and unknown.settings["legacy"] == {"colour": "red"}
    assert moved["empty"].settings == {}

    back = _migrate(BEFORE).get_model("documents", "Connection")
    for name, pk in pks.items():
        flat = dict(SHAPES[name][2])
        flat.pop("payment_reconciliation", None)  # only ever repeated mark_paid
        restored = back.objects.get(pk=pk).settings
        if name == "billbee_three_steps_to_sevdesk":
            flat["payment_accounts"] = {"PayPal": "17"}
        assert restored == flat, name
    latest = MigrationExecutor(db).loader.graph.leaf_nodes()
    _migrate(latest)  # the test database's own state again
