"""A newcomer adds a source: one folder and one registry line, nothing else.

The tiny source lives in a temporary folder outside belegsync; the test touches
nothing but that folder and ``registry.SOURCES`` (the registry line)."""

from __future__ import annotations

import importlib
import sys
import textwrap

import pytest
from django.urls import clear_url_caches

from belegsync.connectors import registry
from belegsync.documents.models import Connection, Document
from belegsync.documents.states import State
from belegsync.sync.cycle import run_cycle
from belegsync.targets.memory import MemoryTarget

pytestmark = pytest.mark.django_db

SOURCE = '''
"""A shop that hands out one invoice: the smallest source there is."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from django import forms
from pydantic import Field

from belegsync.bookkeeping import Line, Party, Voucher, VoucherKind
from belegsync.connectors.base import Cursor, FetchResult, SourceDocument
from belegsync.connectors.settings import AdapterSettings


class TinySettings(AdapterSettings):
    prefix: str = Field(default="TINY", min_length=1)


class TinyForm(forms.Form):
    prefix = forms.CharField(label="Invoice number prefix")


class TinySource:
    identifier = "tiny"
    verbose_name = "Tiny shop"
    settings_model = TinySettings
    settings_form = TinyForm
    policy_fields = ("start_date",)

    def __init__(self, context):
        self.settings = context.settings_as(TinySettings)

    def fetch(self, cursor, now):
        if cursor.value:
            return
        voucher = Voucher(
            kind=VoucherKind.INVOICE,
            number=f"{self.settings.prefix}-1",
            invoice_date=dt.date(2026, 11, 2),
            lines=(Line("Tee", Decimal(1), Decimal("10.00"), Decimal("11.90"), Decimal(19)),),
            total_net=Decimal("10.00"),
            total_gross=Decimal("11.90"),
            party=Party(name="Jana Beispiel"),
        )
        yield FetchResult([SourceDocument(voucher, "1")], Cursor("done"))

    def pdf(self, document):
        return None

    def mark_transferred(self, document):
        pass
'''

URLS = """
from django.http import HttpResponse
from django.urls import path

from belegsync.documents.roles import Permission
from belegsync.web.roles import requires

app_name = "tinyshop"
# every page says which role may open it (web/roles.py); one without a rule answers 403
hello = requires(Permission.MANAGE_CONNECTIONS)(lambda request: HttpResponse("tiny"))
urlpatterns = [path("hello/", hello, name="hello")]
"""


def _derive_urls_again() -> None:
    """The web shell's URLs as they are derived from the registry now."""
    import belegsync.urls
    import belegsync.web.urls

    importlib.reload(belegsync.web.urls)
    importlib.reload(belegsync.urls)  # its include() holds the old patterns
    clear_url_caches()


@pytest.fixture
def tiny(tmp_path, monkeypatch):
    folder = tmp_path / "tinyshop"
    folder.mkdir()
    (folder / "__init__.py").write_text(textwrap.dedent(SOURCE))
    (folder / "urls.py").write_text(textwrap.dedent(URLS))
    monkeypatch.syspath_prepend(str(tmp_path))
    registry.SOURCES["tiny"] = "tinyshop.TinySource"  # the registry line
    _derive_urls_again()
    yield
    del registry.SOURCES["tiny"]
    registry._load.cache_clear()
    _derive_urls_again()
    sys.modules.pop("tinyshop", None)
    sys.modules.pop("tinyshop.urls", None)


