"""Fail any attempt of the test process to read beside the checkout.

A fresh clone has nothing beside it; a developer's machine may (the reference
folder the vendored copies came from). An audit hook turns such a read into an
error in the test that made it, so a dependency on a sibling folder shows up on
the developer's machine already, not only in a clean CI checkout.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
_PARENT = str(ROOT.parent)
_INSIDE = str(ROOT)


class OutsideCheckout(PermissionError):
    """A test opened a path beside the checkout."""


def _outside(path: Any) -> str | None:
    if isinstance(path, int):  # a file descriptor
        return None
    if isinstance(path, bytes):
        path = os.fsdecode(path)
    absolute = os.path.abspath(os.fspath(path))
    inside_parent = absolute == _PARENT or absolute.startswith(_PARENT + os.sep)
    inside_root = absolute == _INSIDE or absolute.startswith(_INSIDE + os.sep)
    return absolute if inside_parent and not inside_root else None


def _hook(event: str, args: tuple[Any, ...]) -> None:
    if event in ("open", "os.listdir", "os.scandir") and args and args[0] is not None:
        outside = _outside(args[0])
        if outside:
            raise OutsideCheckout(
                f"tests read only inside the checkout, not outside the checkout: {outside}"
            )


def install() -> None:
    """Install once per process; audit hooks cannot be removed."""
    if not getattr(sys, "_belegsync_inside_checkout", False):
        sys.addaudithook(_hook)
        sys._belegsync_inside_checkout = True  # type: ignore[attr-defined]
