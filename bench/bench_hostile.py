"""What a hostile remote costs belegsync (issue #14, items 1 and 4), measured for real.

1. Requests to addresses inside the network: how many are refused before a byte is
   sent (a listening local server counts what reaches it).
2. Peak memory for a 200 MB answer, chunked and announced: the process's peak RSS
   (``ru_maxrss``) grows by how much over a baseline request in the same process.
3. Peak memory for a gzip bomb (200 KB that unpack to 200 MB): peak RSS growth, and
   Python's own peak (tracemalloc) against the 16 MB JSON limit.
4. Time to give up on a stalled answer, on a slow drip (one byte every 10 s) with the
   real 60 s deadline, and on a name server that never answers (10 s connect timeout).

    .venv/bin/python bench/bench_hostile.py            # all of it (about 2.5 minutes)
    .venv/bin/python bench/bench_hostile.py --quick    # deadline 5 s instead of 60 s
"""

from __future__ import annotations

import argparse
import contextlib
import os
import resource
import socket
import sys
import time
import tracemalloc
import zlib
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from belegsync.connectors import egress
from belegsync.connectors.errors import ConnectorError
from belegsync.connectors.http import ApiClient, RetryPolicy
from belegsync.sources.billbee.client import BillbeeClient
from tests.hostile.server import Hostile

MB = 1024 * 1024
CREDENTIALS = {"api_key": "k", "user": "u@example.org", "password": "p"}


def peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def point(system: str, url: str) -> None:
    os.environ[egress.ENV] = egress.with_remote("", system, url)


