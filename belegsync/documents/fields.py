from __future__ import annotations

from typing import Any

from django.db import models

from belegsync.lib.crypto import decrypt_json, encrypt_json


class EncryptedJSONField(models.TextField):  # type: ignore[type-arg]
    """A JSON value stored as a Fernet token: the database never sees it in clear."""

    description = "JSON, encrypted at rest"

    def from_db_value(self, value: str | None, expression: Any, connection: Any) -> Any:
        if value in (None, ""):
            return {}
        return decrypt_json(value)

    def to_python(self, value: Any) -> Any:
        return value if isinstance(value, dict) else (value or {})

    def get_prep_value(self, value: Any) -> str:
        return encrypt_json(value or {})
