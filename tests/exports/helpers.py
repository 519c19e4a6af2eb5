"""Documents for export tests, stored as ingest stores them."""

from __future__ import annotations

from typing import Any

from belegsync.bookkeeping import Voucher, voucher_to_dict
from belegsync.documents.models import Connection, Document
from belegsync.exports.models import ExporterSettings


def store(connection: Connection, voucher: Voucher, **fields: Any) -> Document:
    return Document.objects.create(
        connection=connection,
        source_number=voucher.number,
        kind=voucher.kind.value,
        invoice_date=voucher.invoice_date,
        currency=voucher.currency,
        total_net=voucher.total_net,
        total_gross=voucher.total_gross,
        voucher=voucher_to_dict(voucher),
        **fields,
    )


def datev(organisation: Any, **fields: Any) -> ExporterSettings:
    """The organisation's DATEV export settings and its advisor's numbers, as the
    settings page saves them."""
    from belegsync.targets.datev.settings import DatevExportSettings

    organisation.datev_consultant_number, organisation.datev_client_number = 4711, 1001
    organisation.save()
    settings = DatevExportSettings(**fields)
    return ExporterSettings.objects.create(
        organisation=organisation, exporter="datev", settings=settings.model_dump(mode="json")
    )
