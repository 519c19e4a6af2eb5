"""Bounded remote calls (issue #14, item 4): a total deadline per attempt and a largest
body per kind, against a hostile local server that stalls, drips or floods."""

from __future__ import annotations

import gzip as gzip_module
import struct
import threading
import time
import tracemalloc
import zlib
from collections.abc import Iterator

import httpx
import pytest

from belegsync.connectors.errors import BadAnswer, NetworkError, TooLarge, TooSlow
from belegsync.connectors.http import BODY_LIMITS, MB, NO_RETRY, BodyKind
from belegsync.sources.afterbuy.api import AfterbuyClient, ApiCredentials
from belegsync.sources.billbee.client import BillbeeClient
from belegsync.targets.lexoffice.client import LexofficeClient
from tests.doubles import BILLBEE_CREDENTIALS
from tests.hostile.server import Hostile


@pytest.fixture
def hostile(point_at) -> Iterator[type[Hostile]]:
    started: list[Hostile] = []

    def start(system: str = "billbee", **behaviour) -> Hostile:
        server = Hostile(**behaviour)
        started.append(server)
        point_at(system, server.url)
        return server

    yield start  # type: ignore[misc]
    for server in started:
        server.stop()


def billbee(deadline: float = 1.0) -> BillbeeClient:
    client = BillbeeClient(**BILLBEE_CREDENTIALS)
    client.deadline = deadline
    return client


def timed(call) -> tuple[BaseException, float]:
    started = time.monotonic()
    with pytest.raises(Exception) as caught:
        call()
    return caught.value, time.monotonic() - started


def test_a_stalled_answer_ends_at_the_deadline_and_is_not_repeated(hostile):
    server = hostile(behaviour="stall")
    error, seconds = timed(lambda: billbee(deadline=1.0).orders_page())
    assert isinstance(error, TooSlow) and error.code == "remote.too_slow"
    assert error.params["seconds"] == 1
    assert 0.9 < seconds < 2.5
    assert len(server.requests) == 1  # the next cycle tries again, not this call


def test_retries_of_a_stalled_call_end_within_the_deadline_too(hostile):
    """GIVEN a read timeout shorter than the deadline (each attempt times out on its own)
    THEN the call's retries stop once the deadline would pass."""
    server = hostile(behaviour="stall")
    client = billbee(deadline=1.0)
    client.http.timeout = httpx.Timeout(0.3)
    error, seconds = timed(lambda: client.orders_page())
    assert isinstance(error, NetworkError) and error.code in ("remote.timeout", "remote.too_slow")
    assert seconds < 1.6 and len(server.requests) <= 3


def test_a_drip_of_one_byte_at_a_time_ends_at_the_deadline(hostile):
    """Each byte comes well within the 30 s read timeout; only the total deadline stops it."""
    hostile(behaviour="drip", interval=0.1)
    error, seconds = timed(lambda: billbee(deadline=1.5).orders_page())
    assert isinstance(error, TooSlow)
    assert 1.4 < seconds < 3.0


@pytest.fixture
def hanging_resolver(monkeypatch) -> Iterator[list[str]]:
    """Name lookups of ``*.hangs.test`` never answer (a name server that is away);
    every other name resolves as usual. Yields the names looked up."""
    import socket

    release = threading.Event()
    asked: list[str] = []
    real = socket.getaddrinfo

    def getaddrinfo(host, *args, **kwargs):
        if str(host).endswith(".hangs.test"):
            asked.append(host)
            release.wait(30)
            raise socket.gaierror(socket.EAI_AGAIN, "Temporary failure in name resolution")
        return real(host, *args, **kwargs)

    monkeypatch.setattr(socket, "getaddrinfo", getaddrinfo)
    yield asked
    release.set()  # the abandoned lookups end with the test


