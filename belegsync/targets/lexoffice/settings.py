"""A lexoffice target's own settings (``Connection.settings["target"]``)."""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from belegsync.connectors.settings import AdapterSettings


class LexofficeSettings(AdapterSettings):
    #: "current" (api.lexware.io), "old" (api.lexoffice.io) or, for tests and the demo,
    #: the address of a double.
    lexoffice_base_url: str = "current"
    #: "auto": as the merchant's lexoffice profile says.
    lexoffice_distance_sales_principle: Literal["auto", "DESTINATION", "ORIGIN"] = "auto"
    #: Line category or tax treatment → lexoffice posting category id.
    lexoffice_category_overrides: dict[str, str] = Field(default_factory=dict)
    #: How long a read voucher list is trusted before it is read again.
    lexoffice_snapshot_seconds: float = Field(default=60.0, ge=0)
