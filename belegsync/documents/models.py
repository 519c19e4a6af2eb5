"""Organisations, their connections, the documents moved through them, and history."""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from decimal import Decimal
from typing import Any

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models, transaction
from django.db.models import Count
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from belegsync.bookkeeping import Voucher, VoucherKind, voucher_from_dict
from belegsync.connectors import registry
from belegsync.connectors.reasons import Reason, from_json
from belegsync.connectors.settings import (
    POLICY,
    AdapterSettings,
    Policy,
    TaxAdvisor,
    read,
    settings_model,
)
from belegsync.reasons import render_all, sentence

from .fields import EncryptedJSONField
from .roles import Permission, Role, allows
from .states import State

DEFAULT_SYNC_INTERVAL = 3600
MIN_SYNC_INTERVAL = 60


class Organisation(models.Model):
    """A merchant: the unit of tenancy. Users see only their organisation's data."""

    name = models.CharField(max_length=200)
    slug = models.SlugField(unique=True)
    #: The global "sync enabled" switch of the first product page.
    sync_enabled = models.BooleanField(default=True)
    created_at = models.DateTimeField(default=timezone.now)
    #: The local day its last daily digest went out (sync/notify.py claims it).
    digest_sent_on = models.DateField(null=True, blank=True)
    #: The tax advisor's numbers (Beraternummer, Mandantennummer): the one place for
    #: them, read by its DATEV connections and its manual DATEV exports (``advisor``).
    datev_consultant_number = models.PositiveIntegerField(
        _("consultant number (Beraternummer)"),
        null=True,
        blank=True,
        validators=[MinValueValidator(1001), MaxValueValidator(9_999_999)],
    )
    datev_client_number = models.PositiveIntegerField(
        _("client number (Mandantennummer)"),
        null=True,
        blank=True,
        validators=[MinValueValidator(1), MaxValueValidator(99_999)],
    )

    def __str__(self) -> str:
        return self.name

    @property
    def advisor(self) -> TaxAdvisor:
        return TaxAdvisor(
            consultant_number=self.datev_consultant_number,
            client_number=self.datev_client_number,
        )


