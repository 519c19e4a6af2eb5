"""A backup of everything belegsync keeps, and its restore into a fresh data directory.

A backup is a folder (mode 0700, files 0600):

- ``manifest.json``: when, which version, which database engine, how many documents;
- the database: ``belegsync.sqlite3`` (SQLite's online backup, consistent while
  web and workers keep running) or ``belegsync.pgdump`` (``pg_dump --format=custom``);
  the documents' PDFs live in the database;
- ``files/``: the uploaded files (imports), ``exports/``: the export files;
- ``keys.json``: the secret key and the Fernet keys the credentials are encrypted
  with. Without them a restored database opens no connection: keep the backup as
  safe as the server.

:func:`restore` refuses a data directory whose database already holds
documents, copies everything back, writes the keys and migrates, so a backup
of an older version is upgraded on the way (docs/operations.md, "Upgrading").
"""

from __future__ import annotations

import json
import os
import shutil
import sqlite3
import subprocess
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.management import call_command
from django.db import connection
from django.utils import timezone

MANIFEST = "manifest.json"
KEYS = "keys.json"
SQLITE_FILE = "belegsync.sqlite3"
PG_FILE = "belegsync.pgdump"
FORMAT = 1


class BackupError(Exception):
    """The backup or restore cannot be made; the message says why and what to do."""


@dataclass(frozen=True)
class Folders:
    """The data directory's folders that hold files, and their names in a backup."""

    uploads: Path
    exports: Path

    @classmethod
    def of_settings(cls) -> Folders:
        location = settings.STORAGES["default"].get("OPTIONS", {}).get("location")
        return cls(
            uploads=Path(location or Path(settings.DATA_DIR) / "files"),
            exports=Path(settings.DATA_DIR) / "exports",
        )

    def pairs(self) -> list[tuple[str, Path]]:
        return [("files", self.uploads), ("exports", self.exports)]


def _engine() -> str:
    return "sqlite" if connection.vendor == "sqlite" else "postgresql"


def _private_dir(path: Path) -> None:
    path.mkdir(mode=0o700, parents=True, exist_ok=True)
    path.chmod(0o700)


def _write_private(path: Path, text: str) -> None:
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as handle:
        handle.write(text)


def _copy_tree(source: Path, target: Path) -> int:
    """Copy a folder's files (0600) and folders (0700); returns the number of files."""
    count = 0
    if not source.is_dir():
        return 0
    _private_dir(target)
    for path in sorted(source.rglob("*")):  # a folder before what it holds
        destination = target / path.relative_to(source)
        if path.is_dir():
            _private_dir(destination)
        elif path.is_file():
            _private_dir(destination.parent)
            shutil.copyfile(path, destination)
            destination.chmod(0o600)
            count += 1
    return count


def _document_count() -> int:
    from belegsync.documents.models import Document

    return Document.objects.count()


# --- backup ------------------------------------------------------------------------------


def backup(target: Path) -> dict[str, Any]:
    """Write a backup into ``target`` (a new or empty folder); returns its manifest."""
    if target.exists() and any(target.iterdir()):
        raise BackupError(f"{target} is not empty; name a new folder for the backup.")
    _private_dir(target)
    engine = _engine()
    if engine == "sqlite":
        _backup_sqlite(target / SQLITE_FILE)
    else:
        _backup_postgresql(target / PG_FILE)
    copied = {
        name: _copy_tree(folder, target / name) for name, folder in Folders.of_settings().pairs()
    }
    keys = {"secret_key": settings.SECRET_KEY, "fernet_keys": list(settings.FERNET_KEYS)}
    _write_private(target / KEYS, json.dumps(keys, indent=2) + "\n")
    manifest = {
        "format": FORMAT,
        "created_at": timezone.now().isoformat(),
        "engine": engine,
        "documents": _document_count(),
        "files": copied,
    }
    _write_private(target / MANIFEST, json.dumps(manifest, indent=2) + "\n")
    return manifest


def _backup_sqlite(path: Path) -> None:
    """SQLite's online backup API: a consistent copy while others keep writing."""
    connection.ensure_connection()
    source = connection.connection
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    os.close(fd)
    copy = sqlite3.connect(path)
    try:
        source.backup(copy)
    finally:
        copy.close()


def _pg_env() -> dict[str, str]:
    """libpq's variables for the configured database (the password never on a command line)."""
    db = connection.settings_dict
    env = dict(os.environ)
    for variable, key in (
        ("PGHOST", "HOST"),
        ("PGPORT", "PORT"),
        ("PGUSER", "USER"),
        ("PGPASSWORD", "PASSWORD"),
        ("PGDATABASE", "NAME"),
    ):
        if db.get(key):
            env[variable] = str(db[key])
    return env


