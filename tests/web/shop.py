"""An organisation with every kind of page to show, and what a German page must not contain.

Shared by the German text check (tests/web/test_german.py) and the layout check in the
browser (tests/browser/test_layout.py).
"""

from __future__ import annotations

import datetime as dt
import re
from html.parser import HTMLParser

import pytest
from django.utils import timezone

from belegsync.documents.models import Connection, Event, Invitation
from tests.web.helpers import failed, make_document

#: The common English leaks: words a German page never needs (whole words, case-sensitive).
LEAKS = re.compile(
    r"\b(the|and|of|to|with|your|you|is|are|not|none|never|failed|waiting|done|skipped|"
    r"processing|imported|Settings|Save|Cancel|Delete|Reset|Download|Connection|"
    r"Connections|Document|Documents|Invoice|Payment|Account|General|Search|Select|Next|"
    r"Previous|Page|State|Date|Number|Amount|Gross|Net|Yes|No|Back|Log out|Log in|"
    r"semicolon|comma|payment type|Credit note|credit note|Export history)\b"
)
#: Raw values that must never reach a page: ISO moments, English decimals, identifiers.
RAW = re.compile(
    r"\d{4}-\d\d-\d\dT\d\d:\d\d|(?<![\d.,])\d{1,3}(?:,\d{3})*\.\d\d(?![\d.])|"
    r"Amazon_Marketplace|total_gross|total_net|lines\[\d+\]|Billbee payment type|\bvm:\d+"
)
FORMAL = re.compile(
    r"\b(Ihr|Ihre|Ihren|Ihrem|Ihrer|Ihres|Ihnen)\b|\b\w+en Sie\b|\bSie (können|müssen)\b"
)
#: Attributes a reader sees or hears.
SPOKEN = ("title", "placeholder", "aria-label", "data-confirm", "alt", "value")
#: Names, not words: they are the same in every language.
NAMES = re.compile(
    r"belegsync|lexoffice|Lexware Office|sevDesk|Billbee|Afterbuy|DATEV|PayPal|"
    r"alice|Erika Mustermann|T-Shirt|EXTF|CSV|PDF|ZIP|API|SKR0\d|UTF-8|Windows-1252"
)


class Visible(HTMLParser):
    """The text a reader sees (and the attributes read out), without code and the EN button."""

    def __init__(self) -> None:
        super().__init__()
        self.parts: list[str] = []
        self._skip: list[str] = []

    def handle_starttag(self, tag, attrs):
        attributes = dict(attrs)
        if tag in ("script", "style", "pre", "code") or attributes.get("lang") == "en":
            self._skip.append(tag)
        if self._skip:
            return
        for name in SPOKEN:
            value = attributes.get(name)
            if value and not (name == "value" and tag != "button"):
                self.parts.append(value)

    def handle_endtag(self, tag):
        if self._skip and self._skip[-1] == tag:
            self._skip.pop()

    def handle_data(self, data):
        if not self._skip:
            self.parts.append(data)


def visible_text(html: str) -> str:
    parser = Visible()
    parser.feed(html)
    return NAMES.sub(" ", " ".join(" ".join(parser.parts).split()))


#: A failure's reasons as the engine stores them, one per category the fixture uses.
DETAILS = {
    "validation": {
        "code": "line_tax_mismatch",
        "field": "lines[0].gross",
        "params": {"gross": "40.00", "net": "33.50", "rate": "19", "expected": "39.87"},
    },
    "rejected": {
        "code": "remote.rejected",
        "params": {"system": "lexoffice", "remote_message": "Kontakt nicht gefunden"},
    },
    "unavailable": {
        "code": "unavailable_retrying",
        "params": {"system": "lexoffice", "attempts": 6, "retry_at": "2026-12-02T07:30:00+00:00"},
    },
}


