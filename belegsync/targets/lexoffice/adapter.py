"""The lexoffice target: find (dedupe), create, attach the PDF, "mark paid", preview.

Dedupe (README §5.2): lexoffice does not enforce unique voucher numbers, so
belegsync looks each number up before creating and compares number, type and
date exactly. To keep the cost near two requests per voucher (create + file),
look-ups are batched: the first look-up for a voucher date loads the
voucherlist of that date's week (250 per page) into a per-instance snapshot;
later look-ups are answered from it. A snapshot never causes a duplicate:

- vouchers this instance creates are added to it at once;
- a create whose answer was lost (timeout, 5xx) marks the number *uncertain*:
  its next look-up asks lexoffice directly;
- a number looked up a second time (a retry of the same document) is asked
  directly too;
- a snapshot older than ``SNAPSHOT_SECONDS`` is refreshed (newest first, until
  it reaches vouchers it already knew: usually one request) before it answers.
  Another worker can only have created a document's voucher while holding
  its claim; a takeover happens after the engine's 5-minute lease, far longer
  than a snapshot's age, so its voucher is always in the refreshed snapshot.
"""

from __future__ import annotations

import datetime as dt
import html
import logging
import threading
import time
from dataclasses import dataclass, field, replace
from functools import cache
from typing import Any, ClassVar

from django.utils.translation import gettext_lazy

from belegsync.bookkeeping import TaxTreatment, Voucher
from belegsync.connectors.base import AdapterContext, RemoteRef
from belegsync.connectors.errors import (
    AuthError,
    ConfigError,
    Conflict,
    FailureReason,
    NetworkError,
    NotFound,
    PermanentError,
    PermissionDenied,
    ServerError,
    ValidationRejected,
)
from belegsync.connectors.ratelimit import Limiter, NoLimit, Rate, TokenBucket
from belegsync.connectors.settings import Policy

from .client import CURRENT_BASE_URL, MAX_PAGE_SIZE, OLD_BASE_URL, LexofficeClient
from .mapping import (
    DESTINATION,
    ORIGIN,
    MappingOptions,
    needs_contact,
    needs_principle,
    to_json,
    to_lexoffice,
)
from .settings import LexofficeSettings

log = logging.getLogger("belegsync.targets.lexoffice")

#: Documented: 2 requests/s per client ([DOCS] API Rate Limits). We pace at 1.9 with no
#: burst to keep a buffer for network jitter, as the docs recommend.
RATE = Rate(per_second=1.9, burst=1)
SNAPSHOT_SECONDS = 60.0
MAX_FILE_BYTES = 5 * 1024 * 1024  # README §5.3
SEARCH_WINDOW = 10_000
APP_URLS = {CURRENT_BASE_URL: "https://app.lexware.de", OLD_BASE_URL: "https://app.lexoffice.de"}
#: A voucher id no voucher has: the probe whether this key may send payment hints
#: (README §6: partner/OAuth only, unverified for API keys) refers to it, so it
#: can never attach a hint to a real voucher.
NO_VOUCHER = "00000000-0000-0000-0000-000000000000"
#: The contact id of a preview whose contact create would make first.
WOULD_CREATE = "(would create)"

Key = tuple[str, str, dt.date]


@cache
def _shared_bucket() -> TokenBucket:
    """Pacing when the engine passes none: one bucket per account key, per process."""
    return TokenBucket(RATE)


def base_url_of(setting: Any) -> str:
    """lexoffice's own address the merchant chose ("current" or "old"); never another."""
    return OLD_BASE_URL if str(setting or "current") == "old" else CURRENT_BASE_URL


def _day(timestamp: str) -> dt.date:
    """A voucherlist date (local-midnight timestamp) as a date."""
    return dt.datetime.fromisoformat(timestamp).date()


def _week(day: dt.date) -> tuple[dt.date, dt.date]:
    monday = day - dt.timedelta(days=day.weekday())
    return monday, monday + dt.timedelta(days=6)


@dataclass
class Snapshot:
    """What lexoffice holds for one week of voucher dates, as far as this instance knows."""

    entries: dict[Key, str] = field(default_factory=dict)
    loaded_at: float = 0.0
    newest: dt.datetime | None = None
    #: Too many vouchers to page through (10,000 window): answer by direct look-ups.
    too_big: bool = False