class Membership(models.Model):
    """A user's place in one organisation, with the role that says what they may do."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="membership"
    )
    organisation = models.ForeignKey(
        Organisation, on_delete=models.CASCADE, related_name="memberships"
    )
    #: Members from before roles existed did everything: they are owners.
    role = models.CharField(max_length=20, choices=Role.choices, default=Role.OWNER)

    def __str__(self) -> str:
        return f"{self.user} @ {self.organisation} ({self.role})"

    def allows(self, permission: Permission | str) -> bool:
        return allows(self.role, permission)


class Invitation(models.Model):
    """A one-time link with which someone becomes a member in the given role.

    Only the SHA-256 of the link's token is kept: the link is shown once to the
    owner who made it (and mailed where mail is configured), and a copy of the
    database opens no account. Accepted once, or expired, it opens nothing.
    """

    organisation = models.ForeignKey(
        Organisation, on_delete=models.CASCADE, related_name="invitations"
    )
    role = models.CharField(max_length=20, choices=Role.choices)
    email = models.EmailField(blank=True)
    token_sha256 = models.CharField(max_length=64, unique=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)
    expires_at = models.DateTimeField()
    accepted_at = models.DateTimeField(null=True, blank=True)
    accepted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )

    def __str__(self) -> str:
        return f"{self.role} @ {self.organisation}"

    @staticmethod
    def digest(token: str) -> str:
        return hashlib.sha256(token.encode()).hexdigest()

    @property
    def is_open(self) -> bool:
        return self.accepted_at is None and self.expires_at > timezone.now()


class Connection(models.Model):
    """One source feeding one target, with its credentials, settings and cursor."""

    organisation = models.ForeignKey(
        Organisation, on_delete=models.CASCADE, related_name="connections"
    )
    name = models.CharField(_("internal name"), max_length=120)
    source_kind = models.CharField(max_length=40)
    target_kind = models.CharField(max_length=40)
    #: {"source": {...}, "target": {...}}: API keys and passwords, Fernet-encrypted.
    credentials = EncryptedJSONField(blank=True, default=dict)
    #: {"policy": {...}, "source": {...}, "target": {...}}: the engine's policy and each
    #: side's own settings (``connectors.settings``); no secrets. Written only by
    #: ``services.connections``, one namespace at a time.
    settings = models.JSONField(blank=True, default=dict)
    enabled = models.BooleanField(_("sync enabled"), default=True)
    cursor = models.CharField(max_length=200, blank=True)
    sync_interval = models.PositiveIntegerField(
        default=DEFAULT_SYNC_INTERVAL, validators=[MinValueValidator(MIN_SYNC_INTERVAL)]
    )
    next_sync_at = models.DateTimeField(null=True, blank=True, db_index=True)
    last_sync_at = models.DateTimeField(null=True, blank=True)
    #: Set when the target or source refused the credentials: no document fails one by one.
    #: The English text for logs; what the merchant reads is ``pause_details``.
    paused_reason = models.TextField(blank=True)
    #: Why it is paused, as reasons (code, parameters): ``belegsync.reasons`` renders them.
    pause_details = models.JSONField(null=True, blank=True)
    #: Cycles in a row that failed as a whole (the source does not answer, answers
    #: garbage …), since when, and why (reasons); repeated ones pause the connection.
    failed_cycles = models.PositiveIntegerField(default=0)
    failing_since = models.DateTimeField(null=True, blank=True)
    failure_details = models.JSONField(null=True, blank=True)
    #: Per-connection mutual exclusion of sync cycles, held by a conditional UPDATE.
    sync_owner = models.CharField(max_length=100, blank=True)
    sync_lease_until = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    #: A connection syncs only once its set-up is complete: what its adapters still
    #: need, as reasons (``services.connections.refresh_setup``; shown by ``setup_texts``).
    setup_complete = models.BooleanField(default=True)
    setup_missing = models.JSONField(blank=True, default=list)
    #: When the remote last accepted each side's credentials: {"source": iso time, …}.
    credentials_checked = models.JSONField(blank=True, default=dict)
    #: The adapters' set-up steps saved at least once ("billbee:general", …).
    steps_done = models.JSONField(blank=True, default=list)
    #: Archived (``services.connections.archive``): never scheduled, synced or offered
    #: for actions that send; its documents stay readable. None: in use.
    archived_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["organisation", "name"], name="connection_name_unique")
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def is_archived(self) -> bool:
        return self.archived_at is not None

    @property
    def is_active(self) -> bool:
        return (
            self.archived_at is None
            and self.enabled
            and self.setup_complete
            and not self.paused_reason
            and self.organisation.sync_enabled
        )

    @property
    def policy(self) -> Policy:
        """The engine's policy for this connection (what both sides share)."""
        return read(Policy, (self.settings or {}).get(POLICY))

    def adapter_class(self, side: str) -> Any:
        """The registered class of this side's kind, or None for a kind no longer known."""
        try:
            if side == "source":
                return registry.source_class(self.source_kind)
            return registry.target_class(self.target_kind)
        except registry.UnknownKind:
            return None

    @property
    def advisor(self) -> TaxAdvisor:
        """Its organisation's tax advisor's numbers (none for a connection not yet saved
        to an organisation, e.g. ``belegsync preview``'s)."""
        return self.organisation.advisor if self.organisation_id else TaxAdvisor()

    def settings_of(self, side: str) -> AdapterSettings:
        """This side's own settings, as its adapter's model."""
        model = settings_model(self.adapter_class(side))
        return read(model, (self.settings or {}).get(side))

    @property
    def pause_reasons(self) -> list[Reason]:
        return from_json(self.pause_details)


