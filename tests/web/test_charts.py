"""The pictures: documents per day and failures per reason on the dashboard, gross per rate
and per state in the month report — server-drawn SVG with their numbers, in both languages."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from django.utils import timezone, translation

from belegsync.bookkeeping import VoucherKind
from belegsync.documents.models import DocumentDayCount, Event
from belegsync.documents.report import gross_per_rate
from belegsync.web import charts
from tests.web.helpers import failed, make_document

pytestmark = pytest.mark.django_db

NUMBER_IN_ATTRIBUTE = re.compile(r'(?:x|y|width|height)="([^"]*)"')


def test_the_dashboard_draws_documents_per_day_and_failures_by_reason(client, alice, connection):
    today = timezone.localdate()
    make_document(connection, "RE-1", "done", invoice_date=today)
    make_document(connection, "RE-2", "done", invoice_date=today)
    bad = failed(connection, "RE-3", invoice_date=today, failure_reason="rejected")
    Event.objects.create(document=bad, actor="w:1", action="fail", detail={"reason": "rejected"})
    make_document(connection, "RE-OLD", "done", invoice_date=today.replace(year=today.year - 1))
    client.force_login(alice)
    client.post("/i18n/setlang/", {"language": "de", "next": "/"})
    page = client.get("/").content.decode()
    assert 'id="chart-per-day"' in page and 'id="chart-failures"' in page
    assert "Belege pro Tag nach Status" in page
    assert page.count('class="series-done"') >= 2  # the bar and its legend swatch
    assert 'class="series-rejected"' in page
    # SVG coordinates stay numbers with a dot, whatever the page's language
    assert all("," not in value for value in NUMBER_IN_ATTRIBUTE.findall(page))


def test_the_day_chart_stacks_states_and_keeps_its_numbers(connection):
    today = timezone.localdate()
    make_document(connection, "RE-1", "done", invoice_date=today)
    make_document(connection, "RE-2", "waiting", invoice_date=today)
    make_document(connection, "RE-3", "waiting", invoice_date=today)
    chart = charts.documents_per_day(DocumentDayCount.objects.filter(connection=connection), today)
    assert chart.maximum == 3
    assert [code for code, _ in chart.legend] == ["waiting", "done"]
    assert chart.rows[-1][1] == [2, 1]
    heights = {bar.series: float(bar.height) for bar in chart.bars}
    assert heights["waiting"] == pytest.approx(2 * heights["done"])


def test_the_month_report_draws_gross_per_rate_and_state_credit_notes_negative(
    client, alice, connection
):
    make_document(connection, "RE-1", "done")  # 44,95 € at 19 %
    make_document(
        connection,
        "GS-1",
        "done",
        kind="credit_note",
        voucher_fields={"kind": VoucherKind.CREDIT_NOTE, "refers_to": "RE-1"},
    )
    make_document(connection, "RE-2", "waiting")
    with translation.override("en"):
        rows = charts.gross_per_rate(gross_per_rate(connection.organisation, dt.date(2026, 11, 1)))
    assert [(r.label, r.text) for r in rows] == [("19\xa0%", "€44.95")]
    client.force_login(alice)
    client.post("/i18n/setlang/", {"language": "en", "next": "/"})
    page = client.get("/reports/month/?month=2026-11").content.decode()
    assert 'id="chart-per-rate"' in page and 'id="chart-per-state"' in page
    assert "Gross per tax rate" in page
    per_state = page.split('id="chart-per-state"')[1]
    assert "€0.00" in per_state and "€44.95" in per_state  # done: invoice minus credit note
