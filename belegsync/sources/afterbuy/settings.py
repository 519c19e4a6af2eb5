"""The Afterbuy sources' own settings (``Connection.settings["source"]``).

The start date is the engine's policy, not these.
"""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from belegsync.connectors.settings import AdapterSettings

#: Afterbuy's common payment methods, as its ``PaymentMethod`` / Zahlart texts name them:
#: offered on the payment-account mapping before a document showed them (both sources).
AFTERBUY_PAYMENT_METHODS = (
    "PayPal",
    "Überweisung",
    "Vorkasse",
    "Rechnung",
    "Kreditkarte",
    "Lastschrift",
    "Nachnahme",
    "Barzahlung",
)


class RechnungslisteSettings(AdapterSettings):
    """What both Afterbuy sources need for uploaded Rechnungslisten and their PDFs."""

    #: The merchant's assignment of columns belegsync did not recognise: key → header.
    csv_mapping: dict[str, str] = Field(default_factory=dict)


class AfterbuyApiSettings(RechnungslisteSettings):
    afterbuy_documents: list[Literal["invoice", "credit_note"]] = Field(
        default_factory=lambda: ["invoice", "credit_note"]
    )
    #: Set on the order in Afterbuy once it is in the bookkeeping; empty: none.
    afterbuy_export_tag: str = Field(default="", max_length=50)
