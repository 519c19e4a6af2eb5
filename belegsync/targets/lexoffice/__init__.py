"""lexoffice (Lexware Office) target: client, mapping and adapter."""

from __future__ import annotations

from .adapter import LexofficeTarget

__all__ = ["LexofficeTarget"]
