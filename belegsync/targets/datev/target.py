"""DATEV as a connection's target: each month's documents in one Buchungsstapel with PDFs.

There is no remote to send a voucher to: the tax advisor imports a file. So the
engine does not transfer a DATEV connection's documents one by one
(``delivers_month_files``); once a month is over it hands the month's waiting
documents (by the connection's document date) to :meth:`DatevTarget.month_file`
and stores the file it gets back, marking exactly the documents in it done. A
month delivered once is never written again: documents that arrive for it
later (a late order, a re-upload) go into a correction file beside the first.

The file is a ZIP: the EXTF Buchungsstapel (validated by :mod:`.validator`
before it is handed out) and each document's PDF under ``Belege/``.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import io
import tempfile
import zipfile
from collections.abc import Iterable
from pathlib import Path
from typing import Any, ClassVar

from django.utils.translation import gettext_lazy as _

from belegsync.bookkeeping import Voucher
from belegsync.connectors.base import AdapterContext, MonthDocument, WrittenMonth
from belegsync.connectors.reasons import Reason

from .extf import DatevSettings, ExtfWriter, NotExpressible, belegfeld1
from .settings import DatevTargetSettings, extf_settings


def month_bounds(month: dt.date) -> tuple[dt.date, dt.date]:
    first = month.replace(day=1)
    following = (first + dt.timedelta(days=32)).replace(day=1)
    return first, following - dt.timedelta(days=1)


class DatevTarget:
    identifier: ClassVar[str] = "datev"
    verbose_name: ClassVar[Any] = _("DATEV (a Buchungsstapel per month for your tax advisor)")
    settings_model: ClassVar[type[DatevTargetSettings]] = DatevTargetSettings
    #: Its UI part (forms.py), named by path: the core imports no Django forms.
    settings_form: ClassVar[str] = "forms.DatevSettingsForm"
    #: Payments are booked when vouchers are sent as paid, on the accounts mapped per method.
    policy_fields: ClassVar[tuple[str, ...]] = ("mark_paid", "document_date")
    #: The engine collects whole months for it instead of transferring one by one.
    delivers_month_files: ClassVar[bool] = True
    #: Payments are booked on an account number per payment method (the policy's
    #: mapping, typed in: DATEV has no list to choose from), else on the bank account.
    payment_accounts_by_number: ClassVar[bool] = True
    #: The advisor's numbers are the organisation's (``context.advisor``).
    requires_advisor: ClassVar[bool] = True

    def __init__(self, context: AdapterContext) -> None:
        self.settings = context.settings_as(DatevTargetSettings)
        self.policy = context.policy
        self.advisor = context.advisor

    def extf_settings(self) -> DatevSettings:
        """The writer's settings; ConfigError while the advisor's numbers are missing."""
        accounts = {}
        for method, account in self.policy.payment_accounts.by_method.items():
            if account.strip().isdigit():
                accounts[method] = int(account)
        return extf_settings(
            self.settings,
            self.advisor,
            book_payments=self.policy.mark_paid,
            payment_accounts=accounts,
        )

    def booked(self, voucher: Voucher) -> Voucher:
        """The voucher dated as the connection books it (its document date)."""
        day = voucher.booking_date(self.policy.document_date)
        return (
            voucher
            if day == voucher.invoice_date
            else dataclasses.replace(voucher, invoice_date=day)
        )

    def month_of(self, voucher: Voucher) -> dt.date:
        return voucher.booking_date(self.policy.document_date).replace(day=1)

    def month_file(
        self,
        month: dt.date,
        documents: Iterable[MonthDocument],
        *,
        sequence: int,
        created_at: dt.datetime,
    ) -> WrittenMonth:
        """One month's Buchungsstapel with the PDFs, as a ZIP; ``sequence`` > 1: a correction."""
        settings = self.extf_settings()
        first, last = month_bounds(month)
        included: dict[int, str] = {}
        left_out: dict[int, Reason] = {}
        pdfs: dict[str, bytes] = {}
        with tempfile.TemporaryDirectory(prefix="datev-") as directory:
            writer = ExtfWriter(
                settings, Path(directory), created_at=created_at, period=(first, last)
            )
            for document in documents:
                try:
                    added = writer.add(self.booked(document.voucher))
                except NotExpressible as reason:
                    # its own coded reason (foreign currency, no revenue account …): the
                    # merchant reads what to do, not "something went wrong"
                    left_out[document.key] = reason.reasons[0]
                    continue
                included[document.key] = added.belegfeld1
                if document.pdf:
                    pdfs[f"Belege/{belegfeld1(document.voucher.number)}.pdf"] = document.pdf
            written = writer.finish() if included else []
            buffer = io.BytesIO()
            with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_DEFLATED) as archive:
                for part in written:
                    archive.write(part.path, part.path.name)
                for name, content in sorted(pdfs.items()):
                    archive.writestr(name, content)
        suffix = "" if sequence == 1 else f"_Korrektur{sequence - 1}"
        name = f"DATEV_{first:%Y-%m}{suffix}.zip"
        return WrittenMonth(name, buffer.getvalue(), included, left_out)
