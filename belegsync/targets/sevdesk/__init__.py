"""sevDesk as a target: client, mapping, settings and the adapter."""

from __future__ import annotations

from .target import SevdeskTarget

__all__ = ["SevdeskTarget"]
