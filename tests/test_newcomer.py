"""A newcomer picks the ports: `make run PORT=…`, `make demo PORT=…`, the demo's doubles too."""

from __future__ import annotations

import socket
import subprocess
from pathlib import Path

import httpx
import pytest

from belegsync.connectors import egress
from belegsync.fakes.management.commands import demo

ROOT = Path(__file__).resolve().parents[1]


def _dry(target: str, *assignments: str) -> str:
    done = subprocess.run(
        ["make", "-n", "-C", str(ROOT), target, *assignments],
        capture_output=True,
        text=True,
        check=True,
    )
    return done.stdout


def test_make_run_and_demo_take_the_port():
    assert "belegsync run --port 8123" in _dry("run", "PORT=8123")
    demo_line = _dry("demo", "PORT=8124", "DOUBLES_PORT=9100")
    assert "belegsync demo --port 8124 --doubles-port 9100" in demo_line
    assert "belegsync run --port 8000" in _dry("run")


def _free_base() -> int:
    """A port with the next three free too (the doubles take four in a row)."""
    for _ in range(50):
        with socket.socket() as probe:
            probe.bind(("127.0.0.1", 0))
            base = probe.getsockname()[1]
        if base > 60000:
            continue
        try:
            for offset in range(4):
                with socket.socket() as check:
                    check.bind(("127.0.0.1", base + offset))
        except OSError:
            continue
        return base
    pytest.skip("no four free ports in a row")


@pytest.mark.django_db
def test_the_demo_doubles_listen_where_they_are_told(monkeypatch):
    monkeypatch.setenv(egress.ENV, "")  # restored after the test: demo sets it
    base = _free_base()
    demo.connections(doubles_port=base)
    # the demo is the operator of its process: it points each system at its double
    remotes = egress.replacements()
    assert [(s, b.port) for s, b in sorted(remotes.items())] == [
        ("afterbuy", base + 3),
        ("billbee", base + 2),
        ("lexoffice", base),
        ("sevdesk", base + 1),
    ]
    assert httpx.get(
        f"http://127.0.0.1:{base + 1}/api/v1/Tools/bookkeepingSystemVersion"
    ).status_code
