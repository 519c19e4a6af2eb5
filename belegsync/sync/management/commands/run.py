"""``belegsync run``: web server, one worker and the scheduler in one process tree.

The embedded default: SQLite, no other service. The web server is waitress (a
production WSGI server); worker and scheduler are child processes that stop
with it.
"""

from __future__ import annotations

import secrets
import signal
import subprocess
import sys
from typing import Any

from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.core.management.base import BaseCommand
from django.db import transaction

from belegsync.documents.models import Membership, Organisation


def child(*args: str) -> subprocess.Popen[bytes]:
    return subprocess.Popen([sys.executable, "-m", "belegsync.cli", *args])  # noqa: S603


def ensure_first_user(stdout: Any) -> None:
    """On an empty installation, create an administrator and show its password once."""
    User = get_user_model()
    if User.objects.exists():
        return
    password = secrets.token_urlsafe(12)
    with transaction.atomic():
        user = User.objects.create_superuser("admin", password=password)
        org = Organisation.objects.create(name="My shop", slug="my-shop")
        Membership.objects.create(user=user, organisation=org)
    stdout.write(
        f"\n  First start: created user 'admin' with password  {password}\n"
        "  It is shown only now. Log in and change it: click the user name 'admin' at the\n"
        "  top right of any page (or open /account/password/),\n"
        "  or run `belegsync changepassword admin`.\n"
    )


class Command(BaseCommand):
    help = "Start belegsync: web server, worker and scheduler (SQLite by default)."

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("--host", default="127.0.0.1")
        parser.add_argument("--port", type=int, default=8000)
        parser.add_argument("--threads", type=int, default=8)
        parser.add_argument("--no-worker", action="store_true", help="serve the web UI only")

    def handle(self, *args: Any, **opts: Any) -> None:
        from waitress import serve

        from belegsync.wsgi import application

        call_command("migrate", interactive=False, verbosity=0)
        ensure_first_user(self.stdout)
        children = [] if opts["no_worker"] else [child("worker"), child("scheduler")]

        def stop(signum: int, frame: Any) -> None:
            raise KeyboardInterrupt

        signal.signal(signal.SIGTERM, stop)
        self.stdout.write(f"belegsync is running on http://{opts['host']}:{opts['port']}/")
        try:
            serve(
                application,
                host=opts["host"],
                port=opts["port"],
                threads=opts["threads"],
                ident="belegsync",
            )
        except KeyboardInterrupt:
            pass
        finally:
            for process in children:
                process.terminate()
            for process in children:
                process.wait(timeout=30)
