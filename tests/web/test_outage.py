"""Clear answers under pressure (issue #14, item 7): a locked or full database gives a
page that says so (503, try again) and one line in the CLI; unreadable stored secrets
(a wrong or missing encryption key) give one clear page and a failing /healthz."""

from __future__ import annotations

import os
import sqlite3
import subprocess
import sys

import pytest
from cryptography.fernet import Fernet
from django.db import connection as db
from django.test import override_settings

from belegsync.documents.models import Connection
from belegsync.lib.outage import Outage, outage_of

on_sqlite = pytest.mark.skipif(db.vendor != "sqlite", reason="SQLite's own lock and page limit")


def _database_file() -> str:
    return str(db.settings_dict["NAME"])


@pytest.fixture
def locked(transactional_db):
    """Another process holds SQLite's write lock; belegsync waits 0.2 s, not 30."""
    with db.cursor() as cursor:
        cursor.execute("PRAGMA busy_timeout = 200")
    other = sqlite3.connect(_database_file(), isolation_level=None)
    other.execute("BEGIN IMMEDIATE")
    yield
    other.execute("ROLLBACK")
    other.close()


@on_sqlite
def test_a_locked_database_gives_a_page_that_says_so(client, alice, locked):
    response = client.post("/login/", {"username": "alice", "password": "alice-password-1"})
    assert response.status_code == 503 and response["Retry-After"] == "30"
    page = response.content.decode()
    assert 'data-outage="locked"' in page and "try again in a moment" in page
    assert "Traceback" not in page


@on_sqlite
@pytest.mark.django_db(transaction=True)
def test_a_full_database_gives_a_page_that_says_so(client, alice):
    """GIVEN a database that cannot grow (SQLite's page limit stands in for the disk)
    and whose session table is full WHEN a merchant logs in THEN the page says so."""
    from django.contrib.sessions.models import Session
    from django.db import OperationalError
    from django.utils import timezone

    with db.cursor() as cursor:
        cursor.execute("PRAGMA page_count")
        (pages,) = cursor.fetchone()
        cursor.execute(f"PRAGMA max_page_count = {pages + 2}")
    try:
        for size in (900, 100, 10):  # fill every page to the last bytes
            with pytest.raises(OperationalError):
                for n in range(20_000):
                    Session.objects.create(
                        session_key=f"filler{size}-{n:06d}",
                        session_data="x" * size,
                        expire_date=timezone.now(),
                    )
        response = client.post("/login/", {"username": "alice", "password": "alice-password-1"})
    finally:
        with db.cursor() as cursor:
            cursor.execute("PRAGMA max_page_count = 1073741823")
    assert response.status_code == 503
    assert 'data-outage="full"' in response.content.decode()


@on_sqlite
def test_the_page_speaks_german(client, alice, locked):
    response = client.post(
        "/login/",
        {"username": "alice", "password": "alice-password-1"},
        HTTP_ACCEPT_LANGUAGE="de",
    )
    page = response.content.decode()
    assert "Die Datenbank ist gerade belegt" in page and "versuche es gleich noch einmal" in page


@pytest.mark.django_db
def test_a_wrong_key_gives_one_clear_page_and_a_failing_healthz(client, alice, org):
    saved = Connection.objects.create(
        organisation=org,
        name="Shop → lexoffice",
        source_kind="memory",
        target_kind="lexoffice",
        credentials={"target": {"api_key": "secret"}},
    )
    client.force_login(alice)
    assert client.get("/healthz").status_code == 200
    with override_settings(FERNET_KEYS=(Fernet.generate_key().decode(),)):
        page = client.get(f"/connections/{saved.pk}/")
        health = client.get("/healthz")
    assert page.status_code == 503 and 'data-outage="keys"' in page.content.decode()
    assert "BELEGSYNC_FERNET_KEYS" in page.content.decode()
    assert health.status_code == 503
    assert health.json() == {"database": "ok", "secrets": "unreadable with the configured keys"}


def test_real_sqlite_errors_are_recognised(tmp_path):
    path = str(tmp_path / "x.sqlite3")
    holder = sqlite3.connect(path, isolation_level=None)
    holder.execute("CREATE TABLE t (x)")
    holder.execute("BEGIN IMMEDIATE")
    waiting = sqlite3.connect(path, timeout=0.05, isolation_level=None)
    with pytest.raises(sqlite3.OperationalError) as locked:
        waiting.execute("BEGIN IMMEDIATE")
    holder.execute("ROLLBACK")
    holder.execute("PRAGMA max_page_count = 2")
    with pytest.raises(sqlite3.OperationalError) as full:
        holder.execute("INSERT INTO t SELECT zeroblob(100000)")
    assert outage_of(locked.value) is Outage.LOCKED
    assert outage_of(full.value) is Outage.FULL
    assert outage_of(ValueError("database is locked")) is None


@on_sqlite
def test_the_cli_says_one_line_when_the_database_is_locked(tmp_path):
    env = {k: v for k, v in os.environ.items() if not k.startswith(("BELEGSYNC_", "DJANGO_"))}
    env.update(BELEGSYNC_DATA_DIR=str(tmp_path), DATABASE_URL="", BELEGSYNC_DB_BUSY_SECONDS="1")
    command = [sys.executable, "-m", "belegsync.cli"]
    subprocess.run([*command, "migrate"], env=env, check=True, capture_output=True, timeout=180)
    holder = sqlite3.connect(str(tmp_path / "belegsync.sqlite3"), isolation_level=None)
    holder.execute("BEGIN IMMEDIATE")
    try:
        result = subprocess.run(
            [
                *command,
                "shell",
                "-c",
                "from belegsync.documents.models import Organisation as O;"
                " O.objects.create(name='x', slug='x')",
            ],
            env=env,
            capture_output=True,
            text=True,
            timeout=60,
        )
    finally:
        holder.execute("ROLLBACK")
        holder.close()
    assert result.returncode == 75
    assert result.stderr.strip().splitlines() == [
        "belegsync: the database is locked by another belegsync process; try again in a moment."
    ]
