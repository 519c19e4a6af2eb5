"""``belegsync preview``: the stable interface other tools read (docs/cli.md)."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command

from belegsync.documents.models import Connection
from belegsync.fakes.lexoffice import build as lexoffice_fake
from tests.reference import REFERENCE

AFTERBUY_CSV = REFERENCE / "afterbuy" / "examples" / "rechnungsliste_synthesised_utf8.csv"
BILLBEE_PAGE = REFERENCE / "billbee" / "examples" / "get_orders_page.json"


def preview(*args: str) -> list[dict]:
    out = io.StringIO()
    call_command("preview", *args, stdout=out)
    return json.loads(out.getvalue())


def numbers_in_file(path: Path) -> list[str]:
    with path.open(encoding="utf-8-sig") as handle:
        return [row["Rechnungsnummer"] for row in csv.DictReader(handle, delimiter=";")]


@pytest.mark.django_db
def test_it_prints_one_object_per_document_in_file_order():
    entries = preview("--source", "afterbuy-csv", "--target", "lexoffice", str(AFTERBUY_CSV))
    assert [e["document"] for e in entries] == numbers_in_file(AFTERBUY_CSV)
    for entry in entries:
        assert set(entry) in ({"document", "request"}, {"document", "errors"})
    first = entries[0]["request"]
    assert first["type"] == "salesinvoice"
    assert first["voucherNumber"] == "24187"
    assert first["totalGrossAmount"] == 91.5 or str(first["totalGrossAmount"]) == "91.50"


@pytest.mark.django_db
def test_the_request_is_exactly_what_the_target_would_receive(run_fake, org):
    fake = run_fake(lexoffice_fake(["--api-key", "k"]))
    Connection.objects.create(
        organisation=org,
        name="CSV → lexoffice",
        source_kind="afterbuy_csv",
        target_kind="lexoffice",
        settings={},
    )
    entries = preview(
        "--source",
        "afterbuy-csv",
        "--target",
        "lexoffice",
        "--connection",
        "CSV → lexoffice",
        str(AFTERBUY_CSV),
    )
    assert entries
    assert fake.app.requests == [], "preview sends nothing"


@pytest.mark.django_db
def test_billbee_orders_preview_into_sevdesk():
    entries = preview("--source", "billbee-json", "--target", "sevdesk", str(BILLBEE_PAGE))
    orders = json.loads(BILLBEE_PAGE.read_text())["Data"]
    assert len(entries) == len(orders)
    requests = [e["request"] for e in entries if "request" in e]
    assert requests, entries
    assert all("voucher" in r and "voucherPosSave" in r for r in requests)


@pytest.mark.django_db
def test_a_file_that_cannot_be_read_fails_with_its_reason(tmp_path):
    junk = tmp_path / "junk.csv"
    junk.write_bytes(b"\x00\x01\x02 not a csv \xff\xfe")
    with pytest.raises(CommandError, match=r"junk\.csv"):
        preview("--source", "afterbuy-csv", "--target", "lexoffice", str(junk))
    with pytest.raises(CommandError, match="cannot be read"):
        preview("--source", "billbee-json", "--target", "sevdesk", str(tmp_path / "missing"))


@pytest.mark.django_db
def test_a_named_connections_policy_applies_as_when_it_sends(org):
    """GIVEN a connection whose merchant is a small business (§ 19) WHEN its file is
    previewed with it THEN an invoice that shows VAT is an error, as the engine would
    hold it; without the connection the same invoice previews as a body."""
    Connection.objects.create(
        organisation=org,
        name="Kleinunternehmer",
        source_kind="afterbuy_csv",
        target_kind="lexoffice",
        settings={"policy": {"small_business": True}},
    )
    args = ("--source", "afterbuy-csv", "--target", "lexoffice")
    plain = preview(*args, str(AFTERBUY_CSV))
    small = preview(*args, "--connection", "Kleinunternehmer", str(AFTERBUY_CSV))
    assert "request" in plain[0] and plain[0]["document"] == small[0]["document"] == "24187"
    assert set(small[0]) == {"document", "errors"}
    assert any("19" in error for error in small[0]["errors"])


def test_future_days_of_the_policy_hold_a_far_dated_invoice():
    import datetime as dt

    from belegsync.connectors.base import AdapterContext
    from belegsync.connectors.settings import Policy
    from belegsync.sync.preview import entry
    from belegsync.targets.memory import MemoryTarget
    from tests.conftest import make_voucher

    voucher = make_voucher(invoice_date=dt.date(2026, 12, 20))
    today = dt.date(2026, 12, 2)
    target = MemoryTarget(AdapterContext())
    assert "request" in entry(target, "RE-1001", voucher, Policy(future_days=30), today)
    held = entry(target, "RE-1001", voucher, Policy(future_days=3), today)
    assert set(held) == {"document", "errors"} and "invoice_date" in held["errors"][0]
    assert "request" in entry(target, "RE-1001", voucher)  # no connection: the voucher's own rules
