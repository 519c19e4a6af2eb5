"""``belegsync demo``: see belegsync work with no account anywhere.

Creates a demo organisation, the user ``demo`` (password ``demo``) and
connections against the local test doubles, which run inside this process on
127.0.0.1; fills the source with sample vouchers; then starts belegsync like
``belegsync run``. Meant for a throw-away data directory: the demo password is
public.
"""

from __future__ import annotations

from typing import Any

from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.core.management.base import BaseCommand
from django.db import transaction

from belegsync.connectors.base import SourceDocument
from belegsync.documents.models import Connection, Membership, Organisation
from belegsync.fakes.base import serve_in_thread
from belegsync.fakes.demo_data import sample_vouchers
from belegsync.sync.ingest import store_all

DEMO_USER = "demo"


def demo_organisation() -> Organisation:
    org, _ = Organisation.objects.get_or_create(slug="demo", defaults={"name": "Demo Shop"})
    User = get_user_model()
    user = User.objects.filter(username=DEMO_USER).first()
    if user is None:
        user = User.objects.create_user(DEMO_USER, password=DEMO_USER)
    Membership.objects.get_or_create(user=user, defaults={"organisation": org})
    return org


def lexoffice_target() -> tuple[str, dict[str, Any]]:
    """The lexoffice double in this process, or the in-memory target if it is not built."""
    try:
        from belegsync.fakes import lexoffice
    except ImportError:
        return "memory", {"account": "demo"}
    app = lexoffice.build(["--api-key", "demo-lexoffice-key"])
    fake = serve_in_thread(app)
    return "lexoffice", {"api_key": "demo-lexoffice-key", "base_url": fake.url}


def demo_connection(org: Organisation) -> Connection:
    kind, credentials = lexoffice_target()
    connection, _ = Connection.objects.update_or_create(
        organisation=org,
        name="Demo shop → bookkeeping",
        defaults={
            "source_kind": "memory",
            "target_kind": kind,
            "credentials": {"target": credentials},
            "settings": {"mark_paid": False},
            "sync_interval": 60,
            "next_sync_at": None,
            "paused_reason": "",
        },
    )
    return connection


class Command(BaseCommand):
    help = "Start belegsync with demo data against local test doubles (user demo / demo)."

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("--host", default="127.0.0.1")
        parser.add_argument("--port", type=int, default=8000)
        parser.add_argument("--no-serve", action="store_true", help="set up, then exit")

    def handle(self, *args: Any, **opts: Any) -> None:
        call_command("migrate", interactive=False, verbosity=0)
        with transaction.atomic():
            org = demo_organisation()
            connection = demo_connection(org)
            report = store_all(
                connection,
                [SourceDocument(v, source_id=v.number) for v in sample_vouchers()],
                actor="demo",
            )
        self.stdout.write(
            f"demo: organisation '{org.name}', user demo / demo; connection "
            f"'{connection.name}' → {connection.target_kind}; {report.created} new documents, "
            f"{report.failed} failed on import."
        )
        if opts["no_serve"]:
            return
        call_command("run", host=opts["host"], port=opts["port"])