class Document(models.Model):
    """A voucher of a connection on its way to the target."""

    #: no index of its own: every use has the connection first in the unique number or in a
    #: list index (migration 0024_document_connection_index)
    connection = models.ForeignKey(
        Connection, on_delete=models.PROTECT, related_name="documents", db_index=False
    )
    source_number = models.CharField(_("number"), max_length=100)
    source_id = models.CharField(max_length=100, blank=True)
    kind = models.CharField(
        max_length=20, choices=[(k.value, k.value) for k in VoucherKind], default="invoice"
    )
    invoice_date = models.DateField(null=True, blank=True)
    currency = models.CharField(max_length=3, default="EUR")
    total_net = models.DecimalField(max_digits=14, decimal_places=2, default=0)
    total_gross = models.DecimalField(max_digits=14, decimal_places=2, default=0)
    voucher = models.JSONField(default=dict)
    #: Newer data from the source for a document already transferred: applied by re-upload.
    pending_voucher = models.JSONField(null=True, blank=True)
    meta = models.JSONField(blank=True, default=dict)
    state = models.CharField(max_length=20, choices=State.choices, default=State.WAITING)
    #: Why the connection's filters keep it out: reasons (code, parameters), or None.
    skip_details = models.JSONField(null=True, blank=True)
    remote_id = models.CharField(max_length=100, blank=True)
    remote_url = models.URLField(max_length=500, blank=True)
    #: Results of the transfer steps done so far: a retry resumes at the first missing one.
    steps = models.JSONField(blank=True, default=dict)
    #: The failure's category (connectors.errors.FailureReason): the failed list groups by it.
    failure_reason = models.CharField(max_length=20, blank=True)
    #: What failed, as reasons (code, parameters), rendered in the reader's language.
    failure_details = models.JSONField(null=True, blank=True)
    #: The remote system's answer as it came, for support.
    raw_error = models.TextField(blank=True)
    attempts = models.PositiveIntegerField(default=0)
    retry_at = models.DateTimeField(null=True, blank=True)
    lease_owner = models.CharField(max_length=100, blank=True)
    lease_until = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["connection", "kind", "source_number"], name="document_number_unique"
            )
        ]
        indexes = [
            # the lists: one state of one connection, newest first (keyset on id)
            models.Index(fields=["connection", "state", "-id"], name="doc_conn_state_id"),
            # the claim: waiting documents whose retry time has come
            models.Index(fields=["state", "retry_at"], name="doc_state_retry"),
            # and documents a dead worker left: only those in processing have a lease
            # to run out (migration 0027_processing_lease_index)
            models.Index(
                fields=["lease_until"],
                condition=models.Q(state="processing"),
                name="doc_processing_lease",
            ),
            models.Index(fields=["connection", "invoice_date"], name="doc_conn_date"),
            # the lists of one state and a month: the page's ids from the index alone,
            # sorted, instead of every row of the month (id is SQLite's rowid, in every
            # index; PostgreSQL needs it named for an index-only scan)
            models.Index(
                fields=["connection", "state", "invoice_date", "id"], name="doc_conn_state_date"
            ),
            # the month report's documents not yet booked, in the order it lists them;
            # its credit notes without an original have an index of their own, on the
            # voucher's JSON (migration 0018_month_report_indexes)
            models.Index(
                fields=["connection", "state", "invoice_date", "source_number"],
                condition=~models.Q(state__in=["done", "manual"]),
                name="document_outstanding",
            ),
        ]

    def __str__(self) -> str:
        return self.source_number

    def as_voucher(self) -> Voucher:
        return voucher_from_dict(self.voucher)

    @property
    def failures(self) -> list[Reason]:
        return from_json(self.failure_details)

    @property
    def skips(self) -> list[Reason]:
        return from_json(self.skip_details)

    @property
    def failure_message(self) -> str:
        """The failure in the active language (pages, reports, the API's text fields)."""
        return sentence(render_all(self.failures, self.currency))

    @property
    def skip_reason(self) -> str:
        """Why it is skipped, in the active language."""
        return sentence(render_all(self.skips, self.currency))


