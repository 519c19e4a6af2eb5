"""What the API sends and takes. Field names and meanings are part of the stable interface.

Amounts are decimal strings ("44.95"), never floats; a credit note's amounts
are negative, as the bookkeeping shows them. Texts (``message``, ``text``)
are in the request's language; codes beside them are stable.
"""

from __future__ import annotations

import datetime as dt

from ninja import Field, Schema

from belegsync.documents.states import State
from belegsync.services.documents import Action

MAX_PAGE = 200


class ReasonOut(Schema):
    code: str = Field(description="Stable code of the reason (see docs/api.md).")
    params: dict[str, object] = Field(default_factory=dict)
    field: str = Field("", description="The voucher field it concerns, e.g. lines[2].gross.")
    text: str = Field(description="The reason in the request's language.")


class FailureOut(Schema):
    category: str = Field(description="validation, rejected, auth, permission, config, …")
    title: str
    message: str
    reasons: list[ReasonOut]


class ConnectionRef(Schema):
    id: int
    name: str


class DocumentOut(Schema):
    id: int
    number: str
    kind: str = Field(description="invoice or credit_note")
    state: str = Field(description="waiting, processing, done, failed, manual or skipped")
    invoice_date: dt.date | None
    currency: str
    total_net: str
    total_gross: str
    connection: ConnectionRef
    remote_id: str
    remote_url: str
    failure_category: str = Field(description="The failure's category; empty unless failed.")
    created_at: dt.datetime
    updated_at: dt.datetime


class DocumentFilters(Schema):
    """The web lists' filters; each is optional."""

    state: State | None = None
    number: str = Field("", description="Part of the document number.")
    date_from: dt.date | None = Field(None, alias="from", description="Invoice date from.")
    date_to: dt.date | None = Field(None, alias="to", description="Invoice date up to.")
    connection: int | None = Field(None, description="Only this connection's documents.")
    after: int | None = Field(None, description="The `next_after` of the page before.")
    limit: int = Field(50, ge=1, le=MAX_PAGE)


class DocumentPage(Schema):
    items: list[DocumentOut]
    next_after: int | None = Field(
        description="Pass as `after` for the next page; null on the last page."
    )


class TaxGroupOut(Schema):
    rate: str
    net: str
    gross: str
    lines: int


class HistoryEntryOut(Schema):
    at: dt.datetime
    who: str
    action: str
    from_state: str
    to_state: str
    text: str
    reasons: list[str]


class DocumentDetailOut(DocumentOut):
    source_id: str
    attempts: int
    retry_at: dt.datetime | None
    failure: FailureOut | None
    skip_reasons: list[ReasonOut]
    raw_error: str = Field(description="The remote system's answer as it came, for support.")
    tax_groups: list[TaxGroupOut]
    has_pdf: bool
    actions: list[str] = Field(description="The actions this document's state allows.")
    history: list[HistoryEntryOut]


class OutcomeOut(Schema):
    id: int
    number: str
    ok: bool
    state: str
    message: str


class BulkActionIn(Schema):
    action: Action
    ids: list[int] = Field(min_length=1, max_length=500)


class BulkActionOut(Schema):
    outcomes: list[OutcomeOut]
    not_found: list[int]
