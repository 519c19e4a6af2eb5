"""``belegsync report --month YYYY-MM``: is the month complete? Exit 1 when it is not.

Meant for the merchant's tax-advisor checklist and for cron: prints the counts
per state, what is not booked yet and why, and the invoice numbers missing
between the month's first and last.
"""

from __future__ import annotations

import datetime as dt
import os
from typing import Any

from django.core.management.base import BaseCommand, CommandError
from django.utils import translation
from django.utils.translation import gettext as _

from belegsync.documents.labels import STATE_LABELS
from belegsync.documents.models import Connection, Organisation
from belegsync.documents.report import MonthReport, month_report
from belegsync.lib import l10n


def default_language() -> str:
    """German where the shell speaks German (``LANG=de_DE.UTF-8``), else English."""
    wanted = os.environ.get("LC_ALL") or os.environ.get("LANG") or ""
    return "de" if wanted.lower().startswith("de") else "en"


def parse_month(value: str) -> dt.date:
    try:
        return dt.datetime.strptime(value, "%Y-%m").replace(tzinfo=dt.UTC).date()
    except ValueError:
        raise CommandError(f"--month {value!r}: use YYYY-MM, e.g. 2026-11.") from None


class Command(BaseCommand):
    help = "Report whether a month's documents are all in the bookkeeping (exit 1 if not)."

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("--month", required=True, help="YYYY-MM, by invoice date")
        parser.add_argument("--organisation", help="slug (needed when there are several)")
        parser.add_argument("--connection", help="only this connection (by name)")
        parser.add_argument(
            "--language",
            choices=["de", "en"],
            default=None,
            help="language of the report (default: from LANG)",
        )

    def handle(self, *args: Any, **opts: Any) -> None:
        with translation.override(opts["language"] or default_language()):
            self._report(opts)

    def _report(self, opts: dict[str, Any]) -> None:
        month = parse_month(opts["month"])
        organisation = self._organisation(opts["organisation"])
        connection = None
        if opts["connection"]:
            connection = Connection.objects.filter(
                organisation=organisation, name=opts["connection"]
            ).first()
            if connection is None:
                raise CommandError(f"No connection named {opts['connection']!r}.")
        report = month_report(organisation, month, connection)
        self._write(organisation, month, report)
        if not report.complete:
            raise SystemExit(1)

    def _write(self, organisation: Organisation, month: dt.date, report: MonthReport) -> None:
        """The report in the active language, amounts as the bookkeeping shows them."""
        self.stdout.write(
            _("%(organisation)s, %(month)s: %(count)s documents")
            % {"organisation": organisation.name, "month": f"{month:%m/%Y}", "count": report.total}
        )
        # one line per state and currency: a CHF sum is never added to the euros
        for row in report.sums:
            label = str(STATE_LABELS.get(row.state, row.state))
            money = l10n.format_money(row.gross, row.currency)
            self.stdout.write(f"  {label:<20} {row.documents:>7}  {money:>16}")
        for item in report.outstanding:
            self.stdout.write(
                "  "
                + _("not booked: %(number)s (%(state)s) %(reason)s")
                % {
                    "number": item.number,
                    "state": STATE_LABELS.get(item.state, item.state),
                    "reason": item.reason,
                }
            )
        more = report.outstanding_total - len(report.outstanding)
        if more > 0:
            self.stdout.write("  " + _("… %(count)s more") % {"count": more})
        for gap in report.gaps:
            self.stdout.write("  " + _("missing number: %(gap)s") % {"gap": gap})
        if report.complete:
            self.stdout.write(
                _(
                    "complete: every document is in the bookkeeping (or skipped by the "
                    "filters), no number missing"
                )
            )
        else:
            self.stdout.write(_("NOT complete"))

    @staticmethod
    def _organisation(slug: str | None) -> Organisation:
        organisations = Organisation.objects.all()
        if slug:
            organisations = organisations.filter(slug=slug)
        found = list(organisations[:2])
        if len(found) != 1:
            raise CommandError(
                "Name the organisation with --organisation SLUG."
                if found
                else f"No organisation {slug!r}."
            )
        return found[0]