class DocumentCount(models.Model):
    """How many documents a connection has in each state (and failure reason).

    Kept by the database itself: triggers on the document table (migration
    ``0006_document_counts``) add and subtract in the statement that inserts,
    updates or deletes a document, so every writer — a transition, a bulk
    import, a raw UPDATE — keeps it right, and the dashboard reads a few rows
    per connection instead of counting the whole table. Rows are never deleted
    when they reach zero; readers skip ``n = 0``.
    """

    connection = models.ForeignKey(Connection, on_delete=models.CASCADE, related_name="+")
    state = models.CharField(max_length=20)
    failure_reason = models.CharField(max_length=20, blank=True)
    n = models.BigIntegerField(default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["connection", "state", "failure_reason"], name="document_count_unique"
            )
        ]

    @classmethod
    def recount(cls) -> None:
        """Count every document again (after a restore that bypassed the triggers)."""
        with transaction.atomic():
            cls.objects.all().delete()
            cls.objects.bulk_create(
                cls(connection_id=c, state=s, failure_reason=r, n=n)
                for c, s, r, n in Document.objects.order_by()
                .values_list("connection_id", "state", "failure_reason")
                .annotate(n=Count("id"))
                .values_list("connection_id", "state", "failure_reason", "n")
            )


class DocumentDayCount(models.Model):
    """How many documents a connection has per invoice date, state and currency, and
    their gross as the bookkeeping shows it (credit notes negative), in cents.

    What the dashboard's documents-per-day chart and the month report count and sum:
    a month is at most 31 rows per connection, state and currency, whatever the size
    of the document table. Kept by triggers like :class:`DocumentCount` (migration
    ``0017_document_day_counts``), in the statement that inserts, updates or deletes a
    document. The gross is integer cents (``gross_cents``): exact on both databases,
    where a SQLite sum of decimals would be a float. Documents without an invoice date
    are not counted here (no chart or month shows them). Rows at ``n = 0`` stay.
    """

    connection = models.ForeignKey(Connection, on_delete=models.CASCADE, related_name="+")
    day = models.DateField()
    state = models.CharField(max_length=20)
    currency = models.CharField(max_length=3)
    n = models.BigIntegerField(default=0)
    gross_cents = models.BigIntegerField(default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["connection", "day", "state", "currency"],
                name="document_day_count_unique",
            )
        ]

    @property
    def gross(self) -> Decimal:
        return Decimal(self.gross_cents).scaleb(-2)


class DocumentRateGross(models.Model):
    """The gross of the documents' lines per connection, invoice date, currency and tax
    rate, credit notes negative, in millionths (a line's gross may have sub-cent places).

    What the month report's gross per tax rate adds: a month is at most 31 rows per
    connection, currency and rate. Kept by triggers that read the voucher's lines
    (migration ``0019_document_rate_gross``), like :class:`DocumentDayCount`. ``lines``
    counts the lines added (a rate with lines shows, even at a gross of 0). Lines the
    database cannot add exactly are counted in ``unsplit`` under the rate ``""``; a month
    with any is summed from its vouchers instead (``documents.report``).
    """

    connection = models.ForeignKey(Connection, on_delete=models.CASCADE, related_name="+")
    day = models.DateField()
    currency = models.CharField(max_length=3)
    #: The rate as the voucher writes it ("19", "5.5"), or "" for the unsplit lines.
    rate = models.CharField(max_length=20)
    lines = models.BigIntegerField(default=0)
    gross_millionths = models.BigIntegerField(default=0)
    unsplit = models.BigIntegerField(default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["connection", "day", "currency", "rate"],
                name="document_rate_gross_unique",
            )
        ]


