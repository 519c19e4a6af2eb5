"""The import rules of docs/architecture.md hold, and breaking one fails `make lint`."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
LINT = Path(sys.executable).with_name("lint-imports")

pytestmark = pytest.mark.skipif(not LINT.exists(), reason="import-linter is not installed")


def lint(tree: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(LINT), "--config", str(tree / "pyproject.toml"), "--no-cache"],
        cwd=tree,
        env={"PYTHONPATH": str(tree), "PATH": "/usr/bin:/bin"},
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


@pytest.fixture
def copy(tmp_path: Path) -> Path:
    """The package and its contracts, copied so a test may break them."""
    shutil.copytree(
        ROOT / "belegsync", tmp_path / "belegsync", ignore=shutil.ignore_patterns("__pycache__")
    )
    shutil.copy(ROOT / "pyproject.toml", tmp_path / "pyproject.toml")
    return tmp_path


def test_the_package_keeps_every_contract():
    result = lint(ROOT)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "BROKEN" not in result.stdout


@pytest.mark.parametrize(
    ("module", "line", "contract"),
    [
        ("bookkeeping/money.py", "import belegsync.documents.models", "bookkeeping imports"),
        ("sources/billbee/client.py", "import belegsync.targets.sevdesk", "never import each"),
        ("sources/billbee/mapping.py", "import belegsync.sync.ingest", "adapter cores"),
        ("sync/cycle.py", "import belegsync.web.scoping", "below the web shell"),
    ],
)
def test_a_forbidden_import_breaks_its_contract(copy: Path, module: str, line: str, contract: str):
    path = copy / "belegsync" / module
    path.write_text(path.read_text() + f"\n{line}  # forbidden on purpose\n")
    result = lint(copy)
    assert result.returncode != 0
    broken = [row for row in result.stdout.splitlines() if " BROKEN" in row]
    assert len(broken) >= 1 and any(contract in row for row in broken), result.stdout
