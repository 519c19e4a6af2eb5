"""What the API sends and takes. Field names and meanings are part of the stable interface.

Amounts are decimal strings ("44.95"), never floats; a credit note's amounts
are negative, as the bookkeeping shows them. Texts (``message``, ``text``)
are in the request's language; codes beside them are stable.
"""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Literal

from ninja import Field, Schema
from ninja.params import functions as params

from belegsync.documents.states import State
from belegsync.exports.models import ExportFormat, TagOption
from belegsync.services.documents import Action
from belegsync.sync.models import ImportJob
from belegsync.webhooks.models import WebhookEvent

ImportMode = ImportJob.Mode

MAX_PAGE = 200
#: The largest id the databases hold (a signed 64-bit integer): a larger one is invalid input.
MAX_ID = 2**63 - 1
#: An object's id in a body or query.
Id = Annotated[int, Field(ge=1, le=MAX_ID)]
#: An object's id in the path.
PathId = Annotated[int, params.Path(ge=1, le=MAX_ID)]


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
    connection: Id | None = Field(None, description="Only this connection's documents.")
    after: Id | None = Field(None, description="The `next_after` of the page before.")
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


class CompetitorOut(Schema):
    source_id: str = Field(description="The shop system's id of this document.")
    invoice_date: dt.date | None
    total_gross: str | None
    currency: str
    state: Literal["open", "kept", "skipped"]
    decided_by: str = Field(description="Who kept or skipped it; empty while open.")


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
    competing: list[CompetitorOut] = Field(
        description="The shop system's documents that share this number (two or more), "
        "to choose one with POST /documents/{id}/keep; empty otherwise."
    )


class KeepIn(Schema):
    source_id: str = Field(min_length=1, max_length=200)


class OutcomeOut(Schema):
    id: int
    number: str
    ok: bool
    state: str
    message: str


class BulkActionIn(Schema):
    action: Action
    ids: list[Id] = Field(min_length=1, max_length=500)


class BulkActionOut(Schema):
    outcomes: list[OutcomeOut]
    not_found: list[int]


class SystemOut(Schema):
    kind: str = Field(description="The adapter's identifier, e.g. billbee, lexoffice.")
    name: str


class ConnectionOut(Schema):
    id: int
    name: str
    source: SystemOut
    target: SystemOut
    enabled: bool
    active: bool = Field(description="Enabled, set up, not paused and the organisation on.")
    paused: bool
    pause_reasons: list[str]
    setup_complete: bool
    setup_missing: list[str]
    credentials_saved: dict[str, bool] = Field(
        description="Per side whether credentials are saved; their values are never returned."
    )
    takes_files: bool = Field(description="Its source reads uploaded files (POST /imports).")
    sync_interval: int = Field(
        description="Seconds a new document takes at most to reach the target while the "
        "target keeps up; a source is asked twice per interval."
    )
    next_sync_at: dt.datetime | None
    last_sync_at: dt.datetime | None
    archived_at: dt.datetime | None = Field(
        description="When it was archived (it then never syncs and sends nothing; its "
        "documents stay readable); null while in use."
    )


class ConnectionEventOut(Schema):
    at: dt.datetime
    who: str
    action: str
    message: str


class ConnectionDetailOut(ConnectionOut):
    settings: dict[str, object] = Field(
        description="The settings by owner: policy (both sides), source, target. No secrets."
    )
    history: list[ConnectionEventOut]


class SwitchIn(Schema):
    enabled: bool


class SyncNowOut(Schema):
    will_run: bool
    message: str


class CheckOut(Schema):
    ok: bool
    problems: list[str]
    setup_missing: list[str]
    connection: ConnectionOut


class OrganisationOut(Schema):
    name: str
    slug: str
    sync_enabled: bool


class UploadIn(Schema):
    connection: Id = Field(description="The connection whose source reads the file.")
    mode: ImportMode = Field(
        ImportMode.VALID,
        description="valid: import the valid invoices and list the others; "
        "nothing: import nothing until the file is correct.",
    )


class RowProblemOut(Schema):
    line: int | None
    column: str = Field(description="The column as the file heads it.")
    value: str
    number: str
    reason: ReasonOut = Field(description="Why the row was not imported: code, params, text.")
    message: str = Field(
        description="The problem with where it is, in the request's language (as the upload "
        "page shows it)."
    )


class ImportOut(Schema):
    id: int
    connection: ConnectionRef
    filename: str
    size: int
    sha256: str
    mode: str
    state: str = Field(description="pending, running, done, failed or needs_mapping")
    finished: bool
    percent: int
    created_at: dt.datetime
    started_at: dt.datetime | None
    finished_at: dt.datetime | None
    counts: dict[str, int] = Field(description="Rows per outcome (created, updated, …).")
    numbers: dict[str, list[str]] = Field(description="The first document numbers per outcome.")
    problems: list[RowProblemOut]
    problems_total: int
    file_error: str = Field(
        description="Why the file as a whole cannot be read, in the request's language; or empty."
    )
    file_error_reason: ReasonOut | None = Field(
        description="The same as a reason (code, params, text); null when the file was read."
    )


class ImportsQuery(Schema):
    after: Id | None = None
    limit: int = Field(50, ge=1, le=MAX_PAGE)


class ImportPage(Schema):
    items: list[ImportOut]
    next_after: int | None


class ExportIn(Schema):
    format: ExportFormat
    option: TagOption = Field(
        TagOption.NONE,
        description="'' all selected, tags untouched; 'tag' mark the exported documents "
        "with the format's tag; 'only_untagged' leave out documents that carry it.",
    )
    connections: list[Id] = Field(default_factory=list)
    date_from: dt.date | None = Field(None, alias="from")
    date_to: dt.date | None = Field(None, alias="to")
    state: State | None = None
    kind: Literal["invoice", "credit_note"] | None = None
    shop: str = ""
    tagged: str = Field("", description="'' any, 'tagged', 'untagged' or a tag (DATEV).")
    search: str = Field("", description="Number, order number, customer name or e-mail.")
    ids: list[Id] | None = Field(
        None, max_length=10000, description="Only these documents (of those matching)."
    )