class DocumentNumberBlock(models.Model):
    """Which numbers of one sequence (prefix and width, as ``lib.numbering`` splits a
    number) a connection has among a month's documents of one kind: one bit per number
    in blocks of 32 (``bits``), and how many of them are not skipped (``unskipped``).

    What the month report finds number gaps in: about one row per 32 numbers instead of
    every number. Kept by triggers (migration ``0020_document_number_blocks``) like
    :class:`DocumentDayCount`. Numbers the database does not split (not printable
    ASCII, a leading space, more than 18 trailing digits) are counted in ``unsplit``
    (prefix "", width 0); a month with any has its gaps found from its numbers.
    """

    connection = models.ForeignKey(Connection, on_delete=models.CASCADE, related_name="+")
    kind = models.CharField(max_length=20)
    #: The first day of the invoice date's month.
    month = models.DateField()
    prefix = models.CharField(max_length=100)
    width = models.PositiveSmallIntegerField()
    #: The numbers' value // 32; bit ``value % 32`` of ``bits`` says the number is there.
    block = models.BigIntegerField()
    bits = models.BigIntegerField(default=0)
    unskipped = models.BigIntegerField(default=0)
    unsplit = models.BigIntegerField(default=0)

    BITS = 32

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["connection", "kind", "month", "prefix", "width", "block"],
                name="document_number_block_unique",
            )
        ]


class CountBatch(models.Model):
    """An open batch of new documents that the kept tables (:class:`DocumentCount`,
    :class:`DocumentDayCount`, :class:`DocumentRateGross`, :class:`DocumentNumberBlock`,
    the exports' ``DocumentShop``) count at once, grouped, instead of one by one (SQLite:
    migrations ``0022_count_batches``, ``0028_shops_in_count_batches``; PostgreSQL's
    statement triggers group already).

    Never seen outside the transaction that opens it: :meth:`inserting` writes and deletes
    it around one bulk insert.
    """

    first_id = models.BigIntegerField(null=True)
    last_id = models.BigIntegerField(null=True)

    @classmethod
    def inserting(cls, cursor: Any, vendor: str, insert: Callable[[], list[int]]) -> list[int]:
        """Run ``insert`` (a bulk insert of new documents returning their ids in order) so
        that the kept tables count its documents at once: the insert triggers skip their
        rows while the batch row exists, and writing the ids' range into it runs each
        table's counting rule over them. ``cursor``: the driver's own, inside a transaction.

        The ids of one SQLite insert follow each other (one writer holds the database);
        a range with a gap would count a document that is not the batch's, so it raises.
        """
        if vendor != "sqlite":
            return insert()
        table = cls._meta.db_table
        cursor.execute(f"INSERT INTO {table} (first_id, last_id) VALUES (NULL, NULL)")  # noqa: S608
        ids = insert()
        if ids:
            if ids[-1] - ids[0] + 1 != len(ids):
                raise RuntimeError(f"new documents' ids not in one range: {ids[0]}..{ids[-1]}")
            cursor.execute(f"UPDATE {table} SET first_id = ?, last_id = ?", [ids[0], ids[-1]])  # noqa: S608
        cursor.execute(f"DELETE FROM {table}")  # noqa: S608
        return ids


class DocumentFile(models.Model):
    """The document's PDF, kept in the database so every worker on every machine sees it."""

    document = models.OneToOneField(Document, on_delete=models.CASCADE, related_name="file")
    filename = models.CharField(max_length=200)
    content = models.BinaryField()
    size = models.PositiveIntegerField()
    sha256 = models.CharField(max_length=64)
    fetched_at = models.DateTimeField(default=timezone.now)

    @classmethod
    def store(cls, document: Document, content: bytes, filename: str) -> DocumentFile:
        file, _ = cls.objects.update_or_create(
            document=document,
            defaults={
                "filename": filename,
                "content": content,
                "size": len(content),
                "sha256": hashlib.sha256(content).hexdigest(),
                "fetched_at": timezone.now(),
            },
        )
        return file


