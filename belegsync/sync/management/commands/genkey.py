"""``belegsync genkey``: print a new Fernet key for BELEGSYNC_FERNET_KEYS."""

from __future__ import annotations

from typing import Any

from cryptography.fernet import Fernet
from django.core.management.base import BaseCommand


class Command(BaseCommand):
    help = "Print a new encryption key (put it first in BELEGSYNC_FERNET_KEYS, then rotate-keys)."
    requires_system_checks: list[str] = []

    def handle(self, *args: Any, **opts: Any) -> None:
        self.stdout.write(Fernet.generate_key().decode())
