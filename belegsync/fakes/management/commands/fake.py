"""``belegsync fake SYSTEM --port N [system options]``: serve a local test double.

Each fake module ``belegsync.fakes.<system>`` offers ``build(argv) -> FakeApp``,
which parses its own options (credentials it accepts, ``--rate-limit``).
"""

from __future__ import annotations

import argparse
from importlib import import_module
from typing import Any

from django.core.management.base import BaseCommand, CommandError

from belegsync.fakes.base import serve_forever

FAKES = ("afterbuy", "billbee", "lexoffice", "sevdesk")


class Command(BaseCommand):
    help = "Serve a local test double of a remote system on 127.0.0.1."
    requires_system_checks: list[str] = []
    requires_migrations_checks = False

    def add_arguments(self, parser: argparse.ArgumentParser) -> None:
        parser.add_argument("system", choices=FAKES)
        parser.add_argument(
            "options", nargs=argparse.REMAINDER, help="--host, --port and the fake's own options"
        )

    def handle(self, *args: Any, **opts: Any) -> None:
        try:
            module = import_module(f"belegsync.fakes.{opts['system']}")
        except ImportError as exc:
            raise CommandError(f"The {opts['system']} fake is not available: {exc}") from exc
        common = argparse.ArgumentParser(add_help=False)
        common.add_argument("--host", default="127.0.0.1")
        common.add_argument("--port", type=int, default=0)
        where, rest = common.parse_known_args(opts["options"])
        app = module.build(rest)
        serve_forever(app, where.host, where.port)
