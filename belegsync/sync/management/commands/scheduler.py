"""``belegsync scheduler``: enqueue a sync for each connection that is due.

Several schedulers may run side by side: each due connection is enqueued once
(see :mod:`belegsync.sync.scheduler`). Each tick also recovers the imports
whose worker is gone (:func:`belegsync.sync.imports.recover`).
"""

from __future__ import annotations

import signal
import time
from typing import Any

from django.core.management.base import BaseCommand
from django.db import close_old_connections

from belegsync.sync import imports
from belegsync.sync.notify import send_digests
from belegsync.sync.scheduler import tick
from belegsync.sync.tasks import enqueue_sync, import_file
from belegsync.webhooks import tasks as webhooks

#: Seconds between two webhook dispatches (collect new events, send what is due).
WEBHOOK_INTERVAL = 15.0


class Command(BaseCommand):
    help = "Poll for due connections and enqueue their sync."

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("--interval", type=float, default=5.0, help="seconds between ticks")
        parser.add_argument("--once", action="store_true", help="one tick, then exit")

    def handle(self, *args: Any, **opts: Any) -> None:
        running = True

        def stop(signum: int, frame: Any) -> None:
            nonlocal running
            running = False

        signal.signal(signal.SIGTERM, stop)
        signal.signal(signal.SIGINT, stop)
        last_dispatch = 0.0
        while running:
            enqueued = tick(enqueue_sync)
            send_digests()
            if enqueued:
                self.stdout.write(f"enqueued sync for connections {enqueued}")
            recovered = imports.recover(import_file.enqueue)
            if recovered.resumed or recovered.failed:
                self.stdout.write(
                    f"imports whose worker was lost: resumed {recovered.resumed}, "
                    f"failed {recovered.failed}"
                )
            if time.monotonic() - last_dispatch >= WEBHOOK_INTERVAL:
                webhooks.enqueue_dispatch()
                last_dispatch = time.monotonic()
            close_old_connections()
            if opts["once"]:
                return
            deadline = time.monotonic() + opts["interval"]
            while running and time.monotonic() < deadline:
                time.sleep(0.2)
