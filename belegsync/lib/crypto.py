"""Secrets at rest: Fernet with key rotation (MultiFernet).

The first key of ``settings.FERNET_KEYS`` encrypts; all of them decrypt, so a
new key is put in front, ``belegsync rotate-keys`` re-encrypts, and the old key
is dropped afterwards.
"""

from __future__ import annotations

import json
from functools import cache
from typing import Any

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from django.conf import settings


class UnreadableSecret(Exception):
    """A stored secret cannot be decrypted with any configured key."""


@cache
def _fernet(keys: tuple[str, ...]) -> MultiFernet:
    return MultiFernet([Fernet(key) for key in keys])


def fernet() -> MultiFernet:
    return _fernet(tuple(settings.FERNET_KEYS))


def encrypt_json(value: Any) -> str:
    return fernet().encrypt(json.dumps(value, sort_keys=True).encode()).decode()


def decrypt_json(token: str) -> Any:
    try:
        return json.loads(fernet().decrypt(token.encode()))
    except InvalidToken as exc:
        raise UnreadableSecret(
            "Stored credentials cannot be decrypted: BELEGSYNC_FERNET_KEYS does not hold "
            "the key they were saved with."
        ) from exc


def rotate(token: str) -> str:
    return fernet().rotate(token.encode()).decode()
