"""The engine's policy and the adapters' own settings: typed, read by name, changed by name."""

from __future__ import annotations

import datetime as dt

import pytest
from pydantic import ValidationError

from belegsync.connectors.settings import (
    AdapterSettings,
    DocumentDate,
    NoSettings,
    PaymentAccounts,
    Policy,
    merged,
    read,
    settings_model,
)
from belegsync.sources.billbee.settings import BillbeeSettings


def test_an_empty_connection_has_the_engines_defaults():
    policy = read(Policy, None)
    assert policy == Policy()
    assert policy.mark_paid is False and policy.transfer_pdf is True
    assert policy.start_date is None and policy.document_date is DocumentDate.INVOICE
    assert policy.payment_accounts.account_for("PayPal") is None


def test_stored_values_read_as_types():
    policy = read(Policy, {"start_date": "2026-01-01", "document_date": "payment"})
    assert policy.start_date == dt.date(2026, 1, 1)
    assert policy.document_date is DocumentDate.PAYMENT


def test_a_field_no_model_knows_any_more_does_not_stop_reading():
    assert read(BillbeeSettings, {"export_tag": "bs", "removed_long_ago": 1}).export_tag == "bs"


def test_a_change_names_only_its_fields():
    """GIVEN a policy with a payment-account mapping (Billbee's step 3)
    WHEN the payment step saves its choices
    THEN the mapping is still there: nested models change only the fields named."""
    policy = Policy(mark_paid=True, payment_accounts=PaymentAccounts(by_method={"PayPal": "17"}))
    changed = merged(
        policy,
        {"document_date": "order", "payment_accounts": {"unassigned_to_default": True}},
    )
    assert changed.document_date is DocumentDate.ORDER and changed.mark_paid
    assert changed.payment_accounts.by_method == {"PayPal": "17"}
    assert changed.payment_accounts.unassigned_to_default
    # a mapping given whole replaces the old one: a method can be unmapped
    unmapped = merged(changed, {"payment_accounts": {"by_method": {}}})
    assert unmapped.payment_accounts.by_method == {}


def test_a_change_refuses_unknown_fields_and_bad_values():
    with pytest.raises(ValidationError):
        merged(Policy(), {"mark_payd": True})
    with pytest.raises(ValidationError):
        merged(Policy(), {"document_date": "delivery"})
    with pytest.raises(ValidationError):
        merged(Policy(), {"start_date": "1.1.2026"})
    with pytest.raises(ValidationError):
        merged(BillbeeSettings(), {"state_rule": "sometimes"})
    with pytest.raises(ValidationError):
        merged(NoSettings(), {"rate_per_second": 0})


def test_every_adapter_has_a_model_and_rate_is_the_engines():
    class Bare:
        pass

    class Own:
        settings_model = BillbeeSettings

    assert settings_model(Bare) is NoSettings and settings_model(Own) is BillbeeSettings
    assert issubclass(BillbeeSettings, AdapterSettings)
    assert BillbeeSettings(rate_per_second=0.5).rate_per_second == 0.5


def test_the_default_account_is_used_only_for_unassigned_methods():
    accounts = PaymentAccounts(
        by_method={"PayPal": "1"}, unassigned_to_default=True, default_account="9"
    )
    assert accounts.account_for("PayPal") == "1"
    assert accounts.account_for("Rechnung") == "9"


def test_small_business_and_future_days_default_to_a_regular_business_and_three_days():
    assert Policy().small_business is False and Policy().future_days == 3
    with pytest.raises(ValidationError):
        Policy(future_days=-1)


def test_a_policy_is_a_value():
    policy = Policy(mark_paid=True)
    with pytest.raises(ValidationError):
        policy.mark_paid = False  # type: ignore[misc]
    assert Policy.model_validate(policy.model_dump(mode="json")) == policy
