"""The Billbee source adapter: fetch orders, map them, fetch PDFs, tag exported orders.

Fetching (DESIGN §5, STYLE "Singer taps"): orders are read by modification time,
``modifiedAtMin = bookmark − OVERLAP`` up to ``modifiedAtMax = run start``, all
pages. The new bookmark is ``min(run start, newest LastModifiedAt seen)`` and is
handed out only with the last page; earlier pages carry the old bookmark, so a
crash re-reads rather than loses. Billbee documents no sort order, so if the
result set changes while paging (``TotalRows`` moves: an order was modified and
left the window, shifting the pages) the bookmark is not advanced at all and the
next cycle reads the window again. Re-reading is harmless: documents are keyed
by number and storing the same data is a no-op.

Every order in the window becomes a document; one that does not qualify (start
date, shop, state, no invoice yet, unmapped payment method) carries the reason
as ``skip_reasons`` and is re-evaluated whenever Billbee reports it modified.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Iterable, Iterator, Mapping
from typing import Any, ClassVar

from django.utils.translation import gettext_lazy as _

from belegsync.bookkeeping import Voucher
from belegsync.connectors.base import AdapterContext, Cursor, FetchResult, Page, SourceDocument
from belegsync.connectors.errors import ConnectorError, NotFound, PermanentError
from belegsync.connectors.ratelimit import Rate
from belegsync.connectors.reasons import Reason

from .client import BillbeeClient, Shop
from .mapping import (
    BERLIN,
    COUPON_METHOD,
    ORDER_STATES,
    NotBookable,
    is_known_payment_type,
    local_date,
    map_order,
    payment_method,
    placeholder,
)
from .settings import BillbeeSettings

log = logging.getLogger("belegsync.sources.billbee")
#: What reading an order that is not in the documented shape raises (a list for an
#: object, text for a number …): turned into a BadAnswer, never a traceback.
UNREADABLE = (AttributeError, KeyError, TypeError, ValueError, ArithmeticError, RecursionError)

#: Re-read this much before the bookmark: Billbee's clock and ours may differ, and
#: an order saved in the same second as the bookmark must not slip through.
OVERLAP = dt.timedelta(minutes=10)
PAGE_SIZE = 250

#: History entries of this type record a change of the order state (PHP SDK EventType 15).
STATE_CHANGED = 15


def states_seen(remembered: Mapping[str, Mapping[str, Any]]) -> dict[str, set[int]]:
    """Order states belegsync recorded in earlier cycles (their ``meta["states_seen"]``)."""
    return {
        source_id: {int(state) for state in meta.get("states_seen") or []}
        for source_id, meta in remembered.items()
    }


def parse_moment(value: str) -> dt.datetime:
    moment = dt.datetime.fromisoformat(value.replace("Z", "+00:00"))
    return moment if moment.tzinfo else moment.replace(tzinfo=dt.UTC)


def history_states(order: Mapping[str, Any]) -> set[int]:
    """States named in the order's state-change history (wording unverified).

    Both the old and the new state of a change were states the order has been
    in, so every state name in such an entry counts; longer names are matched
    first so that "Mahnung 2" is not read as "Mahnung".
    """
    names = sorted(ORDER_STATES.items(), key=lambda kv: -len(kv[1]))
    found: set[int] = set()
    for entry in order.get("History") or []:
        if entry.get("TypeId") != STATE_CHANGED:
            continue
        text = str(entry.get("Text") or "")
        for state_id, name in names:
            if name in text:
                found.add(state_id)
                text = text.replace(name, "")
    return found


def evidence_states(order: Mapping[str, Any]) -> set[int]:
    """States the order's own dates prove it passed: paid (3), shipped (4)."""
    found = set()
    if order.get("PayedAt"):
        found.add(3)
    if order.get("ShippedAt"):
        found.add(4)
    return found


GENERAL_STEP = "billbee:general"
PAYMENT_STEP = "billbee:payment"


