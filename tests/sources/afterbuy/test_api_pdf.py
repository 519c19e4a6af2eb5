"""Invoice PDFs with the merchant's Afterbuy login: session reuse, wrong password, non-PDFs."""

from __future__ import annotations

import pytest
from django.utils import timezone

from belegsync.connectors.base import AdapterContext, Cursor, SourceDocument
from belegsync.connectors.errors import AuthError, NotFound, PermanentError
from belegsync.documents.models import Connection, Document, DocumentFile
from belegsync.documents.states import State
from belegsync.fakes.afterbuy import AfterbuyFake, build
from belegsync.sources.afterbuy.api_source import AfterbuyApiSource
from belegsync.sources.afterbuy.pdf import AfterbuyWebClient
from belegsync.sync.cycle import run_cycle

PARTNER, ACCOUNT = "partner-token-1", "account-token-1"
RIGHT = "richtig"
FAKE_ARGS = ["--partner-token", PARTNER, "--account-token", ACCOUNT]
FAKE_ARGS += ["--user", "teeladen", "--password", "richtig", "--orders", "12"]


@pytest.fixture
def fake(run_fake):
    return run_fake(build(FAKE_ARGS))


def credentials(password: str = RIGHT, user: str = "teeladen") -> dict[str, str]:
    return {
        "partner_token": PARTNER,
        "account_token": ACCOUNT,
        "web_user": user,
        "web_password": password,
    }


def settings(fake) -> dict[str, str]:
    return {}


def source(fake, password: str = RIGHT, user: str = "teeladen") -> AfterbuyApiSource:
    return AfterbuyApiSource(
        AdapterContext(credentials=credentials(password, user), settings=settings(fake))
    )


def documents(src: AfterbuyApiSource) -> list[SourceDocument]:
    pages = src.fetch(Cursor(), timezone.now())
    return [d for p in pages for d in p.documents if not d.skip_reasons]


def test_it_downloads_invoice_pdfs_in_one_session(fake) -> None:
    src = source(fake)
    docs = documents(src)[:3]
    pdfs = [src.pdf(d) for d in docs]
    for document, pdf in zip(docs, pdfs, strict=True):
        assert pdf is not None and pdf.startswith(b"%PDF-")
        assert document.voucher.number.encode() in pdf
    app: AfterbuyFake = fake.app
    assert app.logins == 1


def test_it_logs_in_again_when_the_session_expired(fake) -> None:
    src = source(fake)
    first, second = documents(src)[:2]
    assert src.pdf(first)
    fake.app.expire_sessions()
    assert (src.pdf(second) or b"").startswith(b"%PDF-")
    assert fake.app.logins == 2


def test_it_finds_the_pdf_of_a_csv_imported_document_by_its_order_id(fake) -> None:
    src = source(fake)
    api_document = documents(src)[0]
    from_csv = SourceDocument(
        api_document.voucher, source_id=api_document.voucher.order_number, meta={"line": 2}
    )
    assert (src.pdf(from_csv) or b"").startswith(b"%PDF-")


def test_it_refuses_a_wrong_password_with_a_clear_message(fake) -> None:
    src = source(fake, password="falsch")
    document = documents(src)[0]
    with pytest.raises(AuthError) as caught:
        src.pdf(document)
    assert "user name and password" in caught.value.message
    assert "falsch" not in caught.value.message  # never the secret


def test_it_refuses_an_answer_that_is_not_a_pdf(fake) -> None:
    src = source(fake)
    document = documents(src)[0]
    fake.app.html_instead_of_pdf.add(int(document.source_id))
    with pytest.raises(PermanentError, match="not a PDF"):
        src.pdf(document)


def test_it_refuses_a_pdf_beyond_the_size_bound(fake) -> None:
    web = AfterbuyWebClient(user="teeladen", password="richtig", max_bytes=100)
    with pytest.raises(PermanentError, match="more than"):
        web.invoice_pdf("500000", "30000")


def test_it_names_the_invoice_when_afterbuy_has_no_pdf(fake) -> None:
    web = AfterbuyWebClient(user="teeladen", password="richtig")
    with pytest.raises(NotFound, match="invoice 99"):
        web.invoice_pdf("1", "99")


def test_it_sends_no_pdf_without_a_login(fake) -> None:
    src = AfterbuyApiSource(
        AdapterContext(
            credentials={"partner_token": PARTNER, "account_token": ACCOUNT},
            settings=settings(fake),
        )
    )
    assert src.pdf(documents(src)[0]) is None


def test_it_checks_the_login_on_save(fake) -> None:
    context = AdapterContext(credentials=credentials("falsch"), settings=settings(fake))
    with pytest.raises(AuthError):
        AfterbuyApiSource.check_credentials(context)
    AfterbuyApiSource.check_credentials(
        AdapterContext(credentials=credentials(), settings=settings(fake))
    )


def test_a_wrong_password_pauses_the_connection_not_every_document(fake, org) -> None:
    connection = Connection.objects.create(
        organisation=org,
        name="Afterbuy → Books",
        source_kind="afterbuy_api",
        target_kind="memory",
        credentials={"source": credentials("falsch"), "target": {"account": "t"}},
        settings={"source": settings(fake)},
    )
    report = run_cycle(connection.pk, "worker-1")
    connection.refresh_from_db()
    assert report.fetched.created > 5
    assert "user name and password" in connection.paused_reason
    assert not Document.objects.filter(connection=connection, state=State.FAILED).exists()
    assert fake.app.failed_logins == 1


def test_a_transferred_document_keeps_its_pdf(run_fake, org) -> None:
    # few orders: the engine paces Afterbuy calls at one per second (AfterbuyApiSource.rate)
    fake = run_fake(build([*FAKE_ARGS, "--orders", "3"]))
    connection = Connection.objects.create(
        organisation=org,
        name="Afterbuy → Books",
        source_kind="afterbuy_api",
        target_kind="memory",
        credentials={"source": credentials(), "target": {"account": "t"}},
        settings={"source": settings(fake)},
    )
    report = run_cycle(connection.pk, "worker-1")
    assert report.transferred >= 3
    done = Document.objects.filter(connection=connection, state=State.DONE)
    assert DocumentFile.objects.filter(document__in=done).count() == done.count()
    assert fake.app.logins == 1
