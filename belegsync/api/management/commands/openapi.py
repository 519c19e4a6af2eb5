"""``belegsync openapi``: print the REST API's OpenAPI schema, or check/renew the committed one.

The committed copy (docs/openapi.json) is the stable interface clients build
against; ``--check`` fails when the code no longer matches it.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from belegsync.api.main import schema

COMMITTED = Path(__file__).resolve().parents[4] / "docs" / "openapi.json"


def rendered() -> str:
    return json.dumps(schema(), indent=2, ensure_ascii=False) + "\n"


class Command(BaseCommand):
    help = "Print the REST API's OpenAPI schema; --check / --write the committed docs/openapi.json."

    def add_arguments(self, parser: CommandParser) -> None:
        group = parser.add_mutually_exclusive_group()
        group.add_argument("--check", action="store_true", help="fail if docs/openapi.json differs")
        group.add_argument("--write", action="store_true", help="renew docs/openapi.json")

    def handle(self, *args: Any, check: bool, write: bool, **options: Any) -> None:
        text = rendered()
        if write:
            COMMITTED.write_text(text, encoding="utf-8")
            self.stdout.write(f"wrote {COMMITTED}")
        elif check:
            if not COMMITTED.exists() or COMMITTED.read_text(encoding="utf-8") != text:
                raise CommandError(
                    "docs/openapi.json differs from the API's schema: if the change is meant, "
                    "run `belegsync openapi --write` and say so in CHANGELOG.md."
                )
        else:
            self.stdout.write(text, ending="")