def refused_requests() -> tuple[int, int, int]:
    """(attempts, refused before sending, requests that reached the listening server)."""
    listening = Hostile(answer=b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\n{}")
    port = listening.url.rsplit(":", 1)[1]
    os.environ.pop(egress.ENV, None)
    probes = [
        f"http://127.0.0.1:{port}/api/v1/orders",
        f"http://localhost:{port}/api/v1/orders",
        "http://169.254.169.254/latest/meta-data/",
        "http://10.0.0.1/api/v1/orders",
        "http://[::1]/api/v1/orders",
        "http://0.0.0.0/api/v1/orders",
        f"https://api.billbee.io.127.0.0.1.nip.io:{port}/api/v1/orders",
        "file:///etc/passwd",
    ]
    attempts = refused = 0
    client = BillbeeClient(**CREDENTIALS, retry=RetryPolicy(attempts=1))
    for url in probes:
        attempts += 1
        try:
            client.http.get(url)
        except ConnectorError:
            refused += 1
        except Exception:  # an httpx refusal of the scheme counts too
            refused += 1
    # a system's own host that resolves inside the network (localhost as if it were one)
    probe = type(
        "Probe", (ApiClient,), {"remote": "billbee", "addresses": (f"http://localhost:{port}/",)}
    )(retry=RetryPolicy(attempts=1))
    attempts += 1
    try:
        probe.request("GET", "orders")
    except ConnectorError:
        refused += 1
    # a redirect from the operator's address to one inside
    bouncer = Hostile(
        answer=(
            f"HTTP/1.1 302 Found\r\nLocation: http://127.0.0.1:{port}/secret\r\n"
            "Content-Length: 0\r\n\r\n"
        ).encode()
    )
    point("billbee", bouncer.url)
    redirected = BillbeeClient(**CREDENTIALS, retry=RetryPolicy(attempts=1))
    redirected.http.follow_redirects = True
    attempts += 1
    try:
        redirected.http.get("orders")
    except ConnectorError:
        refused += 1
    reached = len(listening.requests)
    listening.stop()
    bouncer.stop()
    return attempts, refused, reached


def memory_for_200_mb(declare_length: bool) -> tuple[float, float]:
    """(baseline peak RSS growth, peak RSS growth for the 200 MB answer), in MB."""
    small = Hostile(behaviour="huge", size=1 * MB, declare_length=declare_length)
    point("billbee", small.url)
    before = peak_rss_mb()
    with contextlib.suppress(ConnectorError):
        BillbeeClient(**CREDENTIALS).call("GET", "orders")
    baseline = peak_rss_mb() - before
    small.stop()
    huge = Hostile(behaviour="huge", size=200 * MB, declare_length=declare_length)
    point("billbee", huge.url)
    before = peak_rss_mb()
    try:
        BillbeeClient(**CREDENTIALS).call("GET", "orders")
    except ConnectorError as error:
        assert error.code == "remote.too_large", error.code
    grown = peak_rss_mb() - before
    huge.stop()
    return baseline, grown


def memory_for_gzip_bomb() -> tuple[float, float]:
    """(peak RSS growth, tracemalloc peak) in MB for 200 MB of zeros packed as gzip."""
    packer = zlib.compressobj(9, zlib.DEFLATED, zlib.MAX_WBITS | 16)
    bomb = packer.compress(b'{"Data": "') + b"".join(packer.compress(b"0" * MB) for _ in range(200))
    bomb += packer.flush()
    server = Hostile(
        answer=b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Encoding: gzip\r\n"
        b"Content-Length: %d\r\nConnection: close\r\n\r\n" % len(bomb) + bomb
    )
    point("billbee", server.url)
    before = peak_rss_mb()
    tracemalloc.start()
    try:
        BillbeeClient(**CREDENTIALS).call("GET", "orders")
    except ConnectorError as error:
        assert error.code == "remote.too_large", error.code
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    server.stop()
    return peak_rss_mb() - before, peak / MB


def give_up_on_the_resolver(deadline: float) -> tuple[float, str]:
    """A name server that never answers (getaddrinfo blocks for two minutes)."""
    real = socket.getaddrinfo

    def hangs(host: object, *args: object, **kwargs: object) -> object:
        if str(host).endswith(".hangs.test"):
            time.sleep(120)
        return real(host, *args, **kwargs)  # type: ignore[arg-type]

    socket.getaddrinfo = hangs  # type: ignore[assignment]
    point("billbee", "http://api.hangs.test:8001")
    client = BillbeeClient(**CREDENTIALS)
    client.deadline = deadline
    started = time.monotonic()
    code = "answered"
    try:
        client.call("GET", "orders")
    except ConnectorError as error:
        code = error.code
    finally:
        socket.getaddrinfo = real
    return time.monotonic() - started, code


def give_up(behaviour: str, deadline: float) -> tuple[float, str]:
    server = Hostile(behaviour=behaviour, interval=10.0)
    point("billbee", server.url)
    client = BillbeeClient(**CREDENTIALS)
    client.deadline = deadline
    started = time.monotonic()
    code = "answered"
    try:
        client.call("GET", "orders")
    except ConnectorError as error:
        code = error.code  # too_slow (deadline) or timeout (a read waited past 30 s)
    seconds = time.monotonic() - started
    server.stop()
    return seconds, code


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--quick", action="store_true", help="deadline 5 s instead of 60 s")
    args = parser.parse_args()
    deadline = 5.0 if args.quick else 60.0
    attempts, refused, reached = refused_requests()
    print(f"inside addresses: {attempts} requests, {refused} refused, {reached} reached a server")
    grown, traced = memory_for_gzip_bomb()
    print(
        f"gzip bomb (200 KB → 200 MB): peak RSS +{grown:.1f} MB, Python's peak {traced:.1f} MB "
        "(limit 16 MB)"
    )
    for declared in (False, True):
        baseline, grown = memory_for_200_mb(declared)
        how = "announced" if declared else "chunked"
        print(
            f"200 MB answer ({how}): peak RSS +{grown:.1f} MB "
            f"(a 1 MB answer in the same process: +{baseline:.1f} MB)"
        )
    for behaviour in ("stall", "drip"):
        seconds, code = give_up(behaviour, deadline)
        print(f"{behaviour}: gave up after {seconds:.1f} s with {code} (deadline {deadline:.0f} s)")
    seconds, code = give_up_on_the_resolver(deadline)
    print(f"hanging name server: gave up after {seconds:.1f} s with {code}")


if __name__ == "__main__":
    main()
