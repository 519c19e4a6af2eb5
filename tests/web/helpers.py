"""Documents in a given state for the web tests, stored the way the engine stores them."""

from __future__ import annotations

from typing import Any

from belegsync.bookkeeping import voucher_to_dict
from belegsync.documents.models import Connection, Document
from tests.conftest import make_voucher


def make_document(
    connection: Connection, number: str = "RE-1001", state: str = "waiting", **fields: Any
) -> Document:
    voucher_fields = fields.pop("voucher_fields", {})
    voucher = make_voucher(number, **voucher_fields)
    defaults: dict[str, Any] = {
        "connection": connection,
        "source_number": number,
        "kind": voucher.kind.value,
        "invoice_date": voucher.invoice_date,
        "currency": voucher.currency,
        "total_net": voucher.total_net,
        "total_gross": voucher.total_gross,
        "voucher": voucher_to_dict(voucher),
        "state": state,
    }
    defaults.update(fields)
    return Document.objects.create(**defaults)


def failed(connection: Connection, number: str = "RE-1001", **fields: Any) -> Document:
    fields.setdefault("failure_reason", "rejected")
    fields.setdefault(
        "failure_details",
        [{"code": "remote.rejected", "params": {"system": "lexoffice", "remote_message": "x"}}],
    )
    fields.setdefault("raw_error", '{"IssueList": [{"i18nKey": "missing_entity"}]}')
    return make_document(connection, number, "failed", **fields)
