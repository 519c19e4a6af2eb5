"""Every test starts in the default language, whatever ran before it.

A German page request leaves German active in the thread (``LocaleMiddleware``
activates per request and never deactivates), and a test that activates a language
by hand may not undo it. Tests after it that render text outside a request (reasons,
the command line, exports) would then read German where they expect English, and
pass or fail by the order they run in. ``tests/conftest.py`` resets the language
around every test; the two tests below run in this order (file order) and fail
without it. Run after the German check, too:
``pytest -p no:randomly tests/web/test_german.py tests/test_default_language.py``.
"""

from __future__ import annotations

import pytest
from django.conf import settings
from django.utils import translation

from belegsync.connectors.reasons import Reason
from belegsync.reasons import field_label, render

pytestmark = pytest.mark.django_db


def test_a_german_request_leaves_german_active(client, alice):
    client.force_login(alice)
    client.post("/i18n/setlang/", {"language": "de", "next": "/"})
    client.get("/")
    assert translation.get_language() == "de"  # what the fixture has to undo
    translation.activate("de")  # and what a careless test leaves behind


def test_the_next_test_starts_in_the_default_language(client):
    assert translation.get_language() == settings.LANGUAGE_CODE
    assert render(Reason("missing_number")).startswith("The document has no invoice number.")
    assert field_label("number") == "The invoice number"
    # a request without a language cookie is answered in the default language too
    assert client.get("/login/").headers["Content-Language"] == settings.LANGUAGE_CODE