MARK_PAID_HELP = gettext_lazy(
    "lexoffice's public API cannot set a voucher to “paid”: payments are assigned in "
    "lexoffice (bank matching or manual payment). When this is on, belegsync sends a "
    "transaction assignment hint with the payment's transaction id so that lexoffice assigns "
    "the payment automatically when it arrives. That works only for partner (OAuth) "
    "connections; with a private API key each paid voucher fails at this step with a clear "
    "message, so leave this off for API-key connections."
)

CUSTOMER_HELP = gettext_lazy(
    "Off: the collective customer (Sammelkunde) with the buyer's name on the voucher. "
    "Intra-community supplies always get their own contact (lexoffice needs the "
    "buyer's VAT ID)."
)


class LexofficeTarget:
    identifier: ClassVar[str] = "lexoffice"
    verbose_name: ClassVar[str] = "lexoffice (Lexware Office)"
    rate: ClassVar[Rate] = RATE
    #: Its UI part (forms.py), named by path: the core imports no Django forms.
    credentials_form: ClassVar[str] = "forms.LexofficeCredentialsForm"
    settings_model: ClassVar[type[LexofficeSettings]] = LexofficeSettings
    settings_form: ClassVar[str] = "forms.LexofficeSettingsForm"
    policy_fields: ClassVar[tuple[str, ...]] = ("mark_paid", "customer_per_buyer", "document_date")
    policy_help: ClassVar[dict[str, Any]] = {
        "mark_paid": MARK_PAID_HELP,
        "customer_per_buyer": CUSTOMER_HELP,
    }

    def __init__(
        self,
        context: AdapterContext,
        *,
        clock: Any = time.monotonic,
        client: LexofficeClient | None = None,
    ) -> None:
        settings = context.settings_as(LexofficeSettings)
        self.api_key = str(context.credentials.get("api_key", ""))
        self.base_url = base_url_of(settings.lexoffice_base_url)
        self.per_customer = context.policy.customer_per_buyer
        self.document_date = str(context.policy.document_date)
        self.principle_setting = settings.lexoffice_distance_sales_principle
        self.overrides: dict[str, str] = dict(settings.lexoffice_category_overrides)
        self.snapshot_seconds = settings.lexoffice_snapshot_seconds
        limiter: Limiter = context.limiter
        self.limiter = _shared_bucket() if isinstance(limiter, NoLimit) else limiter
        self._client = client
        self._clock = clock
        self._lock = threading.RLock()
        self._snapshots: dict[dt.date, Snapshot] = {}
        self._uncertain: set[str] = set()
        self._asked: set[str] = set()
        self._contacts: dict[tuple[str, str], str] = {}
        self._profile: dict[str, Any] | None = None
        self._may_hint: bool | None = None

    # -- plumbing ----------------------------------------------------------------

    @property
    def client(self) -> LexofficeClient:
        if self._client is None:
            if not self.api_key:
                raise ConfigError(
                    "The lexoffice connection has no API key.", code="lexoffice.no_api_key"
                )
            self._client = LexofficeClient(self.api_key, self.base_url, limiter=self.limiter)
        return self._client

    def deeplink(self, voucher_id: str) -> str:
        app = APP_URLS.get(self.base_url, "https://app.lexware.de")
        return f"{app}/permalink/vouchers/view/{voucher_id}"

    def profile(self) -> dict[str, Any]:
        if self._profile is None:
            self._profile = self.client.profile()
        return self._profile

    def _principle(self) -> str | None:
        if self.principle_setting in (DESTINATION, ORIGIN):
            return self.principle_setting
        if not self.api_key:
            raise ConfigError(
                "This is an EU distance sale; belegsync needs to know whether your lexoffice "
                "books distance sales at the destination or the origin. Set it in the "
                "connection settings or add the API key so belegsync reads the profile.",
                code="lexoffice.distance_sale_principle_unknown",
            )
        value = self.profile().get("distanceSalesPrinciple")
        return str(value) if value else None

    def _options(self, voucher: Voucher, *, create_contact: bool) -> MappingOptions:
        principle = self._principle() if needs_principle(voucher) else None
        contact_id = None
        if self.per_customer or needs_contact(voucher):
            contact_id = self._contact_for(voucher, create=create_contact)
        return MappingOptions(
            distance_sales_principle=principle,
            contact_id=contact_id,
            category_overrides=self.overrides,
            document_date=self.document_date,
        )

    def body(self, voucher: Voucher, *, create_contact: bool = True) -> dict[str, Any]:
        options = self._options(voucher, create_contact=create_contact)
        body: dict[str, Any] = to_json(to_lexoffice(voucher, options))
        if body.get("contactId") == WOULD_CREATE:
            # Only without create_contact (preview, check): the contact does not exist
            # yet, or there is no key to look for it; create would make it first.
            del body["contactId"]
            body["contact"] = {"would_create": contact_body(voucher)}
        return body

    # -- Target protocol ---------------------------------------------------------

    def preview(self, voucher: Voucher) -> dict[str, Any]:
        """The body :meth:`create` sends. Writes nothing and needs no API key: a contact
        that does not exist yet (or cannot be looked for without a key) shows as
        ``"contact": {"would_create": {...}}``, the body ``POST /v1/contacts`` would get,
        in place of ``contactId``, since it is created on transfer."""
        return self.body(voucher, create_contact=False)

    def check(self, voucher: Voucher, policy: Policy) -> list[PermanentError]:
        """What lexoffice would refuse: the body (category, principle, contact, positions)
        and, when the voucher is to be marked as paid, whether that is possible at all."""
        refusals: list[PermanentError] = []
        try:
            self.body(voucher, create_contact=False)
        except PermanentError as error:
            refusals.append(error)
        mismatch = self._small_business_refusal(voucher)
        if mismatch is not None:
            refusals.append(mismatch)
        if policy.mark_paid and voucher.is_paid:
            refusal = self._mark_paid_refusal(voucher)
            if refusal is not None:
                refusals.append(refusal)
        return refusals

    def _small_business_refusal(self, voucher: Voucher) -> PermanentError | None:
        """lexoffice's profile says whether the account is a small business (§ 19 UStG,
        README §5.5); its revenue categories differ, so both sides must agree."""
        if not self.api_key:
            return None
        in_lexoffice = bool(self.profile().get("smallBusiness"))
        in_belegsync = voucher.tax_treatment is TaxTreatment.SMALL_BUSINESS
        if in_lexoffice == in_belegsync:
            return None
        return ConfigError(
            f"Voucher {voucher.number}: the lexoffice account is "
            f"{'' if in_lexoffice else 'not '}set up as a small business (§ 19 UStG), "
            f"the voucher is {'' if in_belegsync else 'not '}one.",
            code="lexoffice.small_business_only_there"
            if in_lexoffice
            else "lexoffice.not_a_small_business_there",
            params={"number": voucher.number},
        )

    def _mark_paid_refusal(self, voucher: Voucher) -> PermanentError | None:
        if not payment_reference(voucher):
            return no_payment_reference(voucher)
        if not self.may_send_payment_hints():
            return hints_not_permitted(voucher)
        return None

    def may_send_payment_hints(self) -> bool:
        """Whether lexoffice takes transaction assignment hints from this key.

        Asked once per adapter with a hint for :data:`NO_VOUCHER`: refused as
        forbidden (403), the key may not; any other refusal (unknown voucher)
        means it may. Nothing is written either way.
        """
        if self._may_hint is None:
            try:
                self.client.transaction_assignment_hint(NO_VOUCHER, "belegsync-probe")
            except PermissionDenied:
                self._may_hint = False
            except PermanentError:
                self._may_hint = True
            else:
                self._may_hint = True
        return self._may_hint

    def find(self, voucher: Voucher) -> RemoteRef | None:
        key = self._key(voucher)
        with self._lock:
            direct = voucher.number in self._uncertain or voucher.number in self._asked
            self._asked.add(voucher.number)
        if direct:
            found = self._lookup(voucher.number).get(key)
            with self._lock:
                self._uncertain.discard(voucher.number)
        else:
            snapshot = self._snapshot(self._date(voucher))
            if snapshot.too_big:
                found = self._lookup(voucher.number).get(key)
            else:
                found = snapshot.entries.get(key)
        if found is None:
            return None
        return RemoteRef(found, url=self.deeplink(found), adopted=True)

    def create(self, voucher: Voucher) -> RemoteRef:
        body = self.body(voucher)
        try:
            result = self.client.create_voucher(body)
        except (NetworkError, ServerError):
            # The voucher may exist now (504 "may have been processed"): ask next time.
            with self._lock:
                self._uncertain.add(voucher.number)
            raise
        except ValidationRejected as error:
            raise self._rejected(voucher, error) from error
        voucher_id = str(result["id"])
        with self._lock:
            snapshot = self._snapshots.get(_week(self._date(voucher))[0])
            if snapshot is not None:
                snapshot.entries[self._key(voucher)] = voucher_id
        return RemoteRef(
            voucher_id,
            url=self.deeplink(voucher_id),
            version=int(result.get("version") or 1),
            facts={"files": []},
        )

    def attach(self, ref: RemoteRef, pdf: bytes, filename: str) -> RemoteRef:
        check_file(pdf, filename)
        try:
            result = self.client.upload_file(ref.remote_id, pdf, filename)
        except ValidationRejected as error:
            error.message = f"lexoffice refused the file {filename}: {error.message}"
            if error.code != "lexoffice.file_type_refused":
                error.recode("lexoffice.file_refused", filename=filename)
            raise
        except NotFound as error:
            raise error.recode("lexoffice.voucher_gone", remote_id=ref.remote_id) from None
        files = [*ref.facts.get("files", []), str(result["id"])]
        return replace(ref, version=None, facts={**ref.facts, "files": list(dict.fromkeys(files))})

    def mark_paid(self, ref: RemoteRef, voucher: Voucher) -> RemoteRef:
        """lexoffice's public API has no way to set 'paid' (README §6). The best real way
        is a transaction assignment hint (partner connections only); anything else fails
        loudly instead of pretending."""
        payments = self.client.payments(ref.remote_id)
        if payments.get("voucherStatus") in ("paid", "paidoff"):
            return replace(ref, facts={**ref.facts, "paid": True})
        reference = payment_reference(voucher)
        if not reference:
            raise no_payment_reference(voucher)
        try:
            self.client.transaction_assignment_hint(ref.remote_id, reference)
        except ValidationRejected as error:
            # A hint from an earlier attempt whose answer was lost (a crash, a dropped
            # connection): lexoffice refuses a second one, and the step is done.
            if "already exists" not in f"{error.message} {error.raw}".lower():
                raise
        except PermissionDenied as error:
            self._may_hint = False
            refusal = hints_not_permitted(voucher)
            refusal.raw, refusal.status = error.raw, error.status
            raise refusal from error
        return replace(ref, facts={**ref.facts, "payment_hint": reference})

    # -- updates (re-upload) -------------------------------------------------------

    def update(self, ref: RemoteRef, voucher: Voucher) -> RemoteRef:
        """Replace the remote voucher's data; keeps its files (an omitted file id on PUT
        deletes the file for good, README §5.1) and retries once on a version conflict."""
        for attempt in range(2):
            try:
                current = self.client.get_voucher(ref.remote_id)
            except NotFound as error:
                raise error.recode("lexoffice.voucher_gone", remote_id=ref.remote_id) from None
            body = self.body(voucher)
            body["files"] = list(current.get("files") or [])
            body["version"] = current["version"]
            try:
                result = self.client.update_voucher(ref.remote_id, body)
            except Conflict:
                if attempt:
                    raise
                continue
            except ValidationRejected as error:
                raise self._rejected(voucher, error) from error
            return replace(
                ref, version=int(result["version"]), facts={**ref.facts, "files": body["files"]}
            )
        raise AssertionError("unreachable")

    # -- credentials -------------------------------------------------------------

    @classmethod
    def check_credentials(cls, context: AdapterContext) -> dict[str, Any]:
        """Ask lexoffice's profile endpoint; raise with a merchant-readable message."""
        target = cls(context)
        try:
            profile = target.profile()
        except AuthError as error:
            error.message = "lexoffice did not accept this API key."
            error.recode("lexoffice.key_refused")
            raise
        except PermissionDenied as error:
            error.message = "lexoffice accepted the key but refused access to the profile."
            error.recode("lexoffice.key_lacks_rights")
            raise
        features = profile.get("businessFeatures") or []
        if "BOOKKEEPING" not in features:
            raise PermissionDenied(
                "The lexoffice plan has no bookkeeping (BOOKKEEPING not in businessFeatures).",
                raw=str(profile)[:500],
                code="lexoffice.plan_lacks_bookkeeping",
            )
        return profile

    # -- helpers -------------------------------------------------------------------

    def _date(self, voucher: Voucher) -> dt.date:
        """The voucherDate lexoffice holds: the booking date the connection chose."""
        return voucher.booking_date(self.document_date)

    def _key(self, voucher: Voucher) -> Key:
        # The date is the one sent as voucherDate, so the look-up matches what create wrote.
        kind = "salescreditnote" if voucher.is_credit_note else "salesinvoice"
        return (voucher.number, kind, self._date(voucher))

    def _rejected(self, voucher: Voucher, error: ValidationRejected) -> ValidationRejected:
        error.message = (
            f"lexoffice rejected voucher {voucher.number}: "
            f"{error.message.removeprefix('lexoffice rejected the voucher: ')}"
        )
        return error

    @staticmethod
    def _entries(page: dict[str, Any]) -> list[tuple[Key, str, dt.datetime]]:
        found = []
        for item in page.get("content") or []:
            number = str(item.get("voucherNumber") or "")
            day = _day(str(item["voucherDate"]))
            created = dt.datetime.fromisoformat(str(item["createdDate"]))
            kind = str(item.get("voucherType"))
            found.append(((number, kind, day), str(item["id"]), created))
            unescaped = html.unescape(number)
            if unescaped != number:
                found.append(((unescaped, kind, day), str(item["id"]), created))
        return found

    def _lookup(self, number: str) -> dict[Key, str]:
        """Direct look-up of one number (exact filter), all pages."""
        result: dict[Key, str] = {}
        page = 0
        while True:
            data = self.client.voucherlist(voucherNumber=number, page=page, size=MAX_PAGE_SIZE)
            for key, voucher_id, _ in self._entries(data):
                if key[0] == number:
                    result.setdefault(key, voucher_id)
            if data.get("last", True):
                return result
            page += 1

    def _snapshot(self, day: dt.date) -> Snapshot:
        monday, sunday = _week(day)
        with self._lock:
            snapshot = self._snapshots.get(monday)
            now = self._clock()
            if snapshot is not None and now - snapshot.loaded_at <= self.snapshot_seconds:
                return snapshot
            fresh = snapshot or Snapshot()
            self._refresh(fresh, monday, sunday)
            fresh.loaded_at = now
            self._snapshots[monday] = fresh
            return fresh

    def _refresh(self, snapshot: Snapshot, monday: dt.date, sunday: dt.date) -> None:
        """Newest created first; stop at what the last refresh already saw (2 s overlap,
        as the list's timestamps have whole seconds)."""
        known = snapshot.newest
        stop_at = known - dt.timedelta(seconds=2) if known else None
        page = 0
        while True:
            data = self.client.voucherlist(
                voucherDateFrom=monday.isoformat(),
                voucherDateTo=sunday.isoformat(),
                sort="createdDate,DESC",
                page=page,
                size=MAX_PAGE_SIZE,
            )
            if int(data.get("totalElements") or 0) > SEARCH_WINDOW:
                snapshot.too_big = True
                return
            entries = self._entries(data)
            for key, voucher_id, created in entries:
                snapshot.entries.setdefault(key, voucher_id)
                if snapshot.newest is None or created > snapshot.newest:
                    snapshot.newest = created
            reached_known = stop_at is not None and any(c < stop_at for _, _, c in entries)
            if data.get("last", True) or reached_known or not entries:
                return
            page += 1

    def _contact_for(self, voucher: Voucher, *, create: bool) -> str:
        party = voucher.party
        name = party.display_name.strip()
        if not name:
            raise ValidationRejected(
                f"Voucher {voucher.number} needs a lexoffice contact, but the buyer has no name.",
                reason=FailureReason.VALIDATION,
                code="lexoffice.contact_without_name",
                params={"number": voucher.number},
            )
        cache_key = (name, party.vat_id or party.customer_number)
        with self._lock:
            if cache_key in self._contacts:
                return self._contacts[cache_key]
        if not create and not self.api_key:
            return WOULD_CREATE
        contact_id = self._search_contact(name, party.vat_id) if len(name) >= 3 else None
        if contact_id is None:
            if not create:
                return WOULD_CREATE
            result = self.client.create_contact(contact_body(voucher))
            contact_id = str(result["id"])
        with self._lock:
            self._contacts[cache_key] = contact_id
        return contact_id

    def _search_contact(self, name: str, vat_id: str) -> str | None:
        data = self.client.search_contacts(name=name, customer="true", size=MAX_PAGE_SIZE)
        for contact in data.get("content") or []:
            company = contact.get("company") or {}
            person = contact.get("person") or {}
            full = " ".join(filter(None, [person.get("firstName"), person.get("lastName")]))
            if name not in (company.get("name"), full):
                continue
            if vat_id and company.get("vatRegistrationId") not in (None, "", vat_id):
                continue
            return str(contact["id"])
        return None