def test_a_name_server_that_never_answers_ends_at_the_deadline(point_at, hanging_resolver):
    """GIVEN the remote's name cannot be resolved because the resolver hangs
    THEN the call gives up at its deadline like a stalled answer, not after the resolver."""
    point_at("billbee", "http://api.hangs.test:8001")
    client = billbee(deadline=1.0)
    client.http.timeout = httpx.Timeout(30.0)
    error, seconds = timed(lambda: client.orders_page())
    assert isinstance(error, TooSlow) and error.code == "remote.too_slow"
    assert 0.9 < seconds < 2.0
    assert hanging_resolver == ["api.hangs.test"]  # not repeated by the call's retries


def test_a_name_lookup_counts_against_the_connect_timeout(point_at, hanging_resolver):
    """Within a long deadline, a lookup that hangs is a connect timeout: nothing was sent."""
    point_at("billbee", "http://api.hangs.test:8001")
    client = BillbeeClient(**BILLBEE_CREDENTIALS, retry=NO_RETRY)
    client.http.timeout = httpx.Timeout(30.0, connect=0.5)
    error, seconds = timed(lambda: client.orders_page())
    assert isinstance(error, NetworkError) and error.code == "remote.unreachable"
    assert error.never_sent and seconds < 1.5


def test_an_address_needs_no_name_lookup(monkeypatch):
    """An operator's address given as an IP is not asked of the resolver, even one that hangs."""
    import socket

    from belegsync.connectors import egress

    monkeypatch.setattr(socket, "getaddrinfo", lambda *a, **k: threading.Event().wait())
    started = time.monotonic()
    assert egress.resolve("127.0.0.1", 80, timeout=5) == ["127.0.0.1"]
    assert egress.resolve("::1", 80, timeout=5) == ["::1"]
    assert time.monotonic() - started < 0.1


def test_a_200_mb_answer_is_cut_at_the_json_limit_without_holding_it(hostile):
    """GIVEN an answer of 200 MB in chunks (no length announced)
    THEN the client stops at 16 MB; Python's own peak stays near that, not at 200 MB."""
    hostile(behaviour="huge", size=200 * MB)
    tracemalloc.start()
    try:
        error, _ = timed(lambda: billbee(deadline=60).orders_page())
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert isinstance(error, TooLarge) and error.code == "remote.too_large"
    assert error.params["limit_mb"] == BODY_LIMITS[BodyKind.JSON] // MB
    assert peak < 2 * BODY_LIMITS[BodyKind.JSON]


def test_an_announced_200_mb_answer_is_refused_before_reading(hostile):
    hostile(behaviour="huge", size=200 * MB, declare_length=True)
    tracemalloc.start()
    try:
        error, seconds = timed(lambda: billbee().orders_page())
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert isinstance(error, TooLarge) and "209715202 bytes" in error.message
    assert peak < 2 * MB and seconds < 1.0


