"""A Rechnungsliste connection with an Afterbuy login attaches each invoice's PDF,
through the same client and double as the API source."""

from __future__ import annotations

import pytest

from belegsync.documents.models import Connection, Document, DocumentFile
from belegsync.fakes.afterbuy import build
from belegsync.services import Actor
from belegsync.services import imports as services
from belegsync.sync.cycle import run_cycle
from belegsync.targets.memory import MemoryTarget

from .generator import generate

ARGS = ["--partner-token", "p", "--account-token", "a", "--user", "teeladen"]
ARGS += ["--password", "richtig", "--orders", "20"]


@pytest.fixture
def fake(run_fake):
    return run_fake(build(ARGS))


@pytest.mark.django_db
def test_uploaded_invoices_get_their_pdf_from_the_afterbuy_login(org, fake, tmp_path):
    """GIVEN a CSV connection with the merchant's Afterbuy login
    WHEN a Rechnungsliste is imported and the connection syncs
    THEN every transferred invoice carries the PDF the Afterbuy double serves for it."""
    connection = Connection.objects.create(
        organisation=org,
        name="Rechnungsliste → Books",
        source_kind="afterbuy_csv",
        target_kind="memory",
        credentials={
            "source": {"web_user": "teeladen", "web_password": "richtig"},
            "target": {"account": "books"},
        },
        settings={},
    )
    path = tmp_path / "liste.csv"
    generate(path, 20, layout="items")
    job = services.import_now(
        Actor.system(), services.start_import_from_path(Actor.system(), connection, path)
    )
    assert job.count("created") > 0
    report = run_cycle(connection.pk, "worker-1")
    assert report.transferred == job.count("created")
    done = Document.objects.filter(connection=connection, state="done")
    assert done.count() == job.count("created")
    files = MemoryTarget.accounts["books"].files
    for document in done:
        stored = DocumentFile.objects.get(document=document)
        assert bytes(stored.content).startswith(b"%PDF-")
        assert files[document.remote_id] == bytes(stored.content)


@pytest.mark.django_db
def test_a_wrong_afterbuy_password_pauses_the_connection_instead_of_failing_each(
    org, fake, tmp_path
):
    connection = Connection.objects.create(
        organisation=org,
        name="Rechnungsliste → Books",
        source_kind="afterbuy_csv",
        target_kind="memory",
        credentials={"source": {"web_user": "teeladen", "web_password": "falsch"}},
        settings={},
    )
    path = tmp_path / "liste.csv"
    generate(path, 5, layout="items")
    services.import_now(
        Actor.system(), services.start_import_from_path(Actor.system(), connection, path)
    )
    run_cycle(connection.pk, "worker-1")
    connection.refresh_from_db()
    assert connection.paused_reason
    assert not Document.objects.filter(connection=connection, state="failed").exists()
