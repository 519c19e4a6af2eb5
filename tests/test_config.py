"""Start-up configuration: wrong values stop belegsync with one line naming the variable."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

from belegsync.config import ConfigurationError, load


@pytest.mark.parametrize(
    ("env", "variable"),
    [
        ({"BELEGSYNC_TASK_BACKEND": "celery"}, "BELEGSYNC_TASK_BACKEND"),
        ({"DATABASE_URL": "mysql://root@localhost/x"}, "DATABASE_URL"),
        ({"DATABASE_URL": "not a url"}, "DATABASE_URL"),
        ({"BELEGSYNC_DEBUG": "maybe"}, "BELEGSYNC_DEBUG"),
        ({"BELEGSYNC_SECRET_KEY": "short"}, "BELEGSYNC_SECRET_KEY"),
        ({"BELEGSYNC_FERNET_KEYS": "not-a-key"}, "BELEGSYNC_FERNET_KEYS"),
        ({"BELEGSYNC_TASK_BACKEND": "rq"}, "BELEGSYNC_REDIS_URL"),
        ({"BELEGSYNC_DATA_DIR": "/proc/no-such-dir"}, "BELEGSYNC_DATA_DIR"),
        ({"BELEGSYNC_TIME_ZONE": "Mars/Olympus"}, "BELEGSYNC_TIME_ZONE"),
        ({"BELEGSYNC_REDIS_URL": "localhost:6379"}, "BELEGSYNC_REDIS_URL"),
        ({"BELEGSYNC_SHARED_LIMITER": "memcached"}, "BELEGSYNC_SHARED_LIMITER"),
        ({"BELEGSYNC_SHARED_LIMITER": "redis"}, "BELEGSYNC_REDIS_URL"),
        ({"BELEGSYNC_LEASE_SECONDS": "five"}, "BELEGSYNC_LEASE_SECONDS"),
        ({"BELEGSYNC_CYCLE_LEASE_SECONDS": "0"}, "BELEGSYNC_CYCLE_LEASE_SECONDS"),
        ({"BELEGSYNC_API_REQUESTS_PER_MINUTE": "many"}, "BELEGSYNC_API_REQUESTS_PER_MINUTE"),
        ({"BELEGSYNC_CLIENT_IP_HEADER": "X-Forwarded-For: 1"}, "BELEGSYNC_CLIENT_IP_HEADER"),
        ({"BELEGSYNC_TRUSTED_PROXIES": "2"}, "BELEGSYNC_CLIENT_IP_HEADER"),
        (
            {"BELEGSYNC_CLIENT_IP_HEADER": "X-Forwarded-For", "BELEGSYNC_TRUSTED_PROXIES": "0"},
            "BELEGSYNC_TRUSTED_PROXIES",
        ),
        (
            {"BELEGSYNC_CLIENT_IP_HEADER": "X-Real-IP", "BELEGSYNC_TRUSTED_PROXIES": "one"},
            "BELEGSYNC_TRUSTED_PROXIES",
        ),
        ({"BELEGSYNC_PUBLIC_URL": "belegsync.example.com"}, "BELEGSYNC_PUBLIC_URL"),
        ({"BELEGSYNC_PUBLIC_URL": "https://example.com/?x=1"}, "BELEGSYNC_PUBLIC_URL"),
        ({"BELEGSYNC_PUBLIC_URL": "https://user:pw@example.com"}, "BELEGSYNC_PUBLIC_URL"),
    ],
)
def test_it_names_the_wrong_variable(tmp_path, env, variable):
    with pytest.raises(ConfigurationError, match=variable):
        load({"BELEGSYNC_DATA_DIR": str(tmp_path), **env})


def test_it_generates_secrets_once_and_keeps_them_private(tmp_path):
    first = load({"BELEGSYNC_DATA_DIR": str(tmp_path)})
    second = load({"BELEGSYNC_DATA_DIR": str(tmp_path)})
    assert first.secret_key == second.secret_key and len(first.secret_key) >= 50
    assert first.fernet_keys == second.fernet_keys
    assert (tmp_path / "secret_key").stat().st_mode & 0o777 == 0o600
    assert first.database["NAME"] == str(tmp_path / "belegsync.sqlite3")
    assert first.database["OPTIONS"]["transaction_mode"] == "IMMEDIATE"


def test_the_command_prints_one_clear_line_and_exits_2(tmp_path):
    env = {**os.environ, "BELEGSYNC_DATA_DIR": str(tmp_path), "BELEGSYNC_TASK_BACKEND": "x"}
    env.pop("DJANGO_SETTINGS_MODULE", None)
    result = subprocess.run(
        [sys.executable, "-m", "belegsync.cli", "check"], env=env, capture_output=True, text=True
    )
    assert result.returncode == 2
    assert result.stderr.strip().splitlines() == [
        "belegsync: configuration error: BELEGSYNC_TASK_BACKEND='x' is unknown; "
        "use one of database, rq, immediate."
    ]


def test_it_reads_the_engine_block_with_safe_defaults(tmp_path):
    default = load({"BELEGSYNC_DATA_DIR": str(tmp_path)})
    assert (default.shared_limiter, default.lease_seconds, default.cycle_lease_seconds) == (
        "database",
        300,
        600,
    )
    tuned = load(
        {
            "BELEGSYNC_DATA_DIR": str(tmp_path),
            "BELEGSYNC_SHARED_LIMITER": "redis",
            "BELEGSYNC_REDIS_URL": "redis://127.0.0.1:6379/0",
            "BELEGSYNC_LEASE_SECONDS": "120",
        }
    )
    assert (tuned.shared_limiter, tuned.lease_seconds) == ("redis", 120)


def test_the_api_request_limit_defaults_to_600_a_minute(tmp_path):
    assert load({"BELEGSYNC_DATA_DIR": str(tmp_path)}).api_requests_per_minute == 600
    tuned = load({"BELEGSYNC_DATA_DIR": str(tmp_path), "BELEGSYNC_API_REQUESTS_PER_MINUTE": "60"})
    assert tuned.api_requests_per_minute == 60


def test_the_client_address_header_is_off_unless_named(tmp_path):
    default = load({"BELEGSYNC_DATA_DIR": str(tmp_path)})
    assert (default.client_ip_header, default.trusted_proxies) == ("", 1)
    behind = load(
        {
            "BELEGSYNC_DATA_DIR": str(tmp_path),
            "BELEGSYNC_CLIENT_IP_HEADER": "X-Forwarded-For",
            "BELEGSYNC_TRUSTED_PROXIES": "2",
        }
    )
    assert (behind.client_ip_header, behind.trusted_proxies) == ("X-Forwarded-For", 2)


def test_the_public_address_is_off_unless_the_operator_sets_it(tmp_path):
    assert load({"BELEGSYNC_DATA_DIR": str(tmp_path)}).public_url == ""
    given = {"BELEGSYNC_DATA_DIR": str(tmp_path), "BELEGSYNC_PUBLIC_URL": "https://b.example/"}
    assert load(given).public_url == "https://b.example"