def _run(command: list[str], what: str) -> None:
    try:
        done = subprocess.run(command, env=_pg_env(), capture_output=True, text=True)  # noqa: S603
    except FileNotFoundError:
        raise BackupError(
            f"{command[0]} is not installed; install the PostgreSQL client tools "
            f"(Debian: apt-get install postgresql-client) to {what}."
        ) from None
    if done.returncode != 0:
        raise BackupError(f"{command[0]} failed: {done.stderr.strip()[-500:]}")


def _backup_postgresql(path: Path) -> None:
    """The documented way: ``pg_dump --format=custom`` (consistent, restorable with pg_restore)."""
    _run(["pg_dump", "--format=custom", "--no-owner", "--file", str(path)], "back up")
    path.chmod(0o600)


# --- restore -----------------------------------------------------------------------------


def read_manifest(source: Path) -> dict[str, Any]:
    try:
        manifest: dict[str, Any] = json.loads((source / MANIFEST).read_text())
    except (OSError, ValueError):
        raise BackupError(f"{source} holds no belegsync backup ({MANIFEST} missing).") from None
    if manifest.get("format") != FORMAT:
        raise BackupError(
            f"{source} is a backup of format {manifest.get('format')}; "
            f"this belegsync reads format {FORMAT}."
        )
    return manifest


def _holds_documents() -> bool:
    from django.db.utils import DatabaseError

    try:
        return _document_count() > 0
    except DatabaseError:
        return False  # no tables yet: a fresh database


def restore(source: Path) -> tuple[dict[str, Any], list[str]]:
    """Restore ``source`` into the configured data directory and database; migrate.

    Returns the backup's manifest and what the operator still has to do.
    """
    manifest = read_manifest(source)
    if manifest["engine"] != _engine():
        raise BackupError(
            f"The backup is of a {manifest['engine']} database, this belegsync uses "
            f"{_engine()}: set DATABASE_URL accordingly."
        )
    if _holds_documents():
        raise BackupError(
            "The database already holds documents: restore into a fresh data directory "
            "(BELEGSYNC_DATA_DIR) and database."
        )
    if manifest["engine"] == "sqlite":
        _restore_sqlite(source / SQLITE_FILE)
    else:
        _run(
            [
                "pg_restore",
                "--clean",
                "--if-exists",
                "--no-owner",
                "--dbname",
                str(connection.settings_dict["NAME"]),
                str(source / PG_FILE),
            ],
            "restore",
        )
    for name, folder in Folders.of_settings().pairs():
        _copy_tree(source / name, folder)
    to_do = _restore_keys(source)
    call_command("migrate", interactive=False, verbosity=0)
    return manifest, to_do


def _restore_sqlite(path: Path) -> None:
    """Copy the backup into the configured database file, through SQLite itself."""
    connection.close()
    target = Path(str(connection.settings_dict["NAME"]))
    for stale in (target, Path(f"{target}-wal"), Path(f"{target}-shm")):
        stale.unlink(missing_ok=True)
    backup_db = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    fd = os.open(target, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    os.close(fd)
    live = sqlite3.connect(target)
    try:
        backup_db.backup(live)
    finally:
        live.close()
        backup_db.close()


def _restore_keys(source: Path) -> list[str]:
    """The keys go where belegsync reads them when the environment names none; what the
    environment would override is returned as a task for the operator."""
    keys = json.loads((source / KEYS).read_text())
    data_dir = Path(settings.DATA_DIR)
    _write_private(data_dir / "secret_key", keys["secret_key"] + "\n")
    fernet: list[str] = keys["fernet_keys"]
    _write_private(data_dir / "fernet.key", fernet[0] + "\n")
    to_do = []
    from_env = [k.strip() for k in os.environ.get("BELEGSYNC_FERNET_KEYS", "").split(",") if k]
    if len(fernet) > 1 or (from_env and from_env != fernet):
        to_do.append(
            "Set BELEGSYNC_FERNET_KEYS to the Fernet keys in "
            f"{source / KEYS} (all of them, in that order) before you start belegsync: "
            "the credentials are encrypted with them."
        )
    if os.environ.get("BELEGSYNC_SECRET_KEY", "").strip() not in ("", keys["secret_key"]):
        to_do.append(
            "BELEGSYNC_SECRET_KEY differs from the backup's: sessions and invitation links "
            "of before the backup no longer work (nothing else depends on it)."
        )
    return to_do
