"""Every page in the German UI is German: no msgid without a translation, no English leak,
no raw value, and du rather than Sie (Build item 2 of the merchant UX issue).

The pages are rendered with the test client in German against an organisation that
has a connection of every kind and documents in every state with their reasons. While
they render, every translation lookup is watched: a msgid the German catalogue lacks
fails the test by name, wherever it comes from (template, form, label, reason).
"""

from __future__ import annotations

import pytest
from django.urls import URLPattern, URLResolver, get_resolver
from django.utils import timezone
from django.utils.translation import trans_real

from belegsync.sources.billbee.models import Webhook
from tests.web.shop import FORMAL, LEAKS, RAW, pages, shop, visible_text

pytestmark = pytest.mark.django_db

__all__ = ["shop"]  # the fixture


@pytest.fixture
def missing_translations(monkeypatch):
    """Every msgid looked up in German that the catalogue does not have."""
    missing: set[str] = set()
    gettext, ngettext = trans_real.DjangoTranslation.gettext, trans_real.DjangoTranslation.ngettext

    translated: set[str] = set()

    def watched_gettext(self, message):
        if self.to_language() == "de" and message and message not in self._catalog:
            if not translated:
                translated.update(str(v) for _, v in self._catalog.items())
            if message not in translated:  # German already (a label translated twice)
                missing.add(message)
        return gettext(self, message)

    def watched_ngettext(self, singular, plural, number):
        if self.to_language() == "de" and (singular, 0) not in self._catalog:
            missing.add(singular)
        return ngettext(self, singular, plural, number)

    monkeypatch.setattr(trans_real.DjangoTranslation, "gettext", watched_gettext)
    monkeypatch.setattr(trans_real.DjangoTranslation, "ngettext", watched_ngettext)
    return missing


def test_every_page_is_german_in_the_german_ui(client, alice, shop, missing_translations):
    client.force_login(alice)
    client.post("/i18n/setlang/", {"language": "de", "next": "/"})
    problems = [problem for url in pages(shop) for problem in not_german(client, url)]
    assert not sorted(missing_translations), (
        f"msgids without German: {sorted(missing_translations)}"
    )
    assert not problems, "\n".join(problems)


def not_german(client, url: str) -> list[str]:
    """What on the page at ``url`` is English, a raw value or formal."""
    response = client.get(url)
    assert response.status_code in (200, 404), (url, response.status_code)
    text = visible_text(response.content.decode())
    problems = []
    for pattern, what in ((LEAKS, "English"), (RAW, "raw value"), (FORMAL, "Sie")):
        for found in sorted({m.group(0) for m in pattern.finditer(text)}):
            start = text.find(found)
            problems.append(f"{url}: {what} {found!r} in …{text[max(0, start - 50) : start + 50]}…")
    return problems


def test_billbees_webhook_section_is_german_in_each_of_its_states(
    client, alice, shop, settings, missing_translations
):
    """Step 1's "Neue Bestellungen sofort": without a public address, with one and no
    webhook yet, and with a webhook registered (the archived Billbee connection's)."""
    client.force_login(alice)
    client.post("/i18n/setlang/", {"language": "de", "next": "/"})
    billbee, archived = (c for c in shop["connections"] if c.source_kind == "billbee")
    Webhook.objects.create(
        connection=archived,
        token_sha256="0" * 64,
        hook_id="h1",
        public_url="https://belegsync.example.com",
        registered_at=timezone.now(),
    )
    step = "/billbee/connections/{}/settings/general/".format
    texts, problems = {}, []
    for state, public_url, connection in (
        ("no address", "", billbee),
        ("not set up", "https://belegsync.example.com", billbee),
        ("registered", "https://belegsync.example.com", archived),
    ):
        settings.BELEGSYNC_PUBLIC_URL = public_url
        texts[state] = visible_text(client.get(step(connection.pk)).content.decode())
        problems += not_german(client, step(connection.pk))
    assert "Sofort melden kann" in texts["no address"]  # (names are left out of the text)
    assert "Webhook bei   einrichten" in texts["not set up"]
    assert "Webhook entfernen" in texts["registered"]
    assert not sorted(missing_translations), sorted(missing_translations)
    assert not problems, "\n".join(problems)


