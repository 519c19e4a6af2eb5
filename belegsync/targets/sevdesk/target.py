"""The sevDesk target: vouchers with PDF, payments on manual accounts, customers.

One transfer, in requests (reference ``sevdesk/README.md`` §3, §4):

1. find: ``GET /Voucher?descriptionLike=<number>`` and compare ``description``
   exactly (the filter is a substring match);
2. create: ``POST /Voucher/Factory/saveVoucher`` as an open voucher (100);
3. attach: ``POST uploadTempFile``, then ``resetToDraft`` and ``saveVoucher``
   again with ``filename`` and status 100 (sevDesk attaches files only while
   saving a draft). :meth:`create_with_pdf` does 2+3 in two requests;
4. mark paid: ``PUT /Voucher/{id}/bookAmount`` on the manual account mapped to
   the payment method.

Once per adapter (not per voucher): the bookkeeping system version, the
revenue guidance (to refuse account/rule/rate combinations before sevDesk
does) and the check accounts.
"""

from __future__ import annotations

import hashlib
import logging
from decimal import Decimal
from typing import Any, ClassVar

from django.utils.translation import gettext_lazy as _

from belegsync.bookkeeping import Voucher
from belegsync.bookkeeping.currency import in_euros
from belegsync.bookkeeping.money import ZERO
from belegsync.connectors.base import AccountChoice, AdapterContext, RemoteRef
from belegsync.connectors.errors import (
    ConfigError,
    Conflict,
    ConnectorError,
    PermanentError,
    ValidationRejected,
)
from belegsync.connectors.ratelimit import Rate
from belegsync.connectors.settings import Policy

from . import mapping
from .client import CODE_ALREADY_PAID, SevdeskClient, sevdesk_code
from .settings import SevdeskSettings

log = logging.getLogger("belegsync.targets.sevdesk")

RATE_TOKENS = {"ZERO": Decimal(0), "SEVEN": Decimal(7), "NINETEEN": Decimal(19)}
#: Check account types a payment can be booked on without a bank transaction.
MANUAL_TYPES = frozenset({"offline", "register"})
#: Germany's StaticCountry id; others are not documented, so addresses abroad are skipped.
COUNTRY_IDS = {"DE": 1}
ADDRESS_CATEGORY = 47


def client_for(credentials: dict[str, Any] | Any, **kwargs: Any) -> SevdeskClient:
    token = str(credentials.get("api_token", ""))
    key = hashlib.sha256(token.encode()).hexdigest()[:16]
    return SevdeskClient(token, limiter_key=f"sevdesk:{key}", **kwargs)


def rejected(voucher: Voucher, error: ConnectorError) -> ConnectorError:
    """A sevDesk refusal in a merchant's words, with sevDesk's own words and raw body."""
    if not isinstance(error, ValidationRejected):
        return error
    said = error.message.split(": ", 1)[-1]
    return ValidationRejected(
        f"sevDesk refused voucher {voucher.number}: {said}",
        raw=error.raw,
        status=error.status,
        code=error.code,
        params=dict(error.params),
    )