def test_a_new_source_registers_shows_its_form_and_syncs(tiny, client, alice, settings):
    settings.DEBUG = True  # the memory target is offered in DEBUG only
    client.force_login(alice)
    page = client.get("/connections/new/?source_kind=tiny&target_kind=memory").content.decode()
    assert "Tiny shop" in page and 'name="source-set-prefix"' in page
    assert 'name="policy-start_date"' in page
    response = client.post(
        "/connections/new/",
        {
            "name": "Tiny → Books",
            "source_kind": "tiny",
            "target_kind": "memory",
            "enabled": "on",
            "sync_interval": "300",
            "source-set-prefix": "TS",
            "policy-start_date": "",
        },
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    connection = Connection.objects.get(name="Tiny → Books")
    assert connection.settings_of("source").prefix == "TS"
    report = run_cycle(connection.pk, "worker-1")
    assert report.transferred == 1
    assert Document.objects.get(connection=connection).state == State.DONE
    assert "TS-1" in MemoryTarget.accounts["default"].creates
    # its own pages are included under its folder's name, derived from the registry
    assert client.get("/tinyshop/hello/").content == b"tiny"
    assert ("tinyshop", "tinyshop.urls") in registry.url_packages()


EXPORTER = '''
"""An export format of one line per document: the smallest exporter there is."""

from __future__ import annotations

from django import forms
from pydantic import Field

from belegsync.connectors.exporters import LeftOut
from belegsync.connectors.reasons import Reason
from belegsync.connectors.settings import AdapterSettings


class LinesSettings(AdapterSettings):
    separator: str = Field(default="|", min_length=1, max_length=1)


class LinesForm(forms.Form):
    separator = forms.CharField(label="Separator", max_length=1)


class _Writer:
    number_map = {}

    def __init__(self, path, separator):
        self.path, self.separator, self.lines = path, separator, []

    def add(self, document):
        if document.voucher.total_gross < 0:
            raise LeftOut("negative", [Reason("export.unreadable_voucher")])
        self.lines.append(f"{document.voucher.number}{self.separator}{document.voucher.total_gross}")
        return document.voucher.number

    def finish(self):
        self.path.write_text("\\\\n".join(self.lines))
        return [self.path]

    def abort(self):
        pass


class LinesExporter:
    identifier = "lines"
    verbose_name = "Lines"
    tag = "LINES"
    reads_pdfs = False
    settings_model = LinesSettings
    settings_form = LinesForm

    def __init__(self, settings, advisor):
        self.settings = settings

    def writer(self, directory, *, created_at, period):
        return _Writer(directory / "lines.txt", self.settings.separator)
'''


@pytest.fixture
def lines(tmp_path, monkeypatch):
    folder = tmp_path / "linesformat"
    folder.mkdir()
    (folder / "__init__.py").write_text(textwrap.dedent(EXPORTER))
    monkeypatch.syspath_prepend(str(tmp_path))
    registry.EXPORTERS["lines"] = "linesformat.LinesExporter"  # the registry line
    yield
    del registry.EXPORTERS["lines"]
    registry._load.cache_clear()
    sys.modules.pop("linesformat", None)


def test_a_new_export_format_registers_shows_its_settings_and_exports(
    lines, client, alice, connection
):
    """GIVEN an exporter in a folder of its own and its registry line
    WHEN its settings are saved on the exports' settings page and a document is exported
    THEN the file is written with those settings and the document carries the format's tag."""
    from belegsync.bookkeeping import voucher_to_dict
    from belegsync.exports.models import DocumentTag
    from belegsync.exports.service import run_export
    from tests.conftest import make_voucher

    client.force_login(alice)
    page = client.get("/exports/settings/lines/").content.decode()
    assert 'name="separator"' in page
    assert client.post("/exports/settings/lines/", {"separator": ";"}).status_code == 302
    voucher = make_voucher(number="RE-L1")
    document = Document.objects.create(
        connection=connection,
        source_number=voucher.number,
        kind=voucher.kind.value,
        invoice_date=voucher.invoice_date,
        currency=voucher.currency,
        total_net=voucher.total_net,
        total_gross=voucher.total_gross,
        voucher=voucher_to_dict(voucher),
    )
    job = run_export(
        organisation=connection.organisation,
        documents=Document.objects.all(),
        fmt="lines",
        option="tag",
    )
    assert job.state == "done", job.error
    assert job.path.read_text() == f"RE-L1;{voucher.total_gross}"
    assert DocumentTag.objects.get(document=document).tag == "LINES"
