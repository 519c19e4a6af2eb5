"""The request limit holds across processes: every web process counts in the one database."""

from __future__ import annotations

import json
import subprocess
import sys
import time

import pytest

from belegsync.api import tokens
from belegsync.api.auth import count_request
from belegsync.services import Actor
from tests.sync.harness import ROOT, child_env

LIMIT = 6
EACH = 6

#: A web process of its own: Django on the test database, the whole stack through the test
#: client, waiting for "go" on stdin so both start together.
WEB_PROCESS = f"""
import json, os, sys
import django
django.setup()
from django.test.utils import setup_test_environment
setup_test_environment()
from django.test import Client
client = Client()
headers = {{"Authorization": "Bearer " + os.environ["TOKEN"]}}
print("ready", flush=True)
sys.stdin.readline()
codes = [client.get("/api/v1/documents", headers=headers).status_code for _ in range({EACH})]
print(json.dumps(codes), flush=True)
"""


def _web_process(secret: str) -> subprocess.Popen[str]:
    env = child_env(
        DJANGO_SETTINGS_MODULE="belegsync.settings",
        BELEGSYNC_API_REQUESTS_PER_MINUTE=str(LIMIT),
        TOKEN=secret,
    )
    return subprocess.Popen(
        [sys.executable, "-c", WEB_PROCESS],
        cwd=ROOT,
        env=env,
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
    )


def _same_minute_for(seconds: float) -> None:
    """Wait for a fresh clock minute when fewer than ``seconds`` are left of this one."""
    left = 60 - time.time() % 60
    if left < seconds:
        time.sleep(left + 0.1)


@pytest.mark.django_db(transaction=True)
def test_two_web_processes_share_one_tokens_limit(alice):
    """GIVEN a limit of 6 a minute WHEN two web processes each answer 6 requests of one
    token at once THEN 6 pass in all and 6 get 429: the count is the database's, not a
    process's (counted per process, all 12 would pass)."""
    _, secret = tokens.issue(Actor.of(alice), "two workers")
    processes = [_web_process(secret) for _ in range(2)]
    try:
        for process in processes:
            assert process.stdout is not None and process.stdout.readline().strip() == "ready"
        _same_minute_for(20)
        for process in processes:
            assert process.stdin is not None
            process.stdin.write("go\n")
            process.stdin.flush()
        codes = [json.loads(p.communicate(timeout=60)[0].strip()) for p in processes]
    finally:
        for process in processes:
            if process.poll() is None:
                process.kill()
    every = codes[0] + codes[1]
    assert every.count(200) == LIMIT and every.count(429) == 2 * EACH - LIMIT


def test_the_count_restarts_with_each_minute_and_is_kept_per_token(alice, bob):
    mine = tokens.issue(Actor.of(alice), "a")[0].pk
    theirs = tokens.issue(Actor.of(bob), "b")[0].pk
    assert [count_request(mine, 100) for _ in range(3)] == [1, 2, 3]
    assert count_request(theirs, 100) == 1
    assert count_request(mine, 101) == 1
    assert count_request(mine, 101) == 2
