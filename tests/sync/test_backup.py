"""``belegsync backup`` and ``restore``: backup → fresh data directory → restore → the same.

Both commands run as real processes; the restored installation is read by a third
one, which knows only the fresh data directory (keys included) and its database.
"""

from __future__ import annotations

import json
import os
import stat
import subprocess
import sys
import uuid
from pathlib import Path

import pytest
from django.core.files.base import ContentFile
from django.db import connection as db

from belegsync.documents.models import Connection, Document, DocumentFile
from belegsync.exports.service import run_export
from belegsync.sync.models import ImportJob
from tests.sync.harness import ROOT, child_env, on_postgres
from tests.web.helpers import failed, make_document

pytestmark = pytest.mark.django_db(transaction=True)

#: What a restored installation must show: read in a child process, printed as JSON.
DIGEST = """
import hashlib, json, django
django.setup()
from belegsync.documents.models import Connection, Document
from belegsync.exports.models import ExportJob
from belegsync.sync.models import ImportJob

def sha(data):
    return hashlib.sha256(bytes(data)).hexdigest()

print(json.dumps({
    "documents": [
        [d.source_number, d.state, d.voucher, str(d.total_gross),
         sha(d.file.content) if hasattr(d, "file") else None]
        for d in Document.objects.order_by("source_number")
    ],
    "credentials": {c.name: c.credentials for c in Connection.objects.all()},
    "uploads": [sha(j.file.read()) for j in ImportJob.objects.order_by("pk")],
    "exports": [sha(j.path.read_bytes()) for j in ExportJob.objects.order_by("pk")],
}, sort_keys=True))
"""


def run(*args: str, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    done = subprocess.run(
        [sys.executable, *args], cwd=ROOT, env=env, capture_output=True, text=True, timeout=120
    )
    assert done.returncode == 0, done.stderr[-3000:]
    return done


def digest(env: dict[str, str]) -> dict:
    return json.loads(
        run("-c", DIGEST, env={**env, "DJANGO_SETTINGS_MODULE": "belegsync.settings"}).stdout
    )


@pytest.fixture
def installation(org, connection):
    """Documents with PDFs, encrypted credentials, an upload and an export file."""
    Connection.objects.filter(pk=connection.pk).update()
    connection.credentials = {"target": {"account": "alice-books", "api_key": "s3cr3t-k3y"}}
    connection.save()
    for number in ("RE-1", "RE-2", "RE-3"):
        document = make_document(connection, number, state="done")
        DocumentFile.store(document, b"%PDF-1.4\n" + number.encode(), f"{number}.pdf")
    failed(connection, "RE-4")
    job = ImportJob(connection=connection, actor="alice", filename="liste.csv")
    job.file.save("liste.csv", ContentFile(b"Rechnungsnummer;...\n"), save=True)
    run_export(organisation=org, documents=Document.objects.all(), fmt="csv")
    return connection


@pytest.fixture
def fresh(tmp_path):
    """A fresh data directory and an empty database of the same engine as the suite's."""
    data_dir = tmp_path / "fresh"
    env = child_env(BELEGSYNC_DATA_DIR=str(data_dir))
    for secret in ("BELEGSYNC_SECRET_KEY", "BELEGSYNC_FERNET_KEYS"):
        env.pop(secret)  # the restore brings them
    if not on_postgres():
        env["DATABASE_URL"] = f"sqlite:///{data_dir / 'belegsync.sqlite3'}"
        yield env
        return
    name = f"restore_{uuid.uuid4().hex[:8]}"
    with db.cursor() as cursor:
        cursor.execute(f'CREATE DATABASE "{name}"')
    env["DATABASE_URL"] = env["DATABASE_URL"].rsplit("/", 1)[0] + "/" + name
    yield env
    db.close()
    with db.cursor() as cursor:
        cursor.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def test_a_restored_backup_holds_the_same_documents_files_and_credentials(
    installation, fresh, tmp_path
):
    """GIVEN an installation with documents, PDFs, encrypted credentials, an upload and
    an export
    WHEN it is backed up, and the backup restored into a fresh data directory and database
    THEN the restored installation shows the same of each, its credentials readable."""
    env = child_env()
    before = digest(env)
    target = tmp_path / "backup"
    out = run("-m", "belegsync.cli", "backup", str(target), env=env).stdout
    assert "Backed up 4 documents" in out

    restored = run("-m", "belegsync.cli", "restore", str(target), env=fresh)
    assert "Restored 4 documents" in restored.stdout
    after = digest(fresh)

    assert after == before
    assert after["credentials"]["Shop → Books"]["target"]["api_key"] == "s3cr3t-k3y"
    assert len(after["documents"]) == 4 and after["uploads"] and after["exports"]

    # the backup holds the keys: only its owner reads it
    assert stat.S_IMODE(target.stat().st_mode) == 0o700
    for path in target.rglob("*"):
        assert stat.S_IMODE(path.stat().st_mode) == (0o700 if path.is_dir() else 0o600), path
    # a restore never overwrites an installation that has documents
    again = subprocess.run(
        [sys.executable, "-m", "belegsync.cli", "restore", str(target)],
        cwd=ROOT,
        env=fresh,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert again.returncode != 0
    assert "already holds documents" in again.stderr
    assert digest(fresh) == before


def test_a_backup_goes_only_into_a_new_folder(installation, tmp_path):
    target = tmp_path / "used"
    target.mkdir()
    (target / "something").write_text("x")
    done = subprocess.run(
        [sys.executable, "-m", "belegsync.cli", "backup", str(target)],
        cwd=ROOT,
        env=child_env(),
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode != 0 and "not empty" in done.stderr
    assert os.listdir(target) == ["something"]


def test_restore_refuses_a_folder_that_is_no_backup(fresh, tmp_path):
    done = subprocess.run(
        [sys.executable, "-m", "belegsync.cli", "restore", str(tmp_path)],
        cwd=ROOT,
        env=fresh,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode != 0 and "no belegsync backup" in done.stderr
    assert not Path(fresh["BELEGSYNC_DATA_DIR"], "belegsync.sqlite3").exists() or on_postgres()
