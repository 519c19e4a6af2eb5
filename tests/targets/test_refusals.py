"""Every documented refusal of lexoffice and sevDesk becomes a reason the merchant can act on.

The bodies are the references' own (lexoffice README §4.2–4.4, sevDesk README §1.1):
each maps to its code, permanent where retrying cannot help, and reads in German
with what to do.
"""

from __future__ import annotations

import json

import httpx
import pytest
from django.utils import translation

from belegsync.connectors.errors import (
    Conflict,
    NotFound,
    PermanentError,
    PermissionDenied,
    RetryableError,
    ValidationRejected,
)
from belegsync.reasons import render
from belegsync.targets.lexoffice.adapter import MAX_FILE_BYTES, check_file
from belegsync.targets.lexoffice.client import LexofficeClient
from belegsync.targets.sevdesk.client import SevdeskClient


def issue_list(*issues: tuple[str | None, str], kind: str = "validation_failure") -> dict:
    return {
        "IssueList": [
            {"i18nKey": key, "source": source, "type": kind, "additionalData": None, "args": None}
            for source, key in issues
        ]
    }


def lexoffice_error(status: int, body: dict):
    client = LexofficeClient("key")
    try:
        return client.error_for(httpx.Response(status, json=body))
    finally:
        client.close()


def german(error) -> list[str]:
    with translation.override("de"):
        return [render(reason) for reason in error.reasons]


LEXOFFICE = [
    (406, issue_list(("totalGrossAmount", "x")), "lexoffice.gross_total_mismatch"),
    (406, issue_list(("totalTaxAmount", "x")), "lexoffice.tax_total_mismatch"),
    (406, issue_list(("voucherItems[0].taxAmount", "x")), "lexoffice.item_tax_mismatch"),
    (406, issue_list(("voucherItems[1].taxRatePercent", "x")), "lexoffice.rate_not_allowed"),
    (406, issue_list(("voucherItems[0].categoryId", "x")), "lexoffice.category_not_usable"),
    (406, issue_list(("contactId", "missing_entity")), "lexoffice.contact_not_usable"),
    (406, issue_list(("voucherStatus", "x")), "lexoffice.status_not_writable"),
    (406, issue_list(("voucherDate", "invalid_date_format")), "lexoffice.date_refused"),
    (406, issue_list(("voucherNumber", "missing_entity")), "lexoffice.number_refused"),
    (406, issue_list(("file", "x")), "lexoffice.file_refused"),
    (406, issue_list((None, "inacceptable_file_extension")), "lexoffice.file_type_refused"),
    (
        400,
        issue_list((None, "bad_request_error"), kind="bad_request_error"),
        "lexoffice.bad_request",
    ),
    (406, issue_list(("company.name", "missing_entity")), "lexoffice.field_refused"),
    (406, {"message": "Not Acceptable"}, "lexoffice.refused"),
]


@pytest.mark.parametrize(("status", "body", "code"), LEXOFFICE)
def test_lexoffice_refusals_of_a_voucher_have_their_own_reason(status, body, code):
    error = lexoffice_error(status, body)
    assert isinstance(error, ValidationRejected)
    assert [r.code for r in error.reasons] == [code]
    text = german(error)[0]
    assert "Etwas ist schiefgegangen" not in text
    assert any(way_out in text for way_out in ("zurück", "manuell importiert", "Support"))


def test_lexoffice_names_every_refused_field_once():
    """GIVEN an IssueList with two fields and one of them twice
    WHEN it is read
    THEN the merchant reads one reason per field, in lexoffice's order."""
    body = issue_list(
        ("totalTaxAmount", "a"), ("voucherItems[0].taxAmount", "b"), ("totalTaxAmount", "c")
    )
    error = lexoffice_error(406, body)
    assert [r.code for r in error.reasons] == [
        "lexoffice.tax_total_mismatch",
        "lexoffice.item_tax_mismatch",
    ]


def test_a_lexoffice_500_about_the_contact_role_is_no_outage():
    """The reference documents 500 technical_error contact_is_neither_customer_nor_vendor:
    the same request fails again, so it must not be retried for hours as 'unavailable'."""
    body = issue_list(("contact_is_neither_customer_nor_vendor", "technical_error"))
    error = lexoffice_error(500, body)
    assert isinstance(error, PermanentError) and not isinstance(error, RetryableError)
    assert error.code == "lexoffice.contact_not_customer"
    assert "Rolle „Kunde“" in german(error)[0]
    assert isinstance(lexoffice_error(500, {"message": None}), RetryableError)


@pytest.mark.parametrize(
    ("status", "kind", "code"),
    [
        (402, PermissionDenied, "lexoffice.plan_lacks_bookkeeping"),
        (409, Conflict, "lexoffice.version_conflict"),
        (415, PermanentError, "lexoffice.wrong_format"),
    ],
)
def test_lexoffice_refusals_by_status_have_their_own_reason(status, kind, code):
    error = lexoffice_error(status, {"message": "x"})
    assert isinstance(error, kind) and error.code == code
    assert "Etwas ist schiefgegangen" not in german(error)[0]


def test_a_pdf_lexoffice_would_refuse_is_refused_before_sending_with_its_size():
    with pytest.raises(ValidationRejected) as caught:
        check_file(b"%PDF-" + b"0" * MAX_FILE_BYTES, "RE-1.pdf")
    assert caught.value.code == "lexoffice.pdf_too_large"
    assert german(caught.value) == [
        "Die PDF RE-1.pdf hat 5 MB; lexoffice nimmt höchstens 5 MB je Datei. Mach sie kleiner "
        "(z.\xa0B. ohne eingebettete Bilder) und lade den Beleg dann neu hoch."
    ]
    with pytest.raises(ValidationRejected) as caught:
        check_file(b"<html>", "RE-1.pdf")
    assert caught.value.code == "lexoffice.not_a_pdf"


def sevdesk_error(status: int, code: int | None, message: str = "sevDesk says no"):
    body = {
        "error": {
            "exceptionUUID": "u",
            "message": message,
            "errorCode": 0,
            "code": code,
            "data": [],
            "responseCode": status,
        },
        "objects": None,
    }
    client = SevdeskClient("token")
    try:
        return client.error_for(httpx.Response(status, content=json.dumps(body).encode()))
    finally:
        client.close()


@pytest.mark.parametrize(
    ("status", "code", "kind", "reason"),
    [
        (404, 151, NotFound, "sevdesk.not_found"),
        (409, 159, ValidationRejected, "sevdesk.not_deletable"),
        (400, 90400, ValidationRejected, "sevdesk.not_a_draft"),
        (422, None, ValidationRejected, "sevdesk.refused"),
        (400, None, ValidationRejected, "sevdesk.bad_request"),
        (409, None, ValidationRejected, "sevdesk.conflict"),
    ],
)
def test_sevdesk_refusals_have_their_own_reason_with_sevdesks_words(status, code, kind, reason):
    error = sevdesk_error(status, code)
    assert isinstance(error, kind) and error.code == reason
    text = german(error)[0]
    assert "„sevDesk says no“" in text and "Etwas ist schiefgegangen" not in text