class LeftOutOut(Schema):
    number: str
    reason: str = Field(description="Why it was left out, in the request's language.")
    reasons: list[ReasonOut] = Field(description="The same as reasons: code, params, text.")


class ExportOut(Schema):
    id: int
    format: str
    option: str
    tag: str
    state: str = Field(description="queued, running, done or failed")
    error: str = Field(description="Why a failed export failed, in the request's language.")
    error_reasons: list[ReasonOut] = Field(
        description="The same as reasons (code, params, text); empty unless it failed."
    )
    created_at: dt.datetime
    finished_at: dt.datetime | None
    file_name: str
    file_size: int
    exported: int
    left_out: int
    left_out_documents: list[LeftOutOut]
    criteria: dict[str, object]


class ExportPage(Schema):
    items: list[ExportOut]
    next_after: int | None


class MonthQuery(Schema):
    month: str = Field(pattern=r"^\d{4}-(0[1-9]|1[0-2])$", description="YYYY-MM")
    connection: Id | None = None

    @property
    def first_day(self) -> dt.date:
        return dt.date.fromisoformat(f"{self.month}-01")


class CurrencySumOut(Schema):
    currency: str = Field(description="ISO 4217 code, e.g. EUR or CHF.")
    documents: int
    gross: str = Field(
        description="Gross sum of the documents in this currency as the bookkeeping shows it "
        "(credit notes negative)."
    )


class StateSumOut(Schema):
    state: str
    documents: int = Field(description="The state's documents in every currency.")
    gross: str = Field(
        description="Gross sum of the state's EUR documents as the bookkeeping shows it "
        "(credit notes negative); documents in other currencies are never added to it: "
        "see currencies."
    )
    currencies: list[CurrencySumOut] = Field(
        description="One sum per currency the state has documents in, EUR first."
    )


class OutstandingOut(Schema):
    number: str
    kind: str
    state: str
    connection: str
    reason: str


class GapOut(Schema):
    first: str
    last: str
    count: int


class MonthReportOut(Schema):
    month: str
    connection: int | None
    complete: bool
    total: int
    booked: int
    skipped: int
    states: list[StateSumOut]
    totals: list[CurrencySumOut] = Field(
        description="The month's documents and gross sum per currency, EUR first."
    )
    outstanding: list[OutstandingOut] = Field(description="The first 200 not yet booked.")
    outstanding_total: int
    gaps: list[GapOut] = Field(description="Invoice and credit note numbers missing.")


class PreviewOut(Schema):
    document: str
    request: dict[str, object] | list[object] | None = Field(
        None, description="The exact body the target's create call would receive."
    )
    errors: list[str] | None = Field(None, description="Why no body can be built.")


class WebhookIn(Schema):
    url: str = Field(max_length=500, description="https://… on the public internet.")
    events: list[WebhookEvent] = Field(min_length=1)
    language: Literal["de", "en"] | None = Field(
        default=None,
        description="The language of the payloads' texts; by default the request's "
        "(Accept-Language).",
    )


class EndpointOut(Schema):
    id: int
    url: str
    events: list[str]
    active: bool
    language: str = Field(description="The language of the payloads' texts.")
    created_at: dt.datetime


class EndpointCreatedOut(EndpointOut):
    secret: str = Field(description="The signing secret (whsec_…): shown only in this answer.")


class DeliveryOut(Schema):
    id: int
    endpoint: int
    event: str
    key: str = Field(description="The delivery's id, sent as Belegsync-Delivery.")
    state: str = Field(description="pending, delivered or failed")
    attempts: int
    next_attempt_at: dt.datetime | None
    last_status: int | None
    last_error: str
    created_at: dt.datetime
    delivered_at: dt.datetime | None


class DeliveryPage(Schema):
    items: list[DeliveryOut]
    next_after: int | None


Side = Literal["source", "target"]


class ConnectionIn(Schema):
    """A new connection. Credentials are write-only: no answer ever contains them."""

    name: str = Field(min_length=1, max_length=120)
    source_kind: str = Field(description="A source's identifier: afterbuy_csv, afterbuy_api, …")
    target_kind: str = Field(description="A target's identifier: lexoffice, sevdesk, …")
    enabled: bool = True
    sync_interval: int = Field(
        3600,
        ge=60,
        le=86400 * 7,
        description="Seconds a new document takes at most to reach the target while the "
        "target keeps up; a source is asked twice per interval.",
    )
    credentials: dict[Side, dict[str, str]] = Field(default_factory=dict)
    policy: dict[str, object] | None = Field(None, description="What both sides share.")
    source: dict[str, object] | None = Field(None, description="The source's own settings.")
    target: dict[str, object] | None = Field(None, description="The target's own settings.")


class ConnectionChangeIn(Schema):
    """What to change; a field left out stays as it is (credentials too, key by key)."""

    name: str | None = Field(None, min_length=1, max_length=120)
    source_kind: str | None = None
    target_kind: str | None = None
    enabled: bool | None = None
    sync_interval: int | None = Field(None, ge=60, le=86400 * 7)
    credentials: dict[Side, dict[str, str]] | None = None
    policy: dict[str, object] | None = None
    source: dict[str, object] | None = None
    target: dict[str, object] | None = None


class ConnectionSavedOut(ConnectionDetailOut):
    warnings: list[str] = Field(description="A remote could not be asked: saved unchecked.")
