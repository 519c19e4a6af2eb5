"""``belegsync scheduler``: enqueue a sync for each connection that is due.

Several schedulers may run side by side: each due connection is enqueued once
(see :mod:`belegsync.sync.scheduler`). A tick every second: a connection made due
("sync now", an upload, Billbee's webhook) waits at most that long for its task, and
a tick with nothing due is one indexed UPDATE that changes no row. Every few seconds
the scheduler also recovers the imports whose worker is gone
(:func:`belegsync.sync.imports.recover`) and sends the daily digests.
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
#: Seconds between two rounds of the rest (lost imports, digests): none of it is urgent.
HOUSEKEEPING_INTERVAL = 5.0


class Command(BaseCommand):
    help = "Poll for due connections and enqueue their sync."

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("--interval", type=float, default=1.0, help="seconds between ticks")
        parser.add_argument("--once", action="store_true", help="one tick, then exit")

    def handle(self, *args: Any, **opts: Any) -> None:
        running = True

        def stop(signum: int, frame: Any) -> None:
            nonlocal running
            running = False

        signal.signal(signal.SIGTERM, stop)
        signal.signal(signal.SIGINT, stop)
        last_dispatch = last_housekeeping = 0.0
        while running:
            enqueued = tick(enqueue_sync)
            if enqueued:
                self.stdout.write(f"enqueued sync for connections {enqueued}")
            if time.monotonic() - last_housekeeping >= HOUSEKEEPING_INTERVAL:
                self.housekeeping()
                last_housekeeping = time.monotonic()
            if time.monotonic() - last_dispatch >= WEBHOOK_INTERVAL:
                webhooks.enqueue_dispatch()
                last_dispatch = time.monotonic()
            close_old_connections()
            if opts["once"]:
                return
            deadline = time.monotonic() + opts["interval"]
            while running and time.monotonic() < deadline:
                time.sleep(min(0.2, opts["interval"]))

    def housekeeping(self) -> None:
        send_digests()
        recovered = imports.recover(import_file.enqueue)
        if recovered.resumed or recovered.failed:
            self.stdout.write(
                f"imports whose worker was lost: resumed {recovered.resumed}, "
                f"failed {recovered.failed}"
            )