class SevdeskTarget:
    identifier: ClassVar[str] = "sevdesk"
    verbose_name: ClassVar[str] = "sevDesk"
    #: sevDesk publishes no limit; none was hit at 18 req/s sequential. 5/s keeps a margin
    #: (reference §1.2 recommendation).
    rate: ClassVar[Rate] = Rate(per_second=5, burst=5)
    #: Its UI part (forms.py), named by path: the core imports no Django forms.
    credentials_form: ClassVar[str] = "forms.SevdeskCredentialsForm"
    settings_model: ClassVar[type[SevdeskSettings]] = SevdeskSettings
    policy_fields: ClassVar[tuple[str, ...]] = (
        "mark_paid",
        "customer_per_buyer",
        "unassigned_to_default",
        "document_date",
    )
    policy_help: ClassVar[dict[str, Any]] = {
        "customer_per_buyer": _(
            "An existing customer is reused: same customer number, else same e-mail."
        ),
    }
    #: Payments are booked on a (manual) account per payment method: a connection that
    #: sends vouchers as paid needs that mapping before it syncs.
    books_payments_on_accounts: ClassVar[bool] = True

    def __init__(self, context: AdapterContext, **client_kwargs: Any) -> None:
        self.context = context
        self.settings = context.settings_as(SevdeskSettings)
        self.policy = context.policy
        self.client = client_for(context.credentials, limiter=context.limiter, **client_kwargs)
        self.plan = mapping.AccountPlan.from_settings(self.settings.sevdesk_accounts)
        self.app_url = str(self.client.http.base_url)
        self._allowed: set[tuple[int, int, Decimal]] | None = None
        self._accounts: list[dict[str, Any]] | None = None
        self._emails: dict[str, int] | None = None

    # -- set-up (classmethods the web UI calls) -------------------------------------

    @classmethod
    def check_credentials(cls, context: AdapterContext) -> None:
        """Raise AuthError for a wrong token, ConfigError for an old bookkeeping system."""
        client = client_for(context.credentials)
        try:
            cls._require_v2(client.bookkeeping_version())
        finally:
            client.close()

    @classmethod
    def account_choices(cls, context: AdapterContext) -> list[AccountChoice]:
        """The manual (offline/register) check accounts a payment method can map to.

        Online accounts are left out on purpose: sevDesk books a payment on an
        online account only against an imported bank transaction
        (``checkAccountTransaction``), and refuses transactions created by API
        on them; belegsync has no such transaction and must not invent one.
        """
        client = client_for(context.credentials)
        try:
            accounts = client.check_accounts()
        finally:
            client.close()
        return [
            AccountChoice(str(a["id"]), cls._account_label(a))
            for a in accounts
            if a.get("type") in MANUAL_TYPES and str(a.get("status")) == "100"
        ]

    @staticmethod
    def _account_label(account: dict[str, Any]) -> str:
        name = str(account.get("name") or account["id"])
        is_base = str(account.get("baseAccount")) == "1" and "Basiskonto" not in name
        return f"{name} (Basiskonto)" if is_base else name

    @staticmethod
    def _require_v2(version: str) -> None:
        if version != "2.0":
            raise ConfigError(
                f"This sevDesk account still uses bookkeeping system {version}, not 2.0.",
                code="sevdesk.bookkeeping_v1",
                params={"version": version},
            )

    # -- preflight, once per adapter --------------------------------------------------

    def _check_combinations(self, voucher: Voucher, body: dict[str, Any]) -> None:
        if self._allowed is None:
            self._require_v2(self.client.bookkeeping_version())
            self._allowed = {
                (int(entry["accountDatevId"]), int(rule["id"]), RATE_TOKENS[token])
                for entry in self.client.revenue_guidance()
                for rule in entry.get("allowedTaxRules", [])
                for token in rule.get("taxRates", [])
                if token in RATE_TOKENS
            }
        rule = int(body["voucher"]["taxRule"]["id"])
        # positions are per (rate, account), not the voucher's lines: name them as such
        for index, pos in enumerate(body["voucherPosSave"]):
            combo = (int(pos["accountDatev"]["id"]), rule, Decimal(pos["taxRate"]))
            if combo not in self._allowed:
                # the rule and rate allowed on no account: the account's tax setting is
                # the cause (small business or not), not the revenue account chosen
                elsewhere = any(r == rule and t == combo[2] for _, r, t in self._allowed)
                small_business = rule == mapping.RULE_SMALL_BUSINESS or (
                    combo[2] != 0 and not elsewhere
                )
                raise ConfigError(
                    f"Voucher {voucher.number}, position {index + 1}: sevDesk does not allow "
                    f"account {combo[0]} with tax rule {rule} at {pos['taxRate']} %. "
                    + (
                        "Your sevDesk account is set up as a small business "
                        "(Kleinunternehmer) or the other way round; check the tax "
                        "settings in sevDesk."
                        if small_business
                        else "Choose another revenue account in the connection settings."
                    ),
                    code="sevdesk.small_business_mismatch"
                    if small_business
                    else "sevdesk.account_not_allowed",
                    params={"position": index + 1, "account": str(combo[0]), "rate": combo[2]},
                )

    def _check_accounts(self) -> list[dict[str, Any]]:
        if self._accounts is None:
            self._accounts = self.client.check_accounts()
        return self._accounts

    # -- Target protocol -----------------------------------------------------------------

    def preview(self, voucher: Voucher) -> dict[str, Any]:
        """The exact saveVoucher body ``create`` sends; sends nothing.

        With "create customers" on, ``create`` puts the found or created
        contact into ``voucher.supplier``; the preview cannot know its id and
        leaves it ``null`` (``supplierName`` is the same either way).
        """
        return self._body(voucher)

    def check(self, voucher: Voucher, policy: Policy) -> list[PermanentError]:
        """What sevDesk would refuse: the body (treatment, rates, currency), the
        account/rule/rate combinations of its guidance, and, when the voucher is to be
        marked as paid, an account for every payment."""
        refusals: list[PermanentError] = []
        try:
            self._check_combinations(voucher, self._body(voucher))
        except PermanentError as error:
            refusals.append(error)
        if policy.mark_paid and voucher.is_paid:
            for payment in voucher.payments:
                try:
                    self._account_for(voucher, payment.method, policy)
                except PermanentError as error:
                    refusals.append(error)
        return refusals

    def _body(
        self, voucher: Voucher, supplier_id: int | None = None, filename: str | None = None
    ) -> dict[str, Any]:
        return mapping.save_voucher_body(
            voucher,
            plan=self.plan,
            supplier_id=supplier_id,
            date_choice=str(self.policy.document_date),
            filename=filename,
        )

    def find(self, voucher: Voucher) -> RemoteRef | None:
        """The voucher with exactly this number (and direction), if sevDesk has it."""
        for found in self.client.vouchers_by_description(voucher.number):
            if found.get("description") != voucher.number:
                continue  # descriptionLike is a substring match
            negative = Decimal(str(found.get("sumGross") or 0)) < 0
            if negative != voucher.is_credit_note:
                continue
            return self._ref(found, adopted=True)
        return None

    def create(self, voucher: Voucher) -> RemoteRef:
        return self._save(voucher, filename=None)

    def create_with_pdf(self, voucher: Voucher, pdf: bytes, filename: str) -> RemoteRef:
        """Create the voucher with its PDF attached: upload + one saveVoucher."""
        self._check_combinations(voucher, self._body(voucher))  # before uploading anything
        temp = self.client.upload_temp_file(pdf, filename)
        return self._save(voucher, filename=temp)

    def _save(self, voucher: Voucher, filename: str | None) -> RemoteRef:
        body = self._body(voucher, filename=filename)
        self._check_combinations(voucher, body)
        if self.policy.customer_per_buyer:
            body = self._body(voucher, self._customer(voucher), filename)
        try:
            result = self.client.save_voucher(body)
        except ValidationRejected as error:
            raise rejected(voucher, error) from error
        positions = [
            {**sent, "id": int(got["id"])}
            for sent, got in zip(body["voucherPosSave"], result["voucherPos"], strict=False)
        ]
        return self._ref(result["voucher"], header=body["voucher"], positions=positions)

    def attach(self, ref: RemoteRef, pdf: bytes, filename: str) -> RemoteRef:
        if ref.facts.get("has_document"):
            return ref
        status = str(ref.facts.get("status", ""))
        if status in ("750", "1000"):
            number = str(ref.facts.get("description") or ref.remote_id)
            raise Conflict(
                f"The voucher {number} is already (partly) paid in sevDesk and has no PDF.",
                code="sevdesk.paid_without_pdf",
                params={"number": number},
            )
        temp = self.client.upload_temp_file(pdf, filename)
        header, positions = self._draft_state(ref)
        if status != "50":
            self._reset_to_draft(ref)
        body = {
            "voucher": {**header, "id": int(ref.remote_id), "status": 100},
            "voucherPosSave": positions,
            "voucherPosDelete": None,
            "filename": temp,
        }
        result = self.client.save_voucher(body)
        return self._ref(result["voucher"], header=header, positions=positions)

    def _reset_to_draft(self, ref: RemoteRef) -> None:
        try:
            self.client.reset_to_draft(ref.remote_id)
        except PermanentError:
            # A retried attach may find it a draft already (the save after the reset failed).
            if str(self.client.voucher(ref.remote_id).get("status")) != "50":
                raise

    def _draft_state(self, ref: RemoteRef) -> tuple[dict[str, Any], list[dict[str, Any]]]:
        """Header and positions to re-save: as sent, or read back for an adopted voucher."""
        header = ref.facts.get("header")
        positions = ref.facts.get("positions")
        if header and positions:
            return dict(header), [dict(p) for p in positions]
        voucher = self.client.voucher(ref.remote_id)
        header = {
            "objectName": "Voucher",
            "mapAll": True,
            "voucherDate": voucher["voucherDate"],
            "deliveryDate": voucher.get("deliveryDate") or voucher["voucherDate"],
            "supplier": voucher.get("supplier"),
            "supplierName": voucher.get("supplierName"),
            "description": voucher.get("description"),
            "status": 100,
            "creditDebit": voucher["creditDebit"],
            "voucherType": voucher.get("voucherType") or "VOU",
            "taxRule": voucher["taxRule"],
            "currency": voucher.get("currency") or "EUR",
        }
        positions = []
        for pos in self.client.voucher_positions(ref.remote_id):
            net = str(pos.get("net")) == "1"
            positions.append(
                {
                    "id": int(pos["id"]),
                    "objectName": "VoucherPos",
                    "mapAll": True,
                    "accountDatev": {
                        "id": int(pos["accountDatev"]["id"]),
                        "objectName": "AccountDatev",
                    },
                    "taxRate": pos["taxRate"],
                    "net": net,
                    ("sumNet" if net else "sumGross"): pos["sumNet" if net else "sumGross"],
                    "comment": pos.get("comment"),
                    "isAsset": str(pos.get("isAsset")) == "1",
                }
            )
        return header, positions

    def mark_paid(self, ref: RemoteRef, voucher: Voucher) -> RemoteRef:
        """Book the voucher's payments on the manual accounts mapped to their methods.

        The engine calls this only when the policy says payments are
        reconciled in the source (``Policy.mark_paid``); "payment
        reconciliation in sevDesk" leaves the voucher open for the merchant to
        match the bank transaction there.
        """
        if str(ref.facts.get("status")) == "1000" or not voucher.payments:
            return ref
        voucher = in_euros(voucher)  # booked in euros: its payments are too
        already = Decimal(str(ref.facts.get("paid_amount") or 0))
        if len(voucher.payments) > 1:
            # Several bookings: a retry must not repeat the ones already made.
            already = abs(Decimal(str(self.client.voucher(ref.remote_id).get("paidAmount") or 0)))
        booked = ZERO
        status = str(ref.facts.get("status", "100"))
        for payment in voucher.payments:
            booked += payment.amount
            if booked <= already:
                continue
            account = self._account_for(voucher, payment.method)
            body = mapping.book_amount_body(
                voucher,
                payment.amount,
                payment.date or voucher.payment_date or voucher.invoice_date,
                account,
                full=booked >= voucher.total_gross,
            )
            try:
                status = str(self.client.book_amount(ref.remote_id, body)["toStatus"])
            except ValidationRejected as error:
                if sevdesk_code(error) != CODE_ALREADY_PAID:
                    raise rejected(voucher, error) from error
                status = "1000"  # an earlier attempt booked it; sevDesk says it is paid
        return RemoteRef(
            ref.remote_id,
            url=ref.url,
            adopted=ref.adopted,
            facts={**ref.facts, "status": status},
        )

    def _account_for(self, voucher: Voucher, method: str, policy: Policy | None = None) -> int:
        mapped = (policy or self.policy).payment_accounts.account_for(method)
        if mapped == "":
            mapped = self._base_account()
        if not mapped:
            raise ConfigError(
                f"Voucher {voucher.number} was paid by '{method}', which is not assigned to "
                "a manual sevDesk account. Assign it in the connection's account settings, "
                "or switch on 'book unassigned payments as standard payment'.",
                code="sevdesk.payment_not_mapped",
                params={"method": method},
            )
        account = next((a for a in self._check_accounts() if str(a["id"]) == str(mapped)), None)
        if account is None or str(account.get("status")) != "100":
            raise ConfigError(
                f"The sevDesk account {mapped} mapped to '{method}' no longer exists or is "
                "archived. Choose another account in the connection settings.",
                code="sevdesk.payment_account_gone",
                params={"method": method, "account": str(mapped)},
            )
        if account.get("type") not in MANUAL_TYPES:
            raise ConfigError(
                f"The sevDesk account '{account.get('name')}' mapped to '{method}' is a real "
                "bank account; belegsync can book payments only on manual accounts. Create "
                "a manual account (e.g. 'PayPal BB') in sevDesk and map it instead.",
                code="sevdesk.payment_account_not_manual",
                params={"method": method, "account": str(account.get("name") or mapped)},
            )
        return int(account["id"])

    def _base_account(self) -> str:
        for account in self._check_accounts():
            if str(account.get("baseAccount")) == "1":
                return str(account["id"])
        return ""

    # -- customers ---------------------------------------------------------------------

    def _customer(self, voucher: Voucher) -> int:
        """An existing customer by customer number, then by e-mail; else a new one."""
        party = voucher.party
        if party.customer_number:
            for contact in self.client.contacts_by_customer_number(party.customer_number):
                if contact.get("customerNumber") == party.customer_number:
                    return int(contact["id"])
        email = party.email.strip().lower()
        if email:
            if self._emails is None:
                self._emails = {
                    str(way["value"]).strip().lower(): int(way["contact"]["id"])
                    for way in self.client.email_ways()
                }
            if email in self._emails:
                return self._emails[email]
        number = party.customer_number or self.client.next_customer_number()
        contact = self.client.create_contact(mapping.contact_body(voucher, number))
        contact_id = int(contact["id"])
        country = COUNTRY_IDS.get(party.country)
        if country and (party.street or party.city):
            self.client.create_address(
                {
                    "contact": {"id": contact_id, "objectName": "Contact"},
                    "street": party.street,
                    "zip": party.zip_code,
                    "city": party.city,
                    "country": {"id": country, "objectName": "StaticCountry"},
                    "category": {"id": ADDRESS_CATEGORY, "objectName": "Category"},
                }
            )
        if email:
            self.client.create_communication_way(
                {
                    "contact": {"id": contact_id, "objectName": "Contact"},
                    "type": "EMAIL",
                    "value": party.email.strip(),
                    "key": {"id": 8, "objectName": "CommunicationWayKey"},
                    "main": True,
                }
            )
            if self._emails is not None:
                self._emails[email] = contact_id
        return contact_id

    # -- helpers ----------------------------------------------------------------------

    def _ref(
        self,
        found: dict[str, Any],
        *,
        adopted: bool = False,
        header: dict[str, Any] | None = None,
        positions: list[dict[str, Any]] | None = None,
    ) -> RemoteRef:
        facts: dict[str, Any] = {
            "status": str(found.get("status")),
            "has_document": bool(found.get("document")),
            "paid_amount": str(found.get("paidAmount") or 0),
            "description": found.get("description"),
        }
        if header is not None and positions is not None:
            facts["header"] = header
            facts["positions"] = positions
        return RemoteRef(
            str(found["id"]), url=self.voucher_url(str(found["id"])), adopted=adopted, facts=facts
        )

    def voucher_url(self, voucher_id: str) -> str:
        """Deep link into sevDesk's web app (URL scheme unverified)."""
        root = self.app_url.split("/api/", 1)[0]
        return f"{root}/#/ex/detail/id/{voucher_id}"
