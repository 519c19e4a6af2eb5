"""The shared test base: named personas, connections and running fakes."""

from __future__ import annotations

import datetime as dt
import os
from collections.abc import Callable, Iterator
from decimal import Decimal

import pytest

from belegsync.bookkeeping import Line, LineCategory, Party, Payment, Voucher, VoucherKind
from belegsync.connectors import egress
from belegsync.fakes.base import FakeApp, RunningFake, serve_in_thread
from belegsync.sources.memory import STORE
from belegsync.targets.memory import MemoryTarget
from tests import self_contained

self_contained.install()

#: The browser fixture ``page`` (Playwright with Debian's chromium); every exchange with a
#: double held to its contract (tests/contract/plugin.py).
pytest_plugins = ["tests.browser_support", "tests.contract.plugin"]


def make_voucher(number: str = "RE-1001", **overrides: object) -> Voucher:
    """A valid domestic invoice: one item at 19 %, shipping at 19 %, paid."""
    lines = (
        Line("T-Shirt", Decimal(2), Decimal("33.61"), Decimal("40.00"), Decimal(19)),
        Line(
            "Versand",
            Decimal(1),
            Decimal("4.16"),
            Decimal("4.95"),
            Decimal(19),
            LineCategory.SHIPPING,
        ),
    )
    fields: dict[str, object] = {
        "kind": VoucherKind.INVOICE,
        "number": number,
        "invoice_date": dt.date(2026, 11, 2),
        "lines": lines,
        "total_net": Decimal("37.77"),
        "total_gross": Decimal("44.95"),
        "party": Party(
            name="Erika Mustermann",
            street="Hauptstr. 1",
            zip_code="10115",
            city="Berlin",
            country="DE",
            email="erika@example.org",
        ),
        "payments": (Payment("paypal", Decimal("44.95"), dt.date(2026, 11, 2)),),
    }
    fields.update(overrides)
    return Voucher(**fields)  # type: ignore[arg-type]


@pytest.fixture
def voucher() -> Voucher:
    return make_voucher()


@pytest.fixture
def point_at(monkeypatch: pytest.MonkeyPatch) -> Callable[[str, str], None]:
    """Send belegsync's requests for a system to ``url`` for this test (and the worker
    processes it starts): the operator's BELEGSYNC_ALLOWED_REMOTES, as ``demo`` sets it."""

    def point(system: str, url: str) -> None:
        current = os.environ.get(egress.ENV, "")
        monkeypatch.setenv(egress.ENV, egress.with_remote(current, system, url))

    return point


@pytest.fixture
def run_fake(
    point_at: Callable[[str, str], None],
) -> Iterator[Callable[[FakeApp], RunningFake]]:
    """Start fakes on free ports of 127.0.0.1, each its system's address for the test;
    all are stopped after the test."""
    running: list[RunningFake] = []

    def start(app: FakeApp) -> RunningFake:
        fake = serve_in_thread(app)
        running.append(fake)
        if app.system in egress.SYSTEMS:
            point_at(app.system, fake.url)
        return fake

    yield start
    for fake in running:
        fake.stop()


@pytest.fixture(autouse=True)
def _clean_memory_adapters() -> Iterator[None]:
    yield
    STORE.clear()
    MemoryTarget.reset()


@pytest.fixture(autouse=True)
def _default_language_again() -> Iterator[None]:
    """Every test starts and ends in the default language: a German page request leaves
    German active in the thread (LocaleMiddleware does not deactivate), and so does a test
    that activates a language by hand. Proven by tests/test_default_language.py."""
    from django.utils import translation

    translation.deactivate()
    yield
    translation.deactivate()


@pytest.fixture
def org(db):
    from belegsync.documents.models import Organisation

    return Organisation.objects.create(name="Alice's Shop", slug="alice")


@pytest.fixture
def other_org(db):
    from belegsync.documents.models import Organisation

    return Organisation.objects.create(name="Bob's Shop", slug="bob")


@pytest.fixture
def alice(org, django_user_model):
    """A merchant of ``org``, its owner."""
    from belegsync.documents.models import Membership

    user = django_user_model.objects.create_user("alice", password="alice-password-1")
    Membership.objects.create(user=user, organisation=org)
    return user


@pytest.fixture
def bookkeeper(org, django_user_model):
    """Berta keeps Alice's books: everything but members and credentials."""
    from belegsync.documents.models import Membership

    user = django_user_model.objects.create_user("berta", password="berta-password-1")
    Membership.objects.create(user=user, organisation=org, role="bookkeeper")
    return user


@pytest.fixture
def tax_advisor(org, django_user_model):
    """Theo, Alice's tax advisor: reads documents, the month report and DATEV files."""
    from belegsync.documents.models import Membership

    user = django_user_model.objects.create_user("theo", password="theo-password-1")
    Membership.objects.create(user=user, organisation=org, role="tax_advisor")
    return user


@pytest.fixture
def bob(other_org, django_user_model):
    """A merchant of another organisation: must never see Alice's data."""
    from belegsync.documents.models import Membership

    user = django_user_model.objects.create_user("bob", password="bob-password-1")
    Membership.objects.create(user=user, organisation=other_org)
    return user


@pytest.fixture
def connection(org):
    """A memory → memory connection of Alice's organisation."""
    from belegsync.documents.models import Connection

    return Connection.objects.create(
        organisation=org,
        name="Shop → Books",
        source_kind="memory",
        target_kind="memory",
        credentials={"target": {"account": "alice-books"}},
        settings={"policy": {"mark_paid": True}},
    )
