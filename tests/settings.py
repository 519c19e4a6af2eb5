"""Test settings: the real settings, on a data directory of the test run's own."""

import os
import tempfile

os.environ.setdefault("BELEGSYNC_DATA_DIR", tempfile.mkdtemp(prefix="belegsync-test-"))
os.environ.setdefault("BELEGSYNC_TASK_BACKEND", "immediate")

from belegsync.settings import *  # noqa: F403
from belegsync.settings import DATA_DIR, DATABASES

# A file, not SQLite's in-memory test database, so worker processes and
# threads of a test see the same data.
if DATABASES["default"]["ENGINE"].endswith("sqlite3"):
    DATABASES["default"]["TEST"] = {"NAME": str(DATA_DIR / "test.sqlite3")}

PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
