"""Browser tests drive Debian's chromium through Playwright (one way, one fixture).

Playwright's sync API runs its own event loop in the test's thread; Django's
ORM refuses calls from a thread with a running loop unless told that this is
fine, which it is here (the test thread owns its connection). While that loop
runs, Django keeps the thread's connections apart from those outside it (asgiref's
``Local`` is a context variable under a running loop): a fixture that first reaches
the database after ``page`` opens a second connection, which the page closes when it
ends; else it outlives the test and PostgreSQL refuses to drop the test database.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from django.db import connections

os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

CHROMIUM = "/usr/bin/chromium"
SCREENSHOTS = Path(os.environ.get("BELEGSYNC_SCREENSHOTS", "/tmp"))
#: Without the background-networking flags chromium keeps dialling out of a closed network.
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]


@pytest.fixture
def page() -> Iterator[Any]:
    """A fresh browser page (English, 1280 px wide) in Debian's chromium."""
    if not Path(CHROMIUM).exists():
        pytest.fail(f"{CHROMIUM} is missing: run scripts/ensure-chromium (Debian's chromium)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        context = browser.new_context(viewport={"width": 1280, "height": 900}, locale="en-GB")
        try:
            yield context.new_page()
        finally:
            context.close()
            browser.close()
            connections.close_all()  # those opened under Playwright's loop
