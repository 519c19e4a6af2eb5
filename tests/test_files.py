"""Files (issue #14, item 8): the data directory and everything belegsync writes in it
are the service user's alone — folders 0700, files 0600 — whatever the umask it starts
with."""

from __future__ import annotations

import os
import stat
import subprocess
import sys
from pathlib import Path

WRITE_EVERYTHING = """
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from belegsync.exports.models import exports_dir
default_storage.save("imports/2026/rechnungsliste.csv", ContentFile(b"a;b"))
default_storage.save("pdfs/RE-1.pdf", ContentFile(b"%PDF-1.4"))
(exports_dir() / "datev.csv").write_text("x")
"""


def _belegsync(data: Path, *args: str) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("BELEGSYNC_", "DJANGO_"))}
    env.update(BELEGSYNC_DATA_DIR=str(data), DATABASE_URL="")
    subprocess.run(
        [sys.executable, "-m", "belegsync.cli", *args],
        env=env,
        check=True,
        capture_output=True,
        timeout=180,
        preexec_fn=lambda: os.umask(0o022),  # the usual default: files 0644
    )


def test_everything_in_the_data_directory_is_private(tmp_path):
    data = tmp_path / "data"
    data.mkdir(mode=0o755)  # made beforehand, readable by all
    _belegsync(data, "migrate", "--no-input")
    _belegsync(data, "shell", "-c", WRITE_EVERYTHING)
    seen = {p.relative_to(data).as_posix(): stat.S_IMODE(p.stat().st_mode) for p in data.rglob("*")}
    assert {"belegsync.sqlite3", "secret_key", "fernet.key", "files/pdfs/RE-1.pdf"} <= set(seen)
    assert stat.S_IMODE(data.stat().st_mode) == 0o700
    wrong = {
        name: oct(mode)
        for name, mode in seen.items()
        if mode != (0o700 if (data / name).is_dir() else 0o600)
    }
    assert not wrong
