"""What a worker does before its first claim: no more than Django's set-up (#15).

Django's system checks import the whole URL configuration (every page, the REST API
and its schemas); a worker serves none of it, so it skips them and claims at once.
The times are bench/bench_worker_start.py's; this proves what is loaded, not how fast.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]

#: Run `belegsync worker` up to the moment it would start claiming, then say which of the
#: web shell's and the API's modules were imported by then.
PROBE = """
import os, sys
os.environ["DJANGO_SETTINGS_MODULE"] = "belegsync.settings"
import django
django.setup()  # what every command does first (main does it again: a no-op)
from belegsync.sync.management.commands import worker

def stop(self, *args, **opts):
    modules = ("belegsync.urls", "belegsync.api.main", "belegsync.web.views")
    loaded = [m for m in modules if m in sys.modules]
    print("loaded:", ",".join(loaded))

worker.Command.handle = stop
from belegsync.cli import main
main(["worker"])
"""


def test_the_worker_claims_without_loading_the_pages_or_the_api(tmp_path):
    env = {
        "PATH": "/usr/bin:/bin",
        "BELEGSYNC_DATA_DIR": str(tmp_path),
        "BELEGSYNC_TASK_BACKEND": "database",
        "PYTHONPATH": str(ROOT),
    }
    # the probe must really run the command: Django's set-up has to work here
    done = subprocess.run(
        [sys.executable, "-c", PROBE], env=env, capture_output=True, text=True, timeout=120
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "loaded:"
