"""A Billbee source's own settings (``Connection.settings["source"]``).

The choices it shares with the target (start date, payment reconciliation,
customers, voucher date, payment accounts) are the engine's policy, not these.
"""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from belegsync.connectors.settings import AdapterSettings

#: Paid, shipped, completed: states an order stays in for long or for good.
DEFAULT_STATES = ("3", "4", "7")
DEFAULT_TAG = "belegsync"


class BillbeeSettings(AdapterSettings):
    #: Billbee shop ids whose orders are transferred; empty: all shops.
    shop_ids: list[str] = Field(default_factory=list)
    #: Order states (Billbee's ids, as text) that qualify an order.
    state_ids: list[str] = Field(default_factory=lambda: list(DEFAULT_STATES))
    #: "current": the order is in a state when transferred; "ever": it has been in one.
    state_rule: Literal["current", "ever"] = "current"
    #: Set on the order in Billbee once its voucher is in the bookkeeping.
    export_tag: str = Field(default=DEFAULT_TAG, min_length=1, max_length=50)
    #: The target offers a list of accounts (step 3): every payment method needs one.
    payment_accounts_required: bool = False
