"""This fake's reading of lexoffice's voucher rules (reference README §5.1, checklist C).

Pure functions from a request body to a list of issues in lexoffice's legacy
form (``{"i18nKey", "source", "type", "additionalData", "args"}``). The exact
i18nKeys for sum, rate and category failures are not documented (unverified,
README §4.3); the keys here are this fake's, and clients must not depend on
them — they map by HTTP status and show the list.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Any

from .data import (
    CATEGORIES_BY_ID,
    DESTINATION_CATEGORIES,
    EU_MEMBER_RATES,
    GERMAN_RATES,
    SMALL_BUSINESS,
)

SALES_TYPES = ("salesinvoice", "salescreditnote")
WRITABLE_STATUSES = (None, "open", "unchecked")
READ_ONLY = ("id", "organizationId", "createdDate", "updatedDate")
ALLOWED_FIELDS = frozenset(
    {
        "type",
        "voucherStatus",
        "voucherNumber",
        "voucherDate",
        "shippingDate",
        "dueDate",
        "totalGrossAmount",
        "totalTaxAmount",
        "taxType",
        "useCollectiveContact",
        "contactId",
        "contactName",
        "remark",
        "voucherItems",
        "files",
        "version",
        *READ_ONLY,
    }
)
ITEM_FIELDS = ("amount", "taxAmount", "taxRatePercent", "categoryId")
_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
CENT = Decimal("0.01")


def issue(key: str, source: str | None, kind: str = "validation_failure") -> dict[str, Any]:
    return {"i18nKey": key, "source": source, "type": kind, "additionalData": None, "args": None}


@dataclass(frozen=True)
class Profile:
    """The parts of the account's profile that change validation."""

    distance_sales_principle: str | None = "DESTINATION"
    small_business: bool = False


@dataclass(frozen=True)
class Strictness:
    """Switches for behaviours the reference marks unverified (checklist 23, 25, 19)."""

    #: Allowed difference between a total and the sum of the items (default exact).
    sum_tolerance: Decimal = Decimal("0.00")
    #: Check each item's tax against amount × rate (off by default, undocumented).
    check_item_tax: bool = False
    #: Accept ``version: 1`` on POST (the docs say both 0 and 1).
    accept_post_version_one: bool = True
    #: Accept an item with a negative ``amount`` or ``taxAmount``. The reference says
    #: nothing (the voucher type carries the direction, README §5.1); off by default,
    #: the stricter reading, which belegsync's mapping keeps (it never sends one).
    allow_negative_items: bool = False


def money(value: Any) -> Decimal | None:
    """A JSON number (or numeric string) as Decimal; None when it is not one."""
    if isinstance(value, bool) or not isinstance(value, int | float | str):
        return None
    try:
        amount = Decimal(str(value))
    except InvalidOperation:
        return None
    return amount if amount.is_finite() else None


def is_date(value: Any) -> bool:
    if not isinstance(value, str) or not _DATE.match(value):
        return False
    try:
        dt.date.fromisoformat(value)
    except ValueError:
        return False
    return True


def check_voucher(
    body: Any,
    *,
    contacts: dict[str, dict[str, Any]],
    profile: Profile,
    strict: Strictness,
    creating: bool,
) -> list[dict[str, Any]]:
    """All issues of a voucher body; an empty list means lexoffice would book it."""
    if not isinstance(body, dict):
        return [issue("bad_request_error", None, "bad_request_error")]
    issues: list[dict[str, Any]] = []
    for name in body:
        if name not in ALLOWED_FIELDS:
            issues.append(issue("unknown_field", name))
    if creating:
        for name in READ_ONLY:
            if name in body:
                issues.append(issue("read_only_field", name))
        version = body.get("version")
        if version not in (None, 0) and not (version == 1 and strict.accept_post_version_one):
            issues.append(issue("invalid_value", "version"))
    status = body.get("voucherStatus")
    if status not in WRITABLE_STATUSES:
        issues.append(issue("invalid_voucher_status", "voucherStatus"))
    unchecked = status == "unchecked"
    if body.get("type") is None:
        issues.append(issue("missing_entity", "type"))
    elif body["type"] not in SALES_TYPES:
        issues.append(issue("invalid_voucher_type", "type"))
    tax_type = body.get("taxType")
    if tax_type is None:
        issues.append(issue("missing_entity", "taxType"))
    elif tax_type not in ("gross", "net"):
        issues.append(issue("invalid_value", "taxType"))
    elif tax_type == "net" and unchecked:
        issues.append(issue("net_vouchers_cannot_be_unchecked", "taxType"))
    if not unchecked:
        for name in ("voucherNumber", "voucherDate", "totalGrossAmount", "totalTaxAmount"):
            if body.get(name) in (None, ""):
                issues.append(issue("missing_entity", name))
    if body.get("voucherNumber") is not None and not isinstance(body["voucherNumber"], str):
        issues.append(issue("invalid_value", "voucherNumber"))
    for name in ("voucherDate", "shippingDate", "dueDate"):
        if body.get(name) is not None and not is_date(body[name]):
            issues.append(issue("invalid_date_format", name))
    issues += _check_contact(body, contacts)
    items = body.get("voucherItems")
    if not unchecked and (not isinstance(items, list) or not items):
        issues.append(issue("missing_entity", "voucherItems"))
    if isinstance(items, list):
        issues += _check_items(body, items, profile, strict)
    return issues


