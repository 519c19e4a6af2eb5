"""``belegsync demo``: see belegsync work with no account anywhere.

Creates a demo organisation, the user ``demo`` (password ``demo``) and
connections against the local test doubles, which run inside this process on
127.0.0.1: sample vouchers → lexoffice, Billbee → sevDesk, Afterbuy (XML API
with PDFs) → lexoffice; then starts belegsync like ``belegsync run``, whose
scheduler syncs them at once and then every minute. belegsync's public address
is the demo's own server, so the Billbee double reaches its webhook receiver
("New orders at once" on the Billbee connection's step 1). Meant for a throw-away
data directory: the demo password is public.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from importlib import import_module
from typing import Any

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.core.management.base import BaseCommand
from django.db import transaction

from belegsync.connectors import egress
from belegsync.connectors.base import SourceDocument
from belegsync.documents.models import Connection, Membership, Organisation
from belegsync.fakes.base import serve_in_thread
from belegsync.fakes.demo_data import sample_vouchers
from belegsync.sync.ingest import store_all

DEMO_USER = "demo"
#: The fakes' demo credentials: public on purpose, valid only against the local doubles.
DEMO_SEVDESK_TOKEN = "demo-sevdesk-token-0123456789abcdef"  # noqa: S105


def demo_organisation() -> Organisation:
    org, _ = Organisation.objects.get_or_create(
        slug="demo",
        # the tax advisor's numbers the DATEV connection's files carry
        defaults={"name": "Demo Shop", "datev_consultant_number": 1001, "datev_client_number": 1},
    )
    User = get_user_model()
    user = User.objects.filter(username=DEMO_USER).first()
    if user is None:
        user = User.objects.create_user(DEMO_USER, password=DEMO_USER)
    Membership.objects.get_or_create(user=user, defaults={"organisation": org})
    return org


@dataclass(frozen=True)
class DemoConnection:
    name: str
    source_kind: str
    target_kind: str
    credentials: dict[str, Any]
    #: By namespace, as stored: {"policy": …, "source": …, "target": …}.
    settings: dict[str, Any]


#: Each double's place after ``--doubles-port BASE`` (BASE, BASE + 1 …); 0 = free ports.
DOUBLE_OFFSETS = {"lexoffice": 0, "sevdesk": 1, "billbee": 2, "afterbuy": 3}


def double_port(base: int, system: str) -> int:
    return base + DOUBLE_OFFSETS[system] if base else 0


def point_at(system: str, url: str) -> None:
    """Send this process's requests for ``system`` to its double (the operator's setting)."""
    os.environ[egress.ENV] = egress.with_remote(os.environ.get(egress.ENV, ""), system, url)


def start(module: str, argv: list[str], port: int = 0) -> str:
    """Start a fake in this process (daemon thread; ``port`` 0: a free one); return its URL."""
    app = import_module(f"belegsync.fakes.{module}").build(argv)
    url = serve_in_thread(app, port=port).url
    point_at(module, url)
    return url


def lexoffice(port: int = 0) -> tuple[dict[str, Any], dict[str, Any]]:
    start("lexoffice", ["--api-key", "demo-lexoffice-key"], port)
    return {"api_key": "demo-lexoffice-key"}, {}


def sevdesk(port: int = 0) -> tuple[dict[str, Any], dict[str, Any]]:
    from belegsync.fakes.sevdesk import SevdeskFake

    fake = SevdeskFake(api_token=DEMO_SEVDESK_TOKEN)
    accounts = {
        method: str(fake.add_check_account(f"{method} (manuell)", "offline"))
        for method in ("PayPal", "Banküberweisung", "Lastschrift", "KLARNA_Invoice")
    }
    point_at("sevdesk", serve_in_thread(fake, port=port).url)
    credentials = {"api_token": DEMO_SEVDESK_TOKEN}
    # the policy's payment accounts: what Billbee's step 3 would save
    return credentials, {"by_method": accounts, "unassigned_to_default": True}


def connections(doubles_port: int = 0) -> list[DemoConnection]:
    """The demo's connections: each source the product pages name, to each target."""
    lex_credentials, lex_settings = lexoffice(double_port(doubles_port, "lexoffice"))
    sev_credentials, sev_accounts = sevdesk(double_port(doubles_port, "sevdesk"))
    start(
        "billbee",
        [
            "--api-key",
            "demo-billbee",
            "--user",
            "demo@example.org",
            "--password",
            "demo-billbee-pw",
            "--orders",
            "25",
        ],
        double_port(doubles_port, "billbee"),
    )
    start(
        "afterbuy",
        [
            "--partner-token",
            "demo-partner",
            "--account-token",
            "demo-account",
            "--user",
            "demo-afterbuy",
            "--password",
            "demo-afterbuy-pw",
            "--orders",
            "25",
        ],
        double_port(doubles_port, "afterbuy"),
    )
    return [
        DemoConnection(
            "Demo shop → lexoffice",
            "memory",
            "lexoffice",
            {"target": lex_credentials},
            {"policy": {"mark_paid": False}, "target": lex_settings},
        ),
        DemoConnection(
            "Billbee → sevDesk",
            "billbee",
            "sevdesk",
            {
                "source": {
                    "api_key": "demo-billbee",
                    "user": "demo@example.org",
                    "password": "demo-billbee-pw",
                },
                "target": sev_credentials,
            },
            {
                "policy": {
                    "start_date": "2024-01-01",
                    "mark_paid": True,
                    "payment_accounts": sev_accounts,
                },
                "source": {"state_ids": ["3", "4", "7"]},
            },
        ),
        DemoConnection(
            "Billbee → DATEV",
            "billbee",
            "datev",
            {
                "source": {
                    "api_key": "demo-billbee",
                    "user": "demo@example.org",
                    "password": "demo-billbee-pw",
                },
            },
            {
                "policy": {"start_date": "2024-01-01", "mark_paid": True},
                "source": {"state_ids": ["3", "4", "7"]},
            },
        ),
        DemoConnection(
            "Afterbuy → lexoffice",
            "afterbuy_api",
            "lexoffice",
            {
                "source": {
                    "partner_token": "demo-partner",
                    "account_token": "demo-account",
                    "web_user": "demo-afterbuy",
                    "web_password": "demo-afterbuy-pw",
                },
                "target": lex_credentials,
            },
            {
                "policy": {"start_date": "2024-01-01", "mark_paid": False},
                "source": {"afterbuy_documents": ["invoice", "credit_note"]},
                "target": lex_settings,
            },
        ),
    ]


