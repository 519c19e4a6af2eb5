"""``belegsync preview --source READER --target KIND FILE``: the exact target request bodies.

An interface other tools rely on (docs/cli.md): reads the file, sends nothing,
changes nothing, and prints one JSON array with one object per document in
file order::

    [{"document": "RE-1001", "request": {...}},
     {"document": "RE-1002", "errors": ["total_gross: ..."]}]

Exit 0 when the file could be read, 1 when it could not.
"""

from __future__ import annotations

import json
from typing import Any

from django.core.management.base import BaseCommand, CommandError

from belegsync.connectors import registry
from belegsync.connectors.base import AdapterContext
from belegsync.connectors.errors import UnreadableFile
from belegsync.connectors.settings import Policy
from belegsync.documents.models import Connection
from belegsync.reasons import render_all, sentence
from belegsync.sync.preview import entry


def preview_entries(
    reader: Any, target: Any, path: str, settings: dict[str, Any], policy: Policy | None = None
) -> list[dict[str, Any]]:
    return [entry(target, number, result, policy) for number, result in reader(path, settings)]


class Command(BaseCommand):
    help = "Print the exact JSON bodies a target would receive for a source file; sends nothing."

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("file")
        parser.add_argument("--source", required=True, choices=sorted(registry.FILE_READERS))
        parser.add_argument("--target", required=True)
        parser.add_argument(
            "--connection",
            help="use this connection's settings and policy (small business, future days)",
        )

    def handle(self, *args: Any, **opts: Any) -> None:
        connection = Connection()
        if opts["connection"]:
            try:
                connection = Connection.objects.get(name=opts["connection"])
            except Connection.DoesNotExist:
                raise CommandError(f"No connection named {opts['connection']!r}.") from None
        # the file is read with the connection's source settings (a column mapping)
        settings = (connection.settings or {}).get("source") or {}
        try:
            reader = registry.file_reader(opts["source"])
            target_settings = (
                connection.settings_of("target") if connection.target_kind == opts["target"] else {}
            )
            target = registry.make_target(
                opts["target"],
                AdapterContext(
                    settings=target_settings,
                    policy=connection.policy,
                    advisor=connection.advisor,
                ),
            )
        except (registry.UnknownKind, ImportError) as exc:
            raise CommandError(str(exc)) from exc
        try:
            # a named connection's policy (§ 19, future days) applies as when it sends
            policy = connection.policy if opts["connection"] else None
            entries = preview_entries(reader, target, opts["file"], settings, policy)
        except OSError as exc:
            raise CommandError(f"{opts['file']}: cannot be read ({exc.strerror}).") from exc
        except UnreadableFile as exc:
            raise CommandError(f"{opts['file']}: {sentence(render_all(exc.reasons))}") from exc
        self.stdout.write(json.dumps(entries, ensure_ascii=False, indent=2))
