"""A sevDesk target's own settings (``Connection.settings["target"]``).

Payment reconciliation, customers, the voucher date and the payment accounts
are the engine's policy, shared with the source's set-up pages.
"""

from __future__ import annotations

from pydantic import Field

from belegsync.connectors.settings import AdapterSettings


class SevdeskSettings(AdapterSettings):
    #: Revenue accounts other than the defaults (``mapping.AccountPlan`` field → accountDatev).
    sevdesk_accounts: dict[str, int] = Field(default_factory=dict)
