"""Writes realistic Afterbuy Rechnungsliste files for tests and the benchmark.

The amounts are computed here, independently of the importer: per invoice a few
items at 19 / 7 / 0 %, shipping, sometimes a discount, customers at home, in the
EU (private and B2B with VAT id) and outside it, credit notes with negative
amounts, names with umlauts, quotes and separators. Two layouts:

- ``summary`` (the reference sample's): one row per invoice, amounts per rate;
- ``items``: one row per item, invoice columns repeated on each row.

The invoices themselves come from :mod:`belegsync.fakes.afterbuy.seed`, the data
model the Afterbuy XML fake serves too, so the same seed gives the same invoice
in a CSV file and through ``GetSoldItems`` (the output is byte for byte what
this module wrote before the model moved there).

Run ``python -m tests.sources.afterbuy.generator OUT.csv --invoices 1000``.
"""

from __future__ import annotations

import argparse
import csv
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path

from belegsync.fakes.afterbuy.seed import (
    CENT,
    COMPANIES,
    CUSTOMERS,
    FIRST,
    ITEMS,
    LAST,
    PAYMENTS,
    STREETS,
    SeedInvoice,
    cents,
)
from belegsync.fakes.afterbuy.seed import invoices as seed_invoices

__all__ = [
    "CENT",
    "COMPANIES",
    "CUSTOMERS",
    "FIRST",
    "ITEMS",
    "LAST",
    "PAYMENTS",
    "STREETS",
    "Invoice",
    "cents",
    "generate",
    "german",
    "rows",
]

SUMMARY_HEADER = [
    "Rechnungsnummer",
    "Rechnungsdatum",
    "VorgangsID",
    "Bestelldatum",
    "Kundennummer",
    "Firma",
    "Vorname",
    "Nachname",
    "Strasse",
    "PLZ",
    "Ort",
    "Land",
    "USt-IdNr",
    "Zahlungsart",
    "Bezahlt am",
    "Bereits bezahlt",
    "Netto 19%",
    "MwSt 19%",
    "Netto 7%",
    "MwSt 7%",
    "Netto 0%",
    "Versandkosten brutto",
    "Gesamtbetrag brutto",
    "Waehrung",
    "Plattform",
    "Gutschrift",
    "Bezugsrechnung",
]
ITEM_HEADER = [
    *SUMMARY_HEADER[:16],
    "Artikelbezeichnung",
    "Menge",
    "Einzelpreis brutto",
    "Steuersatz",
    "Versandkosten brutto",
    "Gesamtbetrag brutto",
    "Waehrung",
    "Plattform",
    "Gutschrift",
    "Bezugsrechnung",
]


def german(value: Decimal) -> str:
    sign = "-" if value < 0 else ""
    whole, frac = f"{abs(value):.2f}".split(".")
    groups = f"{int(whole):,}".replace(",", ".")
    return f"{sign}{groups},{frac}"


@dataclass
class Invoice:
    number: str
    credit_note: bool
    total_gross: Decimal
    country: str


def generate(
    path: Path,
    invoices: int = 100,
    *,
    seed: int = 1,
    encoding: str = "utf-8",
    delimiter: str = ";",
    layout: str = "summary",
    start: int = 30000,
    per_day: int | None = None,
) -> list[Invoice]:
    """Write ``invoices`` invoices/credit notes to ``path``; return what was written.

    ``per_day``: invoices a day (:func:`~belegsync.fakes.afterbuy.seed.invoices`; by
    default about 20, so a file of more than some 21,000 reaches dates after today)."""
    written: list[Invoice] = []
    header = SUMMARY_HEADER if layout == "summary" else ITEM_HEADER
    with path.open("w", encoding=encoding, newline="") as handle:
        writer = csv.writer(handle, delimiter=delimiter, lineterminator="\r\n")
        writer.writerow(header)
        for invoice in seed_invoices(invoices, seed=seed, start=start, per_day=per_day):
            writer.writerows(rows(invoice, layout))
            written.append(
                Invoice(
                    invoice.number,
                    invoice.credit_note,
                    abs(invoice.total),
                    invoice.person.country,
                )
            )
    return written


def rows(invoice: SeedInvoice, layout: str = "summary") -> list[list[str]]:
    """The Rechnungsliste row(s) of one invoice of the shared seed model."""
    person, sign = invoice.person, invoice.sign
    common = [
        invoice.number,
        invoice.invoice_date.strftime("%d.%m.%Y"),
        str(invoice.order_id),
        invoice.order_date.strftime("%d.%m.%Y"),
        person.customer,
        person.company,
        person.first,
        person.last,
        person.street,
        person.zip,
        person.city,
        person.country,
        person.vat_id,
        invoice.payment_method,
        invoice.invoice_date.strftime("%d.%m.%Y") if invoice.paid else "",
        german(invoice.paid_amount),
    ]
    tail = [
        german(invoice.shipping),
        german(invoice.total),
        "EUR",
        invoice.platform,
        "1" if invoice.credit_note else "",
        invoice.refers_to,
    ]
    if layout == "summary":
        by_rate = invoice.by_rate
        buckets = []
        for rate in (Decimal(19), Decimal(7)):
            gross = by_rate.get(rate, Decimal(0))
            net = cents(gross * 100 / (100 + rate))
            buckets += [german(net * sign), german((gross - net) * sign)]
        buckets.append(german(by_rate.get(Decimal(0), Decimal(0)) * sign))
        return [[*common, *buckets, *tail]]
    return [
        [
            *common,
            item.title,
            str(item.quantity),
            german(item.unit_gross * sign),
            str(item.rate),
            *tail,
        ]
        for item in invoice.items
    ]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("out", type=Path)
    parser.add_argument("--invoices", type=int, default=1000)
    parser.add_argument("--encoding", default="utf-8")
    parser.add_argument("--layout", choices=("summary", "items"), default="summary")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument(
        "--per-day", type=int, help="invoices a day (default: about 20, dates drawn at random)"
    )
    args = parser.parse_args()
    generate(
        args.out,
        args.invoices,
        seed=args.seed,
        encoding=args.encoding,
        layout=args.layout,
        per_day=args.per_day,
    )


if __name__ == "__main__":
    main()
