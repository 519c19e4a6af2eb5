"""TLS and headers (issue #14, item 3): BELEGSYNC_HTTPS=1 behind a proxy turns on secure
cookies, HSTS and the redirect to https, `check --deploy` is clean, and every page is
served under a Content Security Policy that no inline script or style could pass."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from html.parser import HTMLParser
from pathlib import Path

import pytest
from django.test import Client, override_settings

from belegsync.config import ConfigurationError, load
from tests.web.shop import pages, shop

__all__ = ["shop"]  # the fixture

HTTPS_ENV = {
    "BELEGSYNC_HTTPS": "1",
    "BELEGSYNC_ALLOWED_HOSTS": "belegsync.example.com,.kunden.example.org",
    "BELEGSYNC_PROXY_HEADER": "X-Forwarded-Proto",
}


def _check_deploy(tmp_path, extra: dict[str, str]) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("BELEGSYNC_", "DJANGO_"))}
    env.update(BELEGSYNC_DATA_DIR=str(tmp_path), **extra)
    return subprocess.run(
        [sys.executable, "-m", "belegsync.cli", "check", "--deploy", "--fail-level", "WARNING"],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_check_deploy_is_clean_behind_tls(tmp_path):
    result = _check_deploy(tmp_path, HTTPS_ENV)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout + result.stderr


def test_check_deploy_warns_without_it(tmp_path):
    """The same check fails where TLS is not configured: the test above can fail."""
    result = _check_deploy(tmp_path, {})
    said = result.stdout + result.stderr
    assert result.returncode != 0
    for check in ("W004", "W008", "W012", "W016"):
        assert f"security.{check}" in said


def test_csrf_origins_come_from_the_allowed_hosts(tmp_path):
    config = load({"BELEGSYNC_DATA_DIR": str(tmp_path), **HTTPS_ENV})
    assert config.csrf_trusted_origins == (
        "https://belegsync.example.com",
        "https://*.kunden.example.org",
    )
    assert config.https and config.hsts_seconds == 31_536_000
    plain = load({"BELEGSYNC_DATA_DIR": str(tmp_path)})
    assert plain.csrf_trusted_origins == () and plain.hsts_seconds == 0


def test_a_proxy_header_must_be_a_header_name(tmp_path):
    with pytest.raises(ConfigurationError, match="BELEGSYNC_PROXY_HEADER"):
        load({"BELEGSYNC_DATA_DIR": str(tmp_path), "BELEGSYNC_PROXY_HEADER": "X: evil"})


TLS = {
    "SECURE_SSL_REDIRECT": True,
    "SESSION_COOKIE_SECURE": True,
    "CSRF_COOKIE_SECURE": True,
    "SECURE_HSTS_SECONDS": 31_536_000,
    "SECURE_HSTS_INCLUDE_SUBDOMAINS": True,
    "SECURE_PROXY_SSL_HEADER": ("HTTP_X_FORWARDED_PROTO", "https"),
    "ALLOWED_HOSTS": ["belegsync.example.com"],
    "CSRF_TRUSTED_ORIGINS": ["https://belegsync.example.com"],
}


@pytest.mark.django_db
@override_settings(**TLS)
def test_behind_tls_http_is_redirected_and_cookies_are_secure(alice):
    browser = Client(HTTP_HOST="belegsync.example.com")
    plain = browser.get("/login/")
    assert plain.status_code == 301 and plain["Location"] == "https://belegsync.example.com/login/"
    secure = Client(HTTP_HOST="belegsync.example.com", HTTP_X_FORWARDED_PROTO="https")
    page = secure.get("/login/")
    assert page["Strict-Transport-Security"] == "max-age=31536000; includeSubDomains"
    assert page.cookies["csrftoken"]["secure"]
    token = page.cookies["csrftoken"].value
    logged_in = secure.post(
        "/login/",
        {"username": "alice", "password": "alice-password-1", "csrfmiddlewaretoken": token},
        HTTP_REFERER="https://belegsync.example.com/login/",
    )
    assert logged_in.status_code == 302, logged_in.content[:500]
    assert logged_in.cookies["sessionid"]["secure"] and logged_in.cookies["sessionid"]["httponly"]


def test_a_proxy_header_is_not_trusted_unless_named(client, db):
    """Without BELEGSYNC_PROXY_HEADER a client cannot claim https by sending the header."""
    with override_settings(SECURE_SSL_REDIRECT=True):
        response = Client(HTTP_X_FORWARDED_PROTO="https").get("/login/")
    assert response.status_code == 301


class _Inline(HTMLParser):
    """Inline script, style or event handlers in a page."""

    def __init__(self) -> None:
        super().__init__()
        self.found: list[str] = []
        self._in: str | None = None

    def handle_starttag(self, tag, attrs):
        names = dict(attrs)
        if tag == "script" and not names.get("src"):
            self._in = "script"
        if tag == "style":
            self.found.append("<style>")
        for name, value in attrs:
            if name == "style" or name.startswith("on") or "javascript:" in (value or ""):
                self.found.append(f"<{tag} {name}=…>")

    def handle_data(self, data):
        if self._in == "script" and data.strip():
            self.found.append(f"inline script {data.strip()[:40]!r}")

    def handle_endtag(self, tag):
        self._in = None


@pytest.mark.django_db
def test_every_page_has_a_policy_that_forbids_inline_code_and_has_none(client, alice, shop):
    client.force_login(alice)
    for url in pages(shop):
        response = client.get(url)
        policy = response.get("Content-Security-Policy", "")
        assert "script-src 'self'" in policy and "style-src 'self'" in policy, url
        assert "unsafe-inline" not in policy and "unsafe-eval" not in policy
        assert "frame-ancestors 'none'" in policy and "object-src 'none'" in policy
        if "html" in response.get("Content-Type", ""):
            parser = _Inline()
            parser.feed(response.content.decode())
            assert not parser.found, (url, parser.found)


def test_the_templates_hold_no_inline_script_or_style():
    root = Path(__file__).resolve().parents[2] / "belegsync"
    inline = re.compile(r"<script(?![^>]*\bsrc=)[^>]*>|<style|\sstyle=|\son[a-z]+=")
    offenders = [
        str(path) for path in root.rglob("*.html") if inline.search(path.read_text("utf-8"))
    ]
    assert not offenders