@pytest.fixture
def shop(org, alice, connection):
    """Alice's shop with a connection of every kind and documents in every state."""
    kinds = [
        ("Billbee → sevDesk", "billbee", "sevdesk"),
        ("Afterbuy-CSV → lexoffice", "afterbuy_csv", "lexoffice"),
        ("Afterbuy → lexoffice", "afterbuy_api", "lexoffice"),
    ]
    Connection.objects.filter(pk=connection.pk).update(name="Shop → Buchhaltung")
    connection.refresh_from_db()
    made = [connection]
    for name, source, target in kinds:
        made.append(
            Connection.objects.create(
                organisation=org,
                name=name,
                source_kind=source,
                target_kind=target,
            )
        )
    # one whose syncs fail (its long note must wrap, not widen the dashboard's table)
    Connection.objects.filter(pk=made[3].pk).update(
        failed_cycles=2,
        failing_since=timezone.now() - dt.timedelta(hours=2),
        failure_details=[{"code": "remote.rate_limited", "params": {"system": "Afterbuy"}}],
    )
    # an archived one: the list's "Archivierte Verbindungen" and its own page
    made.append(
        Connection.objects.create(
            organisation=org,
            name="Altes Lager → lexoffice",
            source_kind="billbee",
            target_kind="lexoffice",
            archived_at=timezone.now() - dt.timedelta(days=3),
        )
    )
    bad = failed(
        connection,
        "RE-1",
        failure_reason="validation",
        failure_details=[
            {
                "code": "total_mismatch",
                "field": "total_gross",
                "params": {"total": "65.80", "lines_total": "65.79"},
            },
        ],
    )
    skipped = make_document(
        connection,
        "RE-2",
        "skipped",
        skip_details=[
            {"code": "skip.payment_not_mapped", "params": {"methods": ["Amazon_Marketplace"]}},
        ],
    )
    done = make_document(
        connection, "RE-3", "done", remote_id="v-1", remote_url="https://app.lexoffice.de/v/1"
    )
    for action, detail in (
        ("claim", {}),
        ("step_remote", {"remote_id": "v-1"}),
        ("step_attach", {"attached": True}),
        ("step_mark_paid", {"paid": False}),
        ("step_mark_transferred", {}),
        ("complete", {"remote_id": "v-1"}),
    ):
        Event.objects.create(document=done, actor="vm:24945", action=action, detail=detail)
    for number, state in enumerate(("waiting", "manual", "processing"), start=4):
        make_document(connection, f"RE-{number}", state)
    # the last weeks, for the dashboard's pictures: a few documents a day, some failing
    today = timezone.localdate()
    states = ("done", "done", "done", "waiting", "failed", "skipped")
    for day in range(1, 15):
        for index in range(day % 4 + 1):
            state = states[(day + index) % len(states)]
            reason = ("validation", "rejected", "unavailable")[day % 3]
            recent = make_document(
                connection,
                f"RE-9{day:02d}{index}",
                state,
                invoice_date=today - dt.timedelta(days=day),
                failure_reason=reason if state == "failed" else "",
                failure_details=[DETAILS[reason]] if state == "failed" else None,
            )
            if state == "failed":
                Event.objects.create(
                    document=recent,
                    actor="w:1",
                    action="fail",
                    at=timezone.now() - dt.timedelta(days=day),
                    detail={"reason": reason},
                )
    from belegsync.exports.models import ExportJob

    job = ExportJob.objects.create(
        organisation=org,
        user=alice,
        format="csv-excel",
        option="tag",
        tag="CSV",
        state="done",
        exported_count=1,
        left_out_count=1,
        summary={
            "left_out_count": 1,
            "left_out": [
                {
                    "document": done.pk,
                    "number": done.source_number,
                    "reason": "Currency USD: the DATEV export needs the EUR amount",
                    "reasons": [{"code": "datev.foreign_currency", "params": {"currency": "USD"}}],
                }
            ],
        },
    )
    imports = _import_jobs(next(c for c in made if c.source_kind == "afterbuy_csv"), alice)
    return {
        "connections": made,
        "failed": bad,
        "skipped": skipped,
        "done": done,
        "job": job,
        **imports,
    }


