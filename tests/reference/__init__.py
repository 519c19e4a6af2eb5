"""The remote systems' reference material, vendored: the suite reads nothing outside the repo.

``SOURCES`` beside this file names, for every file below it, where it comes from
and its SHA-256; ``tests/test_self_contained.py`` holds the two in step.
"""

from __future__ import annotations

from pathlib import Path

REFERENCE = Path(__file__).resolve().parent