class NumberConflict(models.Model):
    """One source document that shares its invoice number with another one (#13, item 9).

    belegsync keeps one document per (connection, kind, number): the number is what
    the target dedupes on. When a second source document (another Billbee order,
    another Afterbuy row) arrives with the same number and other content, each is
    kept here, the document is held, and nothing of that number is sent while two
    or more rows of the number remain. A row goes when its source document shows up
    under another number (the merchant corrected it in the shop system).
    """

    connection = models.ForeignKey(
        Connection, on_delete=models.CASCADE, related_name="number_conflicts"
    )
    kind = models.CharField(max_length=20)
    number = models.CharField(max_length=100)
    source_id = models.CharField(max_length=100)
    #: That source document's voucher, as ``Document.voucher`` would hold it.
    voucher = models.JSONField(default=dict)
    seen_at = models.DateTimeField(default=timezone.now)
    #: The merchant's choice ("keep this one", ``services.documents.keep_for_number``):
    #: empty while undecided or for the one kept; a reason code for the ones skipped,
    #: which are never sent under this number and no longer hold it.
    skipped_reason = models.CharField(max_length=40, blank=True, default="")
    decided_by = models.CharField(max_length=150, blank=True, default="")
    decided_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["connection", "kind", "number", "source_id"],
                name="number_conflict_unique",
            )
        ]
        indexes = [models.Index(fields=["connection", "source_id"], name="conflict_conn_source")]

    def __str__(self) -> str:
        return f"{self.number} ({self.source_id})"


class AppendOnly(Exception):
    pass


class Event(models.Model):
    """Append-only history of a document: who, when, what, and the remote's answer."""

    #: indexed first in event_doc_at, not alone (migration 0025_event_document_index)
    document = models.ForeignKey(
        Document, on_delete=models.CASCADE, related_name="events", db_index=False
    )
    at = models.DateTimeField(default=timezone.now)
    #: "system", a worker id, or the username of the merchant who acted.
    actor = models.CharField(max_length=150)
    #: indexed only where set (event_user): an import's events have none
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, db_index=False
    )
    action = models.CharField(max_length=40)
    from_state = models.CharField(max_length=20, blank=True)
    to_state = models.CharField(max_length=20, blank=True)
    message = models.TextField(blank=True)
    detail = models.JSONField(blank=True, default=dict)

    class Meta:
        ordering = ["at", "id"]
        indexes = [
            models.Index(fields=["document", "at"], name="event_doc_at"),
            # the dashboard's failures per day: the last 30 days' fail events only
            models.Index(fields=["action", "at"], name="event_action_at"),
            models.Index(
                fields=["user"], condition=models.Q(user__isnull=False), name="event_user"
            ),
        ]

    def save(self, *args: Any, **kwargs: Any) -> None:
        if self.pk is not None:
            raise AppendOnly("Events are history: they are never changed.")
        super().save(*args, **kwargs)

    def delete(self, *args: Any, **kwargs: Any) -> Any:
        raise AppendOnly("Events are history: they are never deleted.")


class ConnectionEvent(models.Model):
    """Append-only history of a connection: set-up complete, paused, resumed, checked."""

    connection = models.ForeignKey(Connection, on_delete=models.CASCADE, related_name="events")
    at = models.DateTimeField(default=timezone.now)
    actor = models.CharField(max_length=150)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL
    )
    action = models.CharField(max_length=40)
    message = models.TextField(blank=True)

    class Meta:
        ordering = ["at", "id"]
        indexes = [models.Index(fields=["connection", "at"], name="connevent_conn_at")]

    def save(self, *args: Any, **kwargs: Any) -> None:
        if self.pk is not None:
            raise AppendOnly("Events are history: they are never changed.")
        super().save(*args, **kwargs)

    def delete(self, *args: Any, **kwargs: Any) -> Any:
        raise AppendOnly("Events are history: they are never deleted.")