def _import_jobs(connection, alice) -> dict:
    """A finished import with a bad row of every kind, and one waiting for its columns."""
    from belegsync.sources.afterbuy.csv import FileProblem, RowProblem
    from belegsync.sync.models import ImportJob

    rows = [
        RowProblem(4, "Bereits bezahlt", "19,99,1", code="csv.not_a_number", number="24189"),
        RowProblem(5, "Rechnungsdatum", "31.02.2024", code="csv.not_a_date", number="24190"),
        RowProblem(6, "", "", code="csv.wrong_width", params={"fields": 3, "header_fields": 27}),
        RowProblem(
            7,
            "Rechnungsnummer",
            "24187",
            code="csv.number_repeated",
            params={"number": "24187", "first_line": 2},
            number="24187",
        ),
    ]
    done = ImportJob.objects.create(
        connection=connection,
        user=alice,
        actor="alice",
        file="imports/a.csv",
        filename="rechnungsliste.csv",
        state="done",
        phase=2,
        details={"encoding": "Windows-1252", "delimiter": ";"},
        counts={"created": 7, "rejected": 4},
        numbers={"created": ["24191"]},
        problems=[p.as_dict() for p in rows],
        problems_total=4,
    )
    missing = FileProblem(
        code=FileProblem.MISSING_COLUMNS,
        columns=["Gesamtbetrag brutto"],
        line=1,
        missing=("total_gross",),
        headers=("Rechnungsnummer", "Summe"),
    )
    mapping = ImportJob.objects.create(
        connection=connection,
        user=alice,
        actor="alice",
        file="imports/b.csv",
        filename="ohne-summe.csv",
        state="needs_mapping",
        file_error=missing.as_dict(),
    )
    return {"import_done": done, "import_mapping": mapping}


def pages(shop) -> list[str]:
    connections = shop["connections"]
    urls = [
        "/",
        "/documents/",
        "/reports/month/?month=2026-11",
        "/connections/",
        "/connections/new/",
        "/account/password/",
        "/account/tokens/",
        "/account/webhooks/",
        "/nonesuch/",
        "/exports/",
        "/exports/jobs/",
        "/exports/settings/datev/",
    ]
    urls += [f"/documents/?state={s}" for s in ("waiting", "failed", "done", "manual", "skipped")]
    urls += [f"/documents/{shop[k].pk}/" for k in ("failed", "skipped", "done")]
    urls += [f"/connections/{c.pk}/" for c in connections]
    billbee = next(c for c in connections if c.source_kind == "billbee")
    urls += [
        f"/billbee/connections/{billbee.pk}/settings/{step}/"
        for step in ("general", "payment", "accounts")
    ]
    csv = next(c for c in connections if c.source_kind == "afterbuy_csv")
    urls += ["/imports/new/"]
    urls += [f"/connections/{csv.pk}/import/", f"/connections/{billbee.pk}/accounts/"]
    urls += [f"/exports/new/?ids={shop['done'].pk}", f"/exports/jobs/{shop['job'].pk}/"]
    urls += ["/members/", f"/invite/{_invitation(connections[0].organisation)}/"]
    urls += [f"/imports/{shop['import_done'].pk}/"]
    urls += [f"/afterbuy/imports/{shop['import_mapping'].pk}/mapping/"]
    return urls


def _invitation(organisation) -> str:
    """The token of an open invitation to a tax advisor (its page, as the invitee sees it)."""
    token = "german-check-invitation"
    Invitation.objects.create(
        organisation=organisation,
        role="tax_advisor",
        token_sha256=Invitation.digest(token),
        expires_at=timezone.now() + dt.timedelta(days=1),
    )
    return token