def _check_contact(
    body: dict[str, Any], contacts: dict[str, dict[str, Any]]
) -> list[dict[str, Any]]:
    collective = body.get("useCollectiveContact")
    if collective is not None and not isinstance(collective, bool):
        return [issue("invalid_value", "useCollectiveContact")]
    if collective:
        return []
    contact_id = body.get("contactId")
    if not contact_id:
        return [issue("missing_entity", "contactId")]
    contact = contacts.get(str(contact_id))
    if contact is None:
        return [issue("missing_entity", "contactId")]
    if "customer" not in contact.get("roles", {}):
        return [issue("contact_is_not_customer", "contactId")]
    return []


def _check_items(
    body: dict[str, Any], items: list[Any], profile: Profile, strict: Strictness
) -> list[dict[str, Any]]:
    issues: list[dict[str, Any]] = []
    sum_amount = Decimal(0)
    sum_tax = Decimal(0)
    complete = True
    rates_by_category: dict[str, set[Decimal]] = {}
    for index, item in enumerate(items):
        where = f"voucherItems[{index}]"
        if not isinstance(item, dict):
            issues.append(issue("missing_entity", where))
            complete = False
            continue
        for name in item:
            if name not in ITEM_FIELDS:
                issues.append(issue("unknown_field", f"{where}.{name}"))
        for name in ITEM_FIELDS:
            if item.get(name) is None:
                issues.append(issue("missing_entity", f"{where}.{name}"))
                complete = False
        amount = money(item.get("amount"))
        tax = money(item.get("taxAmount"))
        rate = money(item.get("taxRatePercent"))
        for name, value in (("amount", amount), ("taxAmount", tax)):
            if item.get(name) is not None and (value is None or value != value.quantize(CENT)):
                issues.append(issue("invalid_amount", f"{where}.{name}"))
                complete = False
        category_id = item.get("categoryId")
        category = CATEGORIES_BY_ID.get(str(category_id)) if category_id else None
        if category_id and (category is None or category["type"] != "income"):
            issues.append(issue("missing_entity", f"{where}.categoryId"))
        if rate is not None and category is not None:
            issues += _check_rate(where, rate, category["id"], profile)
            rates_by_category.setdefault(category["id"], set()).add(rate)
        if (
            category is not None
            and category["contactRequired"]
            and body.get("useCollectiveContact")
        ):
            issues.append(issue("contact_required_for_category", f"{where}.categoryId"))
        if amount is None or tax is None:
            complete = False
            continue
        if not strict.allow_negative_items:
            for name, value in (("amount", amount), ("taxAmount", tax)):
                if value < 0:
                    issues.append(issue("negative_amount", f"{where}.{name}"))
        sum_amount += amount
        sum_tax += tax
        if strict.check_item_tax and rate is not None:
            issues += _check_item_tax(where, amount, tax, rate, body.get("taxType"))
    for category_id, rates in rates_by_category.items():
        if not CATEGORIES_BY_ID[category_id]["splitAllowed"] and len(rates) > 1:
            issues.append(issue("category_split_not_allowed", "voucherItems"))
    if complete:
        issues += _check_sums(body, sum_amount, sum_tax, strict)
    return issues


