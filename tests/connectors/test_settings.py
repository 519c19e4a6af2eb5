"""The engine's policy: typed, read by name, the same whichever form wrote it."""

from __future__ import annotations

import datetime as dt

import pytest
from pydantic import ValidationError

from belegsync.connectors.settings import DocumentDate, PaymentAccounts, Policy


def test_an_empty_connection_has_the_engines_defaults():
    policy = Policy.from_flat({})
    assert policy == Policy()
    assert policy.mark_paid is False and policy.transfer_pdf is True
    assert policy.start_date is None and policy.document_date is DocumentDate.INVOICE
    assert policy.payment_accounts.account_for("PayPal") is None


def test_billbee_three_steps_shape_reads_as_policy():
    """GIVEN the settings Billbee's three set-up steps store
    THEN the policy carries their choices, the start date as a date."""
    flat = {
        "start_date": "2026-01-01",
        "shop_ids": ["1"],
        "state_ids": ["3", "4"],
        "state_rule": "current",
        "export_tag": "belegsync",
        "mark_paid": True,
        "create_customers": True,
        "book_unassigned_as_default": False,
        "document_date": "payment",
        "payment_accounts": {"PayPal": "17", "Kreditkarte": ""},
        "payment_accounts_required": True,
    }
    policy = Policy.from_flat(flat)
    assert policy.start_date == dt.date(2026, 1, 1)
    assert policy.mark_paid and policy.customer_per_buyer
    assert policy.document_date is DocumentDate.PAYMENT
    # an empty mapping field is "not mapped", not an account called ""
    assert policy.payment_accounts.by_method == {"PayPal": "17"}
    assert policy.payment_accounts.account_for("Kreditkarte") is None


def test_sevdesk_form_shape_reads_as_policy():
    flat = {
        "payment_reconciliation": "sevdesk",
        "mark_paid": False,
        "create_customers": False,
        "book_unassigned_as_default": True,
        "default_payment_account": "",
        "document_date": "order",
        "payment_accounts": {"paypal": "42"},
    }
    policy = Policy.from_flat(flat)
    assert not policy.mark_paid and policy.document_date is DocumentDate.ORDER
    assert policy.payment_accounts.account_for("paypal") == "42"
    # unassigned methods go to the target's own default account ("")
    assert policy.payment_accounts.account_for("invoice") == ""


def test_the_engines_switch_decides_not_the_forms_wording():
    """Billbee's steps write mark_paid alone; a stale sevDesk choice must not overrule it."""
    assert Policy.from_flat({"payment_reconciliation": "sevdesk", "mark_paid": True}).mark_paid
    assert not Policy.from_flat({"payment_reconciliation": "source"}).mark_paid


def test_lexoffice_form_shape_and_a_pdf_switched_off():
    flat = {"lexoffice_base_url": "current", "create_customers": True, "transfer_pdf": False}
    policy = Policy.from_flat(flat)
    assert policy.customer_per_buyer and not policy.transfer_pdf


def test_the_default_account_is_used_only_for_unassigned_methods():
    accounts = PaymentAccounts(
        by_method={"PayPal": "1"}, unassigned_to_default=True, default_account="9"
    )
    assert accounts.account_for("PayPal") == "1"
    assert accounts.account_for("Rechnung") == "9"


def test_a_policy_refuses_unknown_fields_and_bad_values():
    with pytest.raises(ValidationError):
        Policy(mark_payd=True)  # type: ignore[call-arg]
    with pytest.raises(ValidationError):
        Policy.from_flat({"document_date": "delivery"})
    with pytest.raises(ValidationError):
        Policy.from_flat({"start_date": "1.1.2026"})
    with pytest.raises(ValidationError):
        Policy(future_days=-1)


def test_small_business_and_future_days_default_to_a_regular_business_and_three_days():
    assert Policy().small_business is False and Policy().future_days == 3
    policy = Policy.from_flat({"small_business": True, "future_days": 0})
    assert policy.small_business and policy.future_days == 0


def test_a_policy_is_a_value():
    policy = Policy(mark_paid=True)
    with pytest.raises(ValidationError):
        policy.mark_paid = False  # type: ignore[misc]
    assert Policy.model_validate(policy.model_dump(mode="json")) == policy