def own_address(host: str, port: int) -> str:
    """The demo server's address for the doubles in this process: the host it listens on,
    127.0.0.1 where it listens on every address."""
    reachable = "127.0.0.1" if host in ("", "0.0.0.0", "::") else host  # noqa: S104
    return f"http://{reachable}:{port}"


def publish(address: str) -> str:
    """belegsync's public address (``BELEGSYNC_PUBLIC_URL``) for this process and the
    worker and scheduler it starts; one the operator set stays."""
    address = settings.BELEGSYNC_PUBLIC_URL or address
    settings.BELEGSYNC_PUBLIC_URL = address
    os.environ["BELEGSYNC_PUBLIC_URL"] = address
    return address


def save(org: Organisation, demo: DemoConnection) -> Connection:
    connection, _ = Connection.objects.update_or_create(
        organisation=org,
        name=demo.name,
        defaults={
            "source_kind": demo.source_kind,
            "target_kind": demo.target_kind,
            "credentials": demo.credentials,
            "settings": demo.settings,
            "sync_interval": 60,
            "next_sync_at": None,
            "paused_reason": "",
            "pause_details": None,
            "cursor": "",
        },
    )
    return connection


class Command(BaseCommand):
    help = "Start belegsync with demo data against local test doubles (user demo / demo)."

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("--host", default="127.0.0.1")
        parser.add_argument("--port", type=int, default=8000)
        parser.add_argument("--no-serve", action="store_true", help="set up, then exit")
        parser.add_argument(
            "--doubles-port",
            type=int,
            default=0,
            help="first port of the test doubles: lexoffice, sevDesk, Billbee, Afterbuy on "
            "this one and the next three (default: free ports)",
        )

    def handle(self, *args: Any, **opts: Any) -> None:
        call_command("migrate", interactive=False, verbosity=0)
        public = publish(own_address(opts["host"], opts["port"]))
        with transaction.atomic():
            org = demo_organisation()
            saved = [save(org, demo) for demo in connections(opts["doubles_port"])]
            report = store_all(
                saved[0],
                [SourceDocument(v, source_id=v.number) for v in sample_vouchers()],
                actor="demo",
            )
        self.stdout.write(
            f"demo: organisation '{org.name}', user demo / demo; "
            f"{report.created} sample documents ({report.failed} that do not add up); "
            "connections: "
            + "; ".join(f"{c.name} ({c.source_kind} → {c.target_kind})" for c in saved)
            + ". The local test doubles run inside this process; Billbee's webhooks "
            f"call {public}."
        )
        if opts["no_serve"]:
            return
        call_command("run", host=opts["host"], port=opts["port"])