def _check_rate(
    where: str, rate: Decimal, category_id: str, profile: Profile
) -> list[dict[str, Any]]:
    """0/5/7/16/19 everywhere; other EU rates only on DESTINATION categories (checklist 26).

    Small business (README §5.5, the profile's ``smallBusiness``): its revenue is
    "Einnahmen als Kleinunternehmer" at 0 %, and that category is for small businesses
    only (**assumed**: lexoffice's reference names the category for them, not what it
    answers otherwise; the double refuses both ways).
    """
    if (category_id == SMALL_BUSINESS) != profile.small_business:
        return [issue("small_business_category_mismatch", f"{where}.categoryId")]
    if category_id == SMALL_BUSINESS and rate != 0:
        return [issue("invalid_tax_rate", f"{where}.taxRatePercent")]
    if rate in GERMAN_RATES and category_id not in DESTINATION_CATEGORIES:
        return []
    if category_id in DESTINATION_CATEGORIES:
        if profile.distance_sales_principle != "DESTINATION":
            return [issue("distance_sales_principle_not_destination", f"{where}.categoryId")]
        if rate in EU_MEMBER_RATES:
            return []
    return [issue("invalid_tax_rate", f"{where}.taxRatePercent")]


def _check_item_tax(
    where: str, amount: Decimal, tax: Decimal, rate: Decimal, tax_type: Any
) -> list[dict[str, Any]]:
    base = rate + 100 if tax_type == "gross" else Decimal(100)
    expected = (amount * rate / base).quantize(CENT)
    if abs(expected - tax) > CENT:
        return [issue("invalid_tax_amount", f"{where}.taxAmount")]
    return []


def _check_sums(
    body: dict[str, Any], sum_amount: Decimal, sum_tax: Decimal, strict: Strictness
) -> list[dict[str, Any]]:
    issues: list[dict[str, Any]] = []
    total_gross = money(body.get("totalGrossAmount"))
    total_tax = money(body.get("totalTaxAmount"))
    for name, value in (("totalGrossAmount", total_gross), ("totalTaxAmount", total_tax)):
        if body.get(name) is not None and (value is None or value != value.quantize(CENT)):
            issues.append(issue("invalid_amount", name))
    if total_tax is not None and abs(total_tax - sum_tax) > strict.sum_tolerance:
        issues.append(issue("total_tax_amount_mismatch", "totalTaxAmount"))
    expected_gross = sum_amount if body.get("taxType") == "gross" else sum_amount + sum_tax
    if total_gross is not None and abs(total_gross - expected_gross) > strict.sum_tolerance:
        issues.append(issue("total_gross_amount_mismatch", "totalGrossAmount"))
    return issues


def check_contact(body: Any) -> list[dict[str, Any]]:
    """``POST /v1/contacts`` rules (checklist 52)."""
    if not isinstance(body, dict):
        return [issue("bad_request_error", None, "bad_request_error")]
    issues: list[dict[str, Any]] = []
    if body.get("version") != 0:
        issues.append(issue("invalid_value", "version"))
    roles = body.get("roles")
    if not isinstance(roles, dict) or not roles:
        issues.append(issue("missing_entity", "roles"))
    person, company = body.get("person"), body.get("company")
    if (person is None) == (company is None):
        issues.append(issue("missing_entity", "person/company"))
    if isinstance(person, dict):
        if not person.get("lastName"):
            issues.append(issue("missing_entity", "person.lastName"))
        if len(str(person.get("salutation") or "")) > 25:
            issues.append(issue("invalid_value", "person.salutation"))
    if isinstance(company, dict) and not company.get("name"):
        issues.append(issue("missing_entity", "company.name"))
    for group in ("addresses", "emailAddresses", "phoneNumbers"):
        for kind, entries in (body.get(group) or {}).items():
            if isinstance(entries, list) and len(entries) > 1:
                issues.append(issue("invalid_value", f"{group}.{kind}"))
            if group == "addresses" and isinstance(entries, list):
                for index, address in enumerate(entries):
                    if not (isinstance(address, dict) and address.get("countryCode")):
                        issues.append(
                            issue("missing_entity", f"addresses.{kind}[{index}].countryCode")
                        )
    if len(str(body.get("note") or "")) > 1000:
        issues.append(issue("invalid_value", "note"))
    return issues
