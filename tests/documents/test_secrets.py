"""Credentials are encrypted at rest: the database file never holds them in clear."""

from __future__ import annotations

import subprocess

import pytest
from django.conf import settings
from django.db import connection as db

from belegsync.documents.models import Connection
from belegsync.lib import crypto

SECRET = "lx-api-key-9f8e7d6c5b4a-DO-NOT-LEAK"


def read_in_another_process(path: str) -> bytes:
    """The file's bytes, read by a child process.

    Never open an SQLite file in a process that has it open through SQLite:
    closing that descriptor drops every POSIX lock the process holds on the file
    (fcntl semantics), so its SQLite connections (the live server's, say) go on
    writing unlocked beside other processes, and the database is corrupted.
    """
    result = subprocess.run(["cat", path], capture_output=True, check=False)
    return result.stdout


@pytest.mark.django_db(transaction=True)
def test_the_database_file_holds_no_secret_in_clear_text(org):
    Connection.objects.create(
        organisation=org,
        name="c",
        source_kind="memory",
        target_kind="memory",
        credentials={"target": {"api_key": SECRET}},
    )
    assert Connection.objects.get().credentials["target"]["api_key"] == SECRET
    if db.vendor == "sqlite":
        raw = b""
        for suffix in ("", "-wal"):
            raw += read_in_another_process(settings.DATABASES["default"]["TEST"]["NAME"] + suffix)
        assert raw, "the test database file was not found"
    else:
        with db.cursor() as cursor:
            cursor.execute("SELECT credentials FROM documents_connection")
            raw = "".join(row[0] for row in cursor.fetchall()).encode()
    assert SECRET.encode() not in raw
    assert b"api_key" not in raw


def test_a_rotated_key_still_reads_old_secrets(settings):
    from cryptography.fernet import Fernet

    old_key = settings.FERNET_KEYS[0]
    token = crypto.encrypt_json({"k": "v"})
    settings.FERNET_KEYS = (Fernet.generate_key().decode(), old_key)
    assert crypto.decrypt_json(token) == {"k": "v"}
    rotated = crypto.rotate(token)
    settings.FERNET_KEYS = (settings.FERNET_KEYS[0],)
    assert crypto.decrypt_json(rotated) == {"k": "v"}
    with pytest.raises(crypto.UnreadableSecret):
        crypto.decrypt_json(token)
