"""``belegsync report --month YYYY-MM``: is the month complete? Exit 1 when it is not.

Meant for the merchant's tax-advisor checklist and for cron: prints the counts
per state, what is not booked yet and why, and the invoice numbers missing
between the month's first and last.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.core.management.base import BaseCommand, CommandError

from belegsync.documents.models import Connection, Organisation
from belegsync.documents.report import month_report


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

    def handle(self, *args: Any, **opts: Any) -> None:
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
        self.stdout.write(f"{organisation.name}, {month:%Y-%m}: {report.total} documents")
        for state, count, gross in report.rows:
            self.stdout.write(f"  {state:<12} {count:>7}  {gross:>14} gross")
        for item in report.outstanding:
            self.stdout.write(f"  not booked: {item.number} ({item.state}) {item.reason}")
        if report.outstanding_total > len(report.outstanding):
            self.stdout.write(f"  … {report.outstanding_total - len(report.outstanding)} more")
        for gap in report.gaps:
            self.stdout.write(f"  missing number: {gap}")
        if report.complete:
            self.stdout.write(
                "complete: every document is in the bookkeeping (or skipped by the filters), "
                "no number missing"
            )
            return
        self.stdout.write("NOT complete")
        raise SystemExit(1)

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
