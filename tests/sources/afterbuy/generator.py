"""Writes realistic Afterbuy Rechnungsliste files for tests and the benchmark.

The amounts are computed here, independently of the importer: per invoice a few
items at 19 / 7 / 0 %, shipping, sometimes a discount, customers at home, in the
EU (private and B2B with VAT id) and outside it, credit notes with negative
amounts, names with umlauts, quotes and separators. Two layouts:

- ``summary`` (the reference sample's): one row per invoice, amounts per rate;
- ``items``: one row per item, invoice columns repeated on each row.

Run ``python -m tests.sources.afterbuy.generator OUT.csv --invoices 1000``.
"""

from __future__ import annotations

import argparse
import csv
import datetime as dt
import random
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path

CENT = Decimal("0.01")
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
FIRST = ["Jana", "Sören", "Zoë", "Jürgen", "Ömer", "Anna", "Tom", "Lena", "Pieter", "Élodie"]
LAST = ["Köhler", "Weiß", "Müller-Lüdenscheidt", "Groß", "O'Brien", "Schmidt", "de Vries"]
COMPANIES = [
    "",
    "",
    "",
    'Café "Ährenfeld" OHG',
    "Tee & Söhne; Handel GmbH",
    "Brouwer, Thee B.V.",
]
STREETS = ["Lindenstraße 12a", "Hauptstr. 5; Hinterhaus", "Am Weiher 3", '"Alte Mühle", Weg 2']
ITEMS = [
    ("Grüner Tee, 100 g", Decimal(7)),
    ('Teekanne "Ostfriesland" 1,2 l', Decimal(19)),
    ("Gutschein; 25 €", Decimal(0)),
    ("Kräutertee Bio", Decimal(7)),
    ("Tasse Porzellan", Decimal(19)),
]
#: (country, VAT id or "", German VAT charged?)
CUSTOMERS = [
    ("DE", "", True),
    ("DE", "", True),
    ("DE", "", True),
    ("AT", "", True),  # private EU buyer below the delivery threshold: German VAT
    ("NL", "NL123456789B01", False),  # intra-community supply
    ("FR", "FR12345678901", False),
    ("CH", "", False),  # export
    ("US", "", False),
    ("GB", "", False),
]
PAYMENTS = ["PayPal", "Überweisung", "Rechnung", "Kreditkarte", "eBay Managed Payment"]


def cents(value: Decimal) -> Decimal:
    return value.quantize(CENT, rounding=ROUND_HALF_UP)


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


def _items(rng: random.Random, taxed: bool) -> list[tuple[str, Decimal, Decimal, Decimal]]:
    """(title, quantity, unit gross, rate) — a discount is a negative unit price."""
    chosen = []
    for _ in range(rng.randint(1, 4)):
        title, rate = rng.choice(ITEMS)
        rate = rate if taxed else Decimal(0)
        unit = Decimal(rng.randint(150, 25000)) / 100
        chosen.append((title, Decimal(rng.randint(1, 3)), unit, rate))
    if rng.random() < 0.2:
        rate = chosen[0][3]
        chosen.append(("Rabatt 10 %", Decimal(1), -cents(chosen[0][2] / 10), rate))
    return chosen


def generate(
    path: Path,
    invoices: int = 100,
    *,
    seed: int = 1,
    encoding: str = "utf-8",
    delimiter: str = ";",
    layout: str = "summary",
    start: int = 30000,
) -> list[Invoice]:
    """Write ``invoices`` invoices/credit notes to ``path``; return what was written."""
    rng = random.Random(seed)
    written: list[Invoice] = []
    recent: list[tuple[str, dict[str, str], list[tuple[str, Decimal, Decimal, Decimal]]]] = []
    header = SUMMARY_HEADER if layout == "summary" else ITEM_HEADER
    with path.open("w", encoding=encoding, newline="") as handle:
        writer = csv.writer(handle, delimiter=delimiter, lineterminator="\r\n")
        writer.writerow(header)
        day = dt.date(2024, 1, 1)
        for index in range(invoices):
            number = str(start + index)
            day += dt.timedelta(days=rng.random() < 0.05)
            credit = bool(recent) and rng.random() < 0.08
            if credit:
                original, person, items = rng.choice(recent)
                sign = Decimal(-1)
                shipping = Decimal(0)
            else:
                country, vat_id, taxed = rng.choice(CUSTOMERS)
                person = {
                    "company": rng.choice(COMPANIES) if not vat_id else "Brouwer, Thee B.V.",
                    "first": rng.choice(FIRST),
                    "last": rng.choice(LAST),
                    "street": rng.choice(STREETS),
                    "zip": f"{rng.randint(1000, 99999):05d}",
                    "city": rng.choice(["Leipzig", "München", "Köln", "Zürich", "Paris"]),
                    "country": country,
                    "vat_id": vat_id,
                    "customer": str(10000 + rng.randint(0, 5000)),
                }
                items = _items(rng, taxed)
                original, sign = "", Decimal(1)
                shipping = rng.choice([Decimal(0), Decimal("4.90"), Decimal("6.90")])
                recent.append((number, person, items))
                recent = recent[-50:]
            by_rate: dict[Decimal, Decimal] = {}
            for _, quantity, unit, rate in items:
                by_rate[rate] = by_rate.get(rate, Decimal(0)) + cents(unit * quantity)
            if shipping:
                ship_rate = max(by_rate)
                by_rate[ship_rate] += shipping
            total = sum(by_rate.values(), Decimal(0)) * sign
            if total == 0:
                continue
            paid = rng.random() < 0.7
            common = [
                number,
                day.strftime("%d.%m.%Y"),
                str(500000 + index),
                (day - dt.timedelta(days=1)).strftime("%d.%m.%Y"),
                person["customer"],
                person["company"],
                person["first"],
                person["last"],
                person["street"],
                person["zip"],
                person["city"],
                person["country"],
                person["vat_id"],
                rng.choice(PAYMENTS),
                day.strftime("%d.%m.%Y") if paid else "",
                german(total if paid else Decimal(0)),
            ]
            tail = [
                german(shipping),
                german(total),
                "EUR",
                "gutschrift" if credit else rng.choice(["Shop", "eBay", "Amazon"]),
                "1" if credit else "",
                original,
            ]
            if layout == "summary":
                buckets = []
                for rate in (Decimal(19), Decimal(7)):
                    gross = by_rate.get(rate, Decimal(0))
                    net = cents(gross * 100 / (100 + rate))
                    buckets += [german(net * sign), german((gross - net) * sign)]
                buckets.append(german(by_rate.get(Decimal(0), Decimal(0)) * sign))
                writer.writerow([*common, *buckets, *tail])
            else:
                for title, quantity, unit, rate in items:
                    writer.writerow(
                        [*common, title, str(quantity), german(unit * sign), str(rate), *tail]
                    )
            written.append(Invoice(number, credit, abs(total), person["country"]))
    return written


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("out", type=Path)
    parser.add_argument("--invoices", type=int, default=1000)
    parser.add_argument("--encoding", default="utf-8")
    parser.add_argument("--layout", choices=("summary", "items"), default="summary")
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()
    generate(args.out, args.invoices, seed=args.seed, encoding=args.encoding, layout=args.layout)


if __name__ == "__main__":
    main()