class BillbeeSource:
    identifier: ClassVar[str] = "billbee"
    #: Offered on the payment-account mapping even before a document showed them.
    payment_methods: ClassVar[tuple[str, ...]] = (
        "PayPal",
        "Banküberweisung",
        "Kreditkarte",
        "Amazon_Marketplace",
        COUPON_METHOD,
    )
    verbose_name: ClassVar[str] = "Billbee"
    #: Billbee: 2 calls per second per endpoint and key + user (reference README §3).
    rate: ClassVar[Rate] = Rate(per_second=2, burst=2)
    #: Its UI part (forms.py), named by path: the core imports no Django forms.
    credentials_form: ClassVar[str] = "forms.CredentialsForm"
    settings_model: ClassVar[type[BillbeeSettings]] = BillbeeSettings
    settings_form: ClassVar[str] = "forms.SettingsForm"
    #: The policy's choices Billbee's steps ask for (step 1: start date, step 2: the rest).
    policy_fields: ClassVar[tuple[str, ...]] = (
        "start_date",
        "mark_paid",
        "customer_per_buyer",
        "unassigned_to_default",
        "document_date",
    )
    policy_help: ClassVar[dict[str, Any]] = {
        "start_date": _("Orders placed from this day on are transferred."),
        "unassigned_to_default": _(
            "Payments whose payment method has no account (step 3) go to the standard account."
        ),
    }
    pages: ClassVar[tuple[Page, ...]] = (
        Page(_("Set up in three steps"), "billbee:settings_start"),
    )
    #: Saved at least once before the connection syncs (its page's steps 1 and 2).
    setup_steps: ClassVar[tuple[tuple[str, Any], ...]] = (
        (GENERAL_STEP, _("General")),
        (PAYMENT_STEP, _("Payment & customers")),
    )

    #: Archiving removes the webhook at Billbee, restoring sets it up again (models.py).
    on_archive: ClassVar[str] = "models.on_archive"
    on_restore: ClassVar[str] = "models.on_restore"

    def __init__(
        self,
        context: AdapterContext,
        *,
        client: BillbeeClient | None = None,
    ) -> None:
        self.context = context
        self.settings = context.settings_as(BillbeeSettings)
        self.policy = context.policy
        self.client = client or self.make_client(context)
        self._orders: dict[int, dict[str, Any]] = {}

    # -- construction, credentials, shops ----------------------------------------

    @staticmethod
    def make_client(context: AdapterContext) -> BillbeeClient:
        credentials = context.credentials
        missing = [k for k in ("api_key", "user", "password") if not credentials.get(k)]
        if missing:
            raise PermanentError(
                f"The Billbee connection lacks {', '.join(missing)}; "
                "enter them in the connection's settings (step 1).",
                code="billbee.credentials_missing",
            )
        return BillbeeClient(
            api_key=str(credentials["api_key"]),
            user=str(credentials["user"]),
            password=str(credentials["password"]),
            limiter=context.limiter,
        )

    @classmethod
    def check_credentials(cls, context: AdapterContext) -> None:
        """Raise a ConnectorError when Billbee refuses the credentials (run on save)."""
        cls.shops(context)

    @classmethod
    def shops(cls, context: AdapterContext) -> list[Shop]:
        client = cls.make_client(context)
        try:
            return client.shops()
        finally:
            client.close()

    # -- settings ----------------------------------------------------------------

    @property
    def state_ids(self) -> set[int]:
        return {int(v) for v in self.settings.state_ids}

    @property
    def start_date(self) -> dt.date | None:
        return self.policy.start_date

    # -- fetching ----------------------------------------------------------------

    def _window_start(self, cursor: Cursor) -> dt.datetime | None:
        if not cursor.is_start:
            return parse_moment(cursor.value) - OVERLAP
        if self.start_date is not None:
            return dt.datetime.combine(self.start_date, dt.time(), tzinfo=BERLIN)
        return None

    def fetch(self, cursor: Cursor, now: dt.datetime) -> Iterator[FetchResult]:
        since = self._window_start(cursor)
        newest: dt.datetime | None = None
        first_total: int | None = None
        stable = True
        self._orders = {}
        for page in self.client.iter_orders(
            modified_min=since, modified_max=now, page_size=PAGE_SIZE
        ):
            if first_total is None:
                first_total = page.total_rows
            elif page.total_rows != first_total:
                stable = False
            try:
                for order in page.rows:
                    self._orders[int(order["BillBeeOrderId"])] = order
                    modified = order.get("LastModifiedAt") or order.get("UpdatedAt")
                    if modified:
                        moment = parse_moment(str(modified))
                        newest = moment if newest is None else max(newest, moment)
                documents = self.documents(page.rows)
            except UNREADABLE as exc:
                # an order that is not in Billbee's documented shape: the page is not
                # stored at all (and the cursor not moved) rather than stored half-read
                raise self.client.bad_answer(
                    None, f"an order of page {page.page} is not as documented: {exc!r}"
                ) from exc
            more = page.page < page.total_pages and bool(page.rows)
            bookmark = cursor
            if not more and stable and newest is not None:
                bookmark = Cursor(min(now, newest).isoformat())
            elif not more and not stable:
                log.warning("billbee result set changed while paging; window is re-read next time")
            yield FetchResult(documents, bookmark, more=more)

    def documents(self, orders: list[dict[str, Any]]) -> list[SourceDocument]:
        seen: dict[str, set[int]] = {}
        if self.settings.state_rule == "ever" and orders:
            ids = [str(o["BillBeeOrderId"]) for o in orders]
            seen = states_seen(self.context.remembered(ids))
        return [self.document(o, seen.get(str(o["BillBeeOrderId"]), set())) for o in orders]

    def original_of(self, order: Mapping[str, Any]) -> dict[str, Any] | None:
        """The order a cancellation refers to (``BillBeeParentOrderId``), or None."""
        parent = order.get("BillBeeParentOrderId")
        if not parent:
            return None
        parent = int(parent)
        if parent not in self._orders:
            try:
                self._orders[parent] = self.client.order(parent)
            except NotFound:
                return None
        return self._orders[parent]

    def document(self, order: dict[str, Any], stored_states: Iterable[int] = ()) -> SourceDocument:
        order_id = str(order["BillBeeOrderId"])
        state = int(order.get("State") or 0)
        states_seen = {state} | set(stored_states)
        if self.settings.state_rule == "ever":
            states_seen |= history_states(order) | evidence_states(order)
        reasons: list[Reason] = []
        voucher: Voucher
        try:
            original = self.original_of(order) if order.get("BillBeeParentOrderId") else None
            voucher = map_order(order, original=original)
        except NotBookable as not_bookable:
            voucher = placeholder(order)
            reasons.append(not_bookable.reason)
        reasons += self.filter_reasons(order, voucher, states_seen)
        seller = order.get("Seller") or {}
        meta = {
            "order_id": order_id,
            "order_number": str(order.get("OrderNumber") or ""),
            "state": state,
            "state_name": ORDER_STATES.get(state, str(state)),
            "states_seen": sorted(states_seen),
            "shop_id": str(seller.get("BillbeeShopId") or ""),
            "shop": str(seller.get("BillbeeShopName") or ""),
            "payment_methods": sorted({p.method for p in voucher.payments}),
            "web_url": str(order.get("WebUrl") or ""),
        }
        return SourceDocument(
            voucher=voucher, source_id=order_id, skip_reasons=tuple(reasons), meta=meta
        )

    def filter_reasons(
        self, order: Mapping[str, Any], voucher: Voucher, states_seen: set[int]
    ) -> list[Reason]:
        """Why this order is not (yet) transferred: start date, shop, state, payment method."""
        reasons = []
        created = local_date(order.get("CreatedAt"))
        if self.start_date and created and created < self.start_date:
            reasons.append(
                Reason(
                    "skip.before_start_date",
                    {"order_date": created, "start_date": self.start_date},
                )
            )
        shops = {int(v) for v in self.settings.shop_ids}
        seller = order.get("Seller") or {}
        shop_id = seller.get("BillbeeShopId")
        if shops and (shop_id is None or int(shop_id) not in shops):
            shop = str(seller.get("BillbeeShopName") or shop_id or "")
            reasons.append(Reason("skip.shop_not_selected", {"shop": shop}))
        reasons += self._state_reasons(order, voucher, states_seen)
        reasons += self._payment_reasons(order, voucher)
        return reasons

    def _state_reasons(
        self, order: Mapping[str, Any], voucher: Voucher, states_seen: set[int]
    ) -> list[Reason]:
        # A cancellation order is "Storniert" by nature: its credit note counts once issued.
        if voucher.is_credit_note:
            return []
        wanted = self.state_ids
        state = int(order.get("State") or 0)
        params = {"order_state": state, "order_states": [str(s) for s in sorted(wanted)]}
        if self.settings.state_rule == "ever":
            if states_seen & wanted:
                return []
            return [Reason("billbee.state_not_reached", params)]
        if state in wanted:
            return []
        return [Reason("billbee.state_not_selected", params)]

    def _payment_reasons(self, order: Mapping[str, Any], voucher: Voucher) -> list[Reason]:
        """A payment that is to be booked needs an account for its payment method."""
        if not self.policy.mark_paid or self.policy.payment_accounts.unassigned_to_default:
            return []
        accounts = self.policy.payment_accounts.by_method
        required = self.settings.payment_accounts_required
        unknown_ids = {
            payment_method(p.get("PaymentType"))
            for p in order.get("Payments") or []
            if not is_known_payment_type(p.get("PaymentType"))
        }
        unmapped = sorted(
            p.method
            for p in voucher.payments
            if p.method not in accounts and (required or p.method in unknown_ids)
        )
        if not unmapped:
            return []
        return [Reason("skip.payment_not_mapped", {"methods": list(dict.fromkeys(unmapped))})]

    # -- after fetching ------------------------------------------------------------

    def pdf(self, document: SourceDocument) -> bytes | None:
        """The invoice PDF from Billbee; the engine stores it, so this runs once per voucher."""
        _number, content = self.client.invoice_pdf(int(document.source_id))
        return content

    def mark_transferred(self, document: SourceDocument) -> None:
        """Tag the order in Billbee (adding a tag it has is a no-op there: idempotent)."""
        tag = self.settings.export_tag
        try:
            self.client.add_tags(int(document.source_id), [tag])
        except ConnectorError as error:
            error.message = f"Tagging order {document.meta.get('order_number')}: {error.message}"
            raise
