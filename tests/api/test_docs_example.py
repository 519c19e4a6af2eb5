"""The example of docs/api.md, run as it stands: curl and jq against a running belegsync."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
from pathlib import Path

import pytest

from belegsync.api import tokens
from belegsync.documents.models import Connection, Document
from belegsync.services import Actor
from tests.sources.afterbuy.corpus import SAMPLE_UTF8

DOCS = Path(__file__).resolve().parents[2] / "docs" / "api.md"

pytestmark = pytest.mark.skipif(
    not (shutil.which("curl") and shutil.which("jq")), reason="the example needs curl and jq"
)


def example(name: str) -> str:
    text = DOCS.read_text(encoding="utf-8")
    found = re.search(rf"<!-- example: {name} -->\n```sh\n(.*?)```", text, re.S)
    assert found, f"docs/api.md has no example {name}"
    return found.group(1)


@pytest.mark.django_db(transaction=True)
def test_the_documented_upload_and_reset_works(live_server, alice, org, tmp_path):
    """GIVEN an Afterbuy CSV connection and a token WHEN the documented script runs THEN the
    file is imported, the failed documents are listed, and the first one is reset."""
    connection = Connection.objects.create(
        organisation=org,
        name="Afterbuy → Books",
        source_kind="afterbuy_csv",
        target_kind="memory",
        credentials={"target": {"account": "books"}},
        settings={"transfer_pdf": False},
    )
    secret = tokens.issue(Actor.of(alice), "docs")[1]
    # one invoice whose gross total does not add up: it is stored as failed, with reasons
    rows = SAMPLE_UTF8.read_text(encoding="utf-8")
    broken = rows.replace(";91,50;EUR;Shop;", ";91,60;EUR;Shop;", 1)
    assert broken != rows
    (tmp_path / "Rechnungsliste.csv").write_text(broken, encoding="utf-8")
    run = subprocess.run(
        ["bash", "-c", example("upload-and-reset")],
        cwd=tmp_path,
        env={
            "B": live_server.url,
            "T": secret,
            "CONNECTION": str(connection.pk),
            "PATH": "/usr/bin:/bin",
        },
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert run.returncode == 0, run.stderr
    lines = run.stdout.strip().splitlines()
    summary = json.loads(lines[0])
    counts = summary["counts"]
    assert summary["state"] == "done" and counts["failed"] >= 1
    assert counts["created"] + counts["failed"] == 10
    failed = [line.split() for line in lines[1:-1]]
    assert ("24187", "validation") in [(number, category) for _, number, category in failed]
    assert len(failed) == counts["failed"]
    reset = json.loads(lines[-1])
    assert reset == {"number": failed[0][1], "ok": True, "state": "waiting"}
    assert Document.objects.get(pk=int(failed[0][0])).state == "waiting"
