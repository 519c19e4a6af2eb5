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
