"""The suite needs nothing but the repository: a fresh clone in an empty folder passes.

Three guards: every vendored reference file is listed in ``tests/reference/SOURCES``
with its origin and hash; no file of the repository names a path of a build
machine; and, while the suite runs, opening anything beside the checkout (a
reference folder next to it, say) fails the test that tried (see ``conftest.py``).
"""

from __future__ import annotations

import hashlib
import re
from pathlib import Path

import pytest

from tests.reference import REFERENCE
from tests.self_contained import ROOT, OutsideCheckout

#: Folders that are not the project's own files.
NOT_OURS = {".git", ".venv", ".mypy_cache", ".ruff_cache", ".pytest_cache", ".hypothesis"}
TEXT = {".py", ".md", ".toml", ".txt", ".cfg", ".ini", ".html", ".po", ".json", ".yaml", ""}
#: An absolute path of some machine, or the reference folder beside the checkout.
MACHINE_PATH = re.compile(r"(?<![\w.:/~-])/(?:work|home|Users|root|mnt|srv|opt)/\w|\.\./shared\b")


def listed_sources() -> dict[str, str]:
    """``SOURCES``: one line per file, ``path  sha256  origin``."""
    listed = {}
    for line in (REFERENCE / "SOURCES").read_text(encoding="utf-8").splitlines():
        if line and not line.startswith("#"):
            path, digest, origin = line.split("  ", 2)
            assert origin.strip(), f"SOURCES names no origin for {path}"
            listed[path] = digest
    return listed


def project_files() -> list[Path]:
    files = []
    for path in ROOT.rglob("*"):
        parts = set(path.relative_to(ROOT).parts)
        if path.is_file() and not parts & NOT_OURS and "__pycache__" not in parts:
            files.append(path)
    return files


def test_every_vendored_reference_file_says_where_it_comes_from() -> None:
    vendored = {
        path.relative_to(REFERENCE).as_posix(): hashlib.sha256(path.read_bytes()).hexdigest()
        for path in REFERENCE.rglob("*")
        if path.is_file()
        and path.name not in {"SOURCES", "__init__.py"}
        and "__pycache__" not in path.parts
    }
    assert vendored == listed_sources()


def test_no_file_names_a_path_outside_the_checkout() -> None:
    found = []
    for path in project_files():
        if path.suffix not in TEXT or path.is_relative_to(REFERENCE):
            continue
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
            if MACHINE_PATH.search(line):
                found.append(f"{path.relative_to(ROOT)}:{number}: {line.strip()}")
    assert found == []


def test_a_test_cannot_open_a_file_beside_the_checkout() -> None:
    beside = ROOT.parent / "shared" / "reference" / "README.md"
    with pytest.raises(OutsideCheckout, match="outside the checkout"):
        beside.open()
    with pytest.raises(OutsideCheckout):
        list((ROOT / "..").iterdir())
