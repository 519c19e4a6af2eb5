"""``belegsync documents``: the document lists and the merchant's actions on the command line.

    belegsync documents list [--organisation SLUG] [--connection NAME] [--state STATE]
                             [--number PART] [--limit N]
    belegsync documents reset|mark_manually_imported|reupload ID [ID …]

The same list query as the web and the REST API (``documents/listing.py``) and
the same actions (``services.documents``), acting as the command line
("cli" in the history) on every organisation unless ``--organisation`` narrows
it. ``list`` prints one line per document, newest first; an action prints one
outcome per document and exits 1 when any was refused or not found.
"""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from belegsync.documents import listing
from belegsync.documents.models import Connection
from belegsync.documents.states import State
from belegsync.services import Actor
from belegsync.services import documents as services

ACTIONS = [a.value for a in services.Action]


class Command(BaseCommand):
    help = "List documents, or reset / mark as manually imported / re-upload them by id."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("what", choices=["list", *ACTIONS])
        parser.add_argument("ids", nargs="*", type=int, help="document ids (for an action)")
        parser.add_argument("--organisation", default="", help="only this organisation (slug)")
        parser.add_argument("--connection", default="", help="only this connection (name)")
        parser.add_argument("--state", default="", choices=["", *State.values])
        parser.add_argument("--number", default="", help="part of the document number")
        parser.add_argument("--limit", type=int, default=50)

    def handle(self, *args: Any, what: str, ids: list[int], **options: Any) -> None:
        actor = Actor.system("cli")
        if what == "list":
            self._list(actor, **options)
        else:
            self._act(actor, what, ids, options["organisation"])

    def _list(self, actor: Actor, **options: Any) -> None:
        documents = actor.documents()
        connections = actor.connections()
        if options["organisation"]:
            documents = documents.filter(connection__organisation__slug=options["organisation"])
            connections = connections.filter(organisation__slug=options["organisation"])
        connection_id = None
        if options["connection"]:
            try:
                connection_id = connections.get(name=options["connection"]).pk
            except (Connection.DoesNotExist, Connection.MultipleObjectsReturned):
                raise CommandError(
                    f"No single connection named {options['connection']!r}; "
                    "add --organisation SLUG."
                ) from None
        filters = listing.Filters(
            state=options["state"], number=options["number"], connection_id=connection_id
        )
        found = listing.filtered(documents, connections.values_list("pk", flat=True), filters)
        rows, _next = listing.page(found, filters, None, max(1, options["limit"]))
        for d in rows:
            gross = -d.total_gross if d.kind == "credit_note" else d.total_gross
            failure = f"  {d.failure_reason}" if d.state == State.FAILED else ""
            self.stdout.write(
                f"{d.pk:>8}  {d.source_number:<20} {d.state:<10} {gross:>12} {d.currency}"
                f"  {d.connection.name}{failure}"
            )

    def _act(self, actor: Actor, action: str, ids: list[int], organisation: str) -> None:
        if not ids:
            raise CommandError(f"Name the documents to {action}: belegsync documents {action} ID …")
        if organisation:
            mine = set(
                actor.documents()
                .filter(pk__in=ids, connection__organisation__slug=organisation)
                .values_list("pk", flat=True)
            )
            outcomes, missing = services.act_on_ids(actor, action, [i for i in ids if i in mine])
            missing += [i for i in ids if i not in mine]
        else:
            outcomes, missing = services.act_on_ids(actor, action, ids)
        for outcome in outcomes:
            mark = "ok     " if outcome.ok else "refused"
            self.stdout.write(f"{mark} {outcome.document.pk:>8} {outcome.message}")
        for pk in missing:
            self.stdout.write(f"missing {pk:>8} no such document")
        if missing or not all(o.ok for o in outcomes):
            raise SystemExit(1)
