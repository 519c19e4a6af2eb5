from __future__ import annotations

import datetime as dt

import pytest

from belegsync.documents.models import Document
from belegsync.documents.states import State
from tests.documents.test_states import make_document

pytestmark = pytest.mark.django_db


def test_the_page_says_what_is_missing(client, alice, connection):
    for number, state in (("RE-1", State.DONE), ("RE-3", State.FAILED)):
        document = make_document(connection, state, number)
        Document.objects.filter(pk=document.pk).update(invoice_date=dt.date(2026, 11, 5))
    client.force_login(alice)
    page = client.get("/reports/month/?month=2026-11").content.decode()
    assert "Not complete yet" in page
    assert "RE-2" in page and "RE-3" in page


def test_another_organisations_connection_is_not_found(client, bob, connection):
    client.force_login(bob)
    response = client.get(f"/reports/month/?month=2026-11&connection={connection.pk}")
    assert response.status_code == 404