def _named_pages(resolver=None, prefix="") -> set[str]:
    names = set()
    for entry in (resolver or get_resolver()).url_patterns:
        if isinstance(entry, URLResolver):
            if entry.namespace == API_NAMESPACE:
                continue
            space = f"{entry.namespace}:" if entry.namespace else prefix
            names |= _named_pages(entry, space)
        elif isinstance(entry, URLPattern) and entry.name:
            names.add(prefix + entry.name)
    return names


#: The REST API answers machines (its texts are checked in tests/api).
API_NAMESPACE = "api-v1"
#: Not pages: actions (POST), files, machine answers and the steps of a running import.
NOT_PAGES = {
    "logout",
    "set_language",
    "healthz",
    "api_token_revoke",
    "webhook_remove",
    "organisation_sync",
    "documents_bulk",
    "document_pdf",
    "document_action",
    "document_keep",  # "keep this one": a POST action of the document page
    "connection_enabled",
    "connection_sync_now",
    "connection_check",
    "connection_archive",
    "connection_restore",
    "exports:download",
    "connection_month_file",
    "billbee:settings_start",
    # Billbee's webhook: its button posts back to step 1, the receiver answers Billbee
    "billbee:webhook_setup",
    "billbee:webhook",
    # the steps of a running import (its progress fragment and "transfer now")
    "import_progress",
    "exports:job_progress",
    "import_transfer_now",
    "import_again",
    "lexoffice:settings",
    "sevdesk:settings",
    "member_role",
    "member_remove",
    "invitation_withdraw",
}
COVERED = {
    "dashboard",
    "login",
    "documents",
    "document",
    "month_report",
    "connections",
    "connection_new",
    "connection_edit",
    "password_change",
    "api_tokens",
    "webhooks",
    "exports:overview",
    "exports:dialog",
    "exports:jobs",
    "exports:job",
    "exports:format_settings",
    "import_new",
    "connection_import",
    "billbee:settings",
    "connection_accounts",
    "members",
    "invitation",
    "import_job",
    "afterbuy:import_mapping",
}


def test_every_page_of_the_project_is_in_the_german_check():
    """A new page must be added to the check above (or named as no page here)."""
    unchecked = _named_pages() - NOT_PAGES - COVERED
    assert not unchecked, f"pages the German check does not render: {sorted(unchecked)}"


def test_an_imports_problems_read_in_german_with_where_and_what_to_do(client, alice, shop):
    """GIVEN an import with bad rows and one that lacks a column
    WHEN alice reads their pages in German
    THEN each row problem names line, column and value and says what to do (du), the
    separator is named in German, and the missing column by its header in the file."""
    client.force_login(alice)
    client.post("/i18n/setlang/", {"language": "de", "next": "/"})
    html = client.get(f"/imports/{shop['import_done'].pk}/").content.decode()
    assert "Gelesen als Windows-1252, Trennzeichen: Semikolon." in html
    text = visible_text(html)
    assert (
        "Zeile 4, Spalte „Bereits bezahlt“, Wert „19,99,1“: Das ist kein Betrag im deutschen "
        "Format" in text
    )
    assert "Zeile 6: Die Zeile hat 3 Felder, die Kopfzeile 27." in text
    assert "Die Rechnung 24187 kommt schon in Zeile 2 vor." in text
    mapping = f"/afterbuy/imports/{shop['import_mapping'].pk}/mapping/"
    text = visible_text(client.get(mapping).content.decode())
    assert "Der Datei fehlen Pflichtspalten: „Gesamtbetrag brutto“." in text
    assert "„Gesamtbetrag brutto“ (Bruttobetrag)" in text  # the form's label