def payment_reference(voucher: Voucher) -> str:
    """The payment provider's transaction id a payment hint needs, if the source has one."""
    return next((p.reference for p in voucher.payments if p.reference), "")


def no_payment_reference(voucher: Voucher) -> ConfigError:
    return ConfigError(
        f"Voucher {voucher.number} cannot be marked as paid in lexoffice: its public API "
        "cannot set a voucher to paid, and the payment has no transaction id belegsync "
        "could hand to lexoffice's payment matching.",
        code="lexoffice.mark_paid_no_reference",
        params={"number": voucher.number},
    )


def hints_not_permitted(voucher: Voucher) -> ConfigError:
    return ConfigError(
        f"Voucher {voucher.number} cannot be marked as paid: lexoffice's public API cannot "
        "set vouchers to paid, and the payment-matching hint is open only to partner (OAuth) "
        "connections, not to this API key.",
        code="lexoffice.mark_paid_not_permitted",
        params={"number": voucher.number},
    )


def contact_body(voucher: Voucher) -> dict[str, Any]:
    """``POST /v1/contacts``: a customer, at most one entry per list (README §5.4)."""
    party = voucher.party
    body: dict[str, Any] = {"version": 0, "roles": {"customer": {}}}
    if party.company:
        company: dict[str, Any] = {"name": party.company}
        if party.vat_id:
            company["vatRegistrationId"] = party.vat_id
            company["allowTaxFreeInvoices"] = True
        body["company"] = company
    else:
        first, _, last = party.name.strip().rpartition(" ")
        body["person"] = {"firstName": first, "lastName": last or party.name}
    if party.country:
        address = {
            "street": party.street,
            "zip": party.zip_code,
            "city": party.city,
            "countryCode": party.country,
        }
        body["addresses"] = {"billing": [{k: v for k, v in address.items() if v}]}
    if party.email:
        body["emailAddresses"] = {"business": [party.email]}
    return body


def check_file(content: bytes, filename: str) -> None:
    """Refuse before sending what lexoffice would refuse (README §5.3)."""
    if len(content) > MAX_FILE_BYTES:
        raise ValidationRejected(
            f"The PDF {filename} is {len(content)} bytes; lexoffice accepts at most 5 MB.",
            reason=FailureReason.VALIDATION,
            code="lexoffice.pdf_too_large",
            params={
                "filename": filename,
                "size_mb": f"{len(content) / 1024 / 1024:.1f}",
                "limit_mb": MAX_FILE_BYTES // (1024 * 1024),
            },
        )
    if not content.startswith(b"%PDF-"):
        raise ValidationRejected(
            f"The file {filename} is not a PDF (it starts with {content[:8]!r}).",
            reason=FailureReason.VALIDATION,
            code="lexoffice.not_a_pdf",
            params={"filename": filename},
        )