def _packed(encoding: str, body: bytes = b"", zeros: int = 0) -> bytes:
    """``body`` and then ``zeros`` zero bytes, packed as ``encoding`` a megabyte at a time."""
    wbits = {"gzip": zlib.MAX_WBITS | 16, "deflate": zlib.MAX_WBITS, "bare": -zlib.MAX_WBITS}
    packer = zlib.compressobj(9, zlib.DEFLATED, wbits[encoding])
    out = [packer.compress(body)]
    block = b"0" * MB
    for _ in range(zeros // MB):
        out.append(packer.compress(block))
    return b"".join(out) + packer.flush()


def test_a_gzip_bomb_is_cut_while_it_unpacks(hostile):
    """GIVEN 200 KB of gzip that unpacks to 200 MB
    THEN the client stops at the JSON limit of what it unpacked, and never holds much
    more than that limit: no network chunk is unpacked whole (64 KB of it are 64 MB)."""
    bomb = _packed("gzip", b'{"Data": "', zeros=200 * MB)
    assert len(bomb) < MB
    hostile(answer=_http(bomb, encoding="gzip"))
    tracemalloc.start()
    try:
        error, _ = timed(lambda: billbee(deadline=60).orders_page())
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert isinstance(error, TooLarge) and error.code == "remote.too_large"
    assert peak < 1.3 * BODY_LIMITS[BodyKind.JSON]


@pytest.mark.parametrize("encoding", ["gzip", "deflate", "bare"])
def test_a_compressed_answer_is_read(hostile, encoding):
    """gzip and deflate (zlib-wrapped, and bare as some servers send it) are unpacked;
    the client asks for those two only."""
    server = hostile(system="lexoffice")
    server.answer = _http(
        _packed(encoding, b'{"companyName": "Muster GmbH"}'),
        encoding="deflate" if encoding == "bare" else encoding,
    )
    assert LexofficeClient("key").json("GET", "/v1/profile") == {"companyName": "Muster GmbH"}
    assert b"accept-encoding: gzip, deflate\r\n" in server.requests[0].lower() + b"\r\n"


def test_a_packed_stream_that_unpacks_to_nothing_is_cut_too(hostile):
    """Empty deflate blocks cost five bytes each and unpack to nothing: what is sent
    counts against the limit as well (here 17 MB of them, no length announced)."""
    empty_block = b"\x00\x00\x00\xff\xff"  # stored, not final, no bytes
    tail = zlib.compressobj(9, zlib.DEFLATED, -zlib.MAX_WBITS)
    gzip = (
        b"\x1f\x8b\x08\x00\x00\x00\x00\x00\x00\xff"
        + empty_block * (17 * MB // len(empty_block))
        + tail.compress(b"{}")
        + tail.flush()
        + struct.pack("<II", zlib.crc32(b"{}"), 2)
    )
    assert gzip_module.decompress(gzip) == b"{}"
    hostile(answer=_http(gzip, encoding="gzip", length=False))
    error, _ = timed(lambda: billbee(deadline=60).orders_page())
    assert isinstance(error, TooLarge) and error.code == "remote.too_large"


def test_garbage_instead_of_http_is_a_broken_connection(hostile):
    hostile(answer=b"\x00\xff garbage \r\n\r\n" * 50)
    error, _ = timed(lambda: BillbeeClient(**BILLBEE_CREDENTIALS, sleep=lambda s: None).shops())
    assert isinstance(error, NetworkError) and error.code == "remote.connection_broken"


def _http(
    body: bytes, content_type: str = "application/json", encoding: str = "", length: bool = True
) -> bytes:
    """An answer with ``body`` (its length announced, or read until the server closes)."""
    packed = b"Content-Encoding: %s\r\n" % encoding.encode() if encoding else b""
    announced = b"Content-Length: %d\r\n" % len(body) if length else b""
    return (
        b"HTTP/1.1 200 OK\r\nContent-Type: %s\r\nConnection: close\r\n" % content_type.encode()
        + announced
        + packed
        + b"\r\n"
        + body
    )


def test_deeply_nested_json_is_a_bad_answer_for_every_json_client(hostile):
    hostile(system="lexoffice", answer=_http(b"[" * 100_000))
    with pytest.raises(BadAnswer, match="nested too deeply"):
        LexofficeClient("key").json("GET", "/v1/profile")


def test_an_afterbuy_answer_that_is_not_xml_is_a_bad_answer(hostile):
    hostile(system="afterbuy", answer=_http(b"<Afterbuy><open>", "text/xml"))
    client = AfterbuyClient(ApiCredentials(partner_token="p", account_token="a"))
    with pytest.raises(BadAnswer) as caught:
        client.call("GetShopProducts")
    assert caught.value.code == "remote.bad_answer"


def test_an_xml_bomb_is_refused(hostile):
    bomb = (
        b'<?xml version="1.0"?><!DOCTYPE l [<!ENTITY a "aaaaaaaaaa">'
        b'<!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;">]><Afterbuy>&b;</Afterbuy>'
    )
    hostile(system="afterbuy", answer=_http(bomb, "text/xml"))
    client = AfterbuyClient(ApiCredentials(partner_token="p", account_token="a"))
    with pytest.raises(BadAnswer):
        client.call("GetShopProducts")
