"""The hostile corpus: answers to Billbee's order list that a broken or malicious remote
might send (tests/hostile/billbee/<expected code>/*.http).

Each entry is fetched through the sync engine's fetch; it must end in a typed connector
error with the code of its folder (a text the merchant can read) and leave the database
as it was: no document, the cursor where it stood.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from belegsync.connectors.errors import ConnectorError
from belegsync.documents.models import Connection, Document, Event
from belegsync.reasons.catalogue import TEXTS
from belegsync.sync.cycle import fetch
from tests.doubles import BILLBEE_CREDENTIALS
from tests.hostile.server import Hostile

CORPUS = Path(__file__).parent / "billbee"
ENTRIES = sorted(CORPUS.glob("*/*.http"))
NOW = dt.datetime(2026, 11, 26, 12, 0, tzinfo=dt.UTC)


def raw_answer(path: Path) -> bytes:
    """The file as an HTTP answer: LF → CRLF in the head, Content-Length added unless given."""
    data = path.read_bytes()
    if b"\n\n" not in data:
        return data  # not HTTP at all: sent as it is
    head, _, body = data.partition(b"\n\n")
    lines = head.split(b"\n")
    if not any(line.lower().startswith(b"content-length:") for line in lines):
        lines.append(b"Content-Length: %d" % len(body))
    lines.append(b"Connection: close")
    return b"\r\n".join(lines) + b"\r\n\r\n" + body


@pytest.fixture
def billbee(org):
    return Connection.objects.create(
        organisation=org,
        name="Billbee → Books",
        source_kind="billbee",
        target_kind="memory",
        credentials={"source": dict(BILLBEE_CREDENTIALS)},
        cursor="2026-11-01T00:00:00+00:00",
    )


def test_the_corpus_covers_every_kind_of_answer():
    assert len(ENTRIES) >= 25
    assert {p.parent.name for p in ENTRIES} >= {"bad_answer", "connection_broken", "too_large"}


@pytest.mark.parametrize("entry", ENTRIES, ids=lambda p: f"{p.parent.name}/{p.stem}")
def test_a_hostile_answer_is_a_clear_error_and_changes_nothing(entry, billbee, point_at):
    server = Hostile(answer=raw_answer(entry))
    point_at("billbee", server.url)
    events_before = Event.objects.count()
    try:
        with pytest.raises(ConnectorError) as caught:
            fetch(billbee, NOW, "test")
    finally:
        server.stop()
    error = caught.value
    assert error.code == f"remote.{entry.parent.name}", error.message
    assert error.code in TEXTS  # the merchant reads it in their language
    assert len(error.message) < 400 and "root:x" not in error.message
    assert "<script>" not in error.message or len(error.message) < 400
    billbee.refresh_from_db()
    assert billbee.cursor == "2026-11-01T00:00:00+00:00"
    assert Document.objects.count() == 0 and Event.objects.count() == events_before
