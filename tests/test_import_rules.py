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


#: An adapter folder's UI part: the web shell imports these, the core never does.
UI_MODULES = {"forms", "views", "urls", "apps"}


def _imports(path: Path) -> set[str]:
    import ast

    names: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            names |= {alias.name for alias in node.names}
        elif isinstance(node, ast.ImportFrom):
            base = "." * node.level + (node.module or "")
            names.add(base)
            joint = "" if base.endswith(".") else "."
            names |= {f"{base}{joint}{alias.name}" for alias in node.names}
    return names


def test_adapter_cores_never_import_their_ui_part():
    """The core (client, mapping, adapter class) names its forms by path ("forms.X"): it
    imports neither Django's forms nor its folder's forms, views or urls."""
    offenders = []
    for kind in ("sources", "targets"):
        for path in sorted((ROOT / "belegsync" / kind).glob("*/*.py")):
            if path.stem in UI_MODULES:
                continue
            for name in _imports(path):
                parts = name.lstrip(".").split(".")
                if name.startswith("django.forms") or (
                    name.startswith(".") and parts[-1] in UI_MODULES - {"apps"}
                ):
                    offenders.append(f"{path.relative_to(ROOT)} imports {name}")
    assert not offenders, offenders
