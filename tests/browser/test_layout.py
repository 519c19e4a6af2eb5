"""Every page fits a phone (375 px) and a laptop (1280 px) and is German in the German UI.

Playwright drives Debian's chromium over the live server: no page may be wider than
the screen (tables turn into cards on narrow screens), and the German text check of
tests/web/test_german.py holds for what the browser shows too.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from playwright.sync_api import expect

from tests.browser_support import CHROMIUM, CHROMIUM_ARGS
from tests.web.shop import LEAKS, RAW, pages, shop, visible_text

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

__all__ = ["shop"]  # the fixture

#: Where the README's screenshots are written when asked (make docs-images).
DOC_IMAGES = os.environ.get("BELEGSYNC_DOC_IMAGES", "")


def _browser_page(playwright, width):
    browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
    context = browser.new_context(viewport={"width": width, "height": 900}, locale="de-DE")
    return browser, context.new_page()


def _log_in(page, base):
    page.goto(f"{base}/login/")
    page.fill("input[name=username]", "alice")
    page.fill("input[name=password]", "alice-password-1")
    page.locator("form[action='/login/'] button[type=submit]").click()
    page.wait_for_url(f"{base}/")
    page.locator("button[name=language][value=de]").click()
    # the language POST answers with a redirect: wait for the German page it leads to
    expect(page.locator("html")).to_have_attribute("lang", "de")


@pytest.mark.parametrize("width", [375, 1280])
def test_no_page_scrolls_sideways_and_every_page_is_german(live_server, shop, width):
    from playwright.sync_api import sync_playwright

    if not Path(CHROMIUM).exists():
        pytest.fail(f"{CHROMIUM} is missing: run scripts/ensure-chromium")
    problems = []
    with sync_playwright() as playwright:
        browser, page = _browser_page(playwright, width)
        try:
            _log_in(page, live_server.url)
            for url in pages(shop):
                page.goto(f"{live_server.url}{url}")
                overflow = page.evaluate(
                    "() => document.documentElement.scrollWidth - window.innerWidth"
                )
                if overflow > 1:
                    wide = page.evaluate(
                        """() => [...document.querySelectorAll('body *')]
                        .filter(e => e.getBoundingClientRect().right > window.innerWidth + 1)
                        .slice(0, 3).map(e => e.tagName + '.' + e.className).join(', ')"""
                    )
                    problems.append(f"{width}px {url}: {overflow}px too wide ({wide})")
                if page.get_attribute("html", "lang") != "de":
                    problems.append(f"{width}px {url}: not German (lang)")
                text = visible_text(page.content())
                for pattern in (LEAKS, RAW):
                    found = sorted({m.group(0) for m in pattern.finditer(text)})
                    if found:
                        problems.append(f"{width}px {url}: {found}")
                if DOC_IMAGES and width == 1280 and url in ("/", "/documents/?state=failed"):
                    name = "dashboard.png" if url == "/" else "failed-documents.png"
                    page.screenshot(path=str(Path(DOC_IMAGES) / name), full_page=True)
        finally:
            browser.close()
    assert not problems, "\n".join(problems)
