"""The one data model of realistic Afterbuy invoices, shared by the fake and the CSV generator.

``tests/sources/afterbuy/generator.py`` writes these invoices as a Rechnungsliste
CSV; the XML fake (:mod:`.app`) serves the same invoices as ``GetSoldItems``
orders. Both read :func:`invoices`, so the same seed gives the same invoice on
both routes, and an importer of either must produce the same voucher.

The amounts are computed here, independently of any importer: per invoice a few
items at 19 / 7 / 0 %, shipping at the highest item rate, sometimes a discount,
customers at home, in the EU (private and B2B with VAT id) and outside it, full
credit notes of recent invoices, names with umlauts, quotes and separators.

This module is part of the fake (it imports nothing of ``sources`` or
``bookkeeping``); the random sequence is fixed, so a seed always yields the
same invoices (the CSV files the generator wrote before this module existed
are reproduced byte for byte).
"""

from __future__ import annotations

import datetime as dt
import random
from collections.abc import Iterator
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal

CENT = Decimal("0.01")

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
CITIES = ["Leipzig", "München", "Köln", "Zürich", "Paris"]
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
    ("NL", "NL004495445B01", False),  # intra-community supply
    ("FR", "FR40303265045", False),
    ("CH", "", False),  # export
    ("US", "", False),
    ("GB", "", False),
]
PAYMENTS = ["PayPal", "Überweisung", "Rechnung", "Kreditkarte", "eBay Managed Payment"]
PLATFORMS = ["Shop", "eBay", "Amazon"]
#: Afterbuy's platform name of a credit-note Vorgang (reference README §8).
CREDIT_PLATFORM = "gutschrift"


def cents(value: Decimal) -> Decimal:
    return value.quantize(CENT, rounding=ROUND_HALF_UP)


@dataclass(frozen=True)
class Person:
    company: str
    first: str
    last: str
    street: str
    zip: str
    city: str
    country: str
    vat_id: str
    customer: str


@dataclass(frozen=True)
class Item:
    """One position: ``unit_gross`` is positive, a discount's negative (as on the invoice)."""

    title: str
    quantity: Decimal
    unit_gross: Decimal
    rate: Decimal


@dataclass(frozen=True)
class SeedInvoice:
    """An invoice or a full credit note (``credit_note``, amounts then count negative)."""

    number: str
    order_id: int
    invoice_date: dt.date
    order_date: dt.date
    person: Person
    items: tuple[Item, ...]
    shipping: Decimal
    credit_note: bool
    refers_to: str
    paid: bool
    payment_method: str
    platform: str

    @property
    def sign(self) -> Decimal:
        return Decimal(-1) if self.credit_note else Decimal(1)

    @property
    def by_rate(self) -> dict[Decimal, Decimal]:
        """Gross per tax rate (positive), shipping inside the highest item rate."""
        by_rate: dict[Decimal, Decimal] = {}
        for item in self.items:
            by_rate[item.rate] = by_rate.get(item.rate, Decimal(0)) + cents(
                item.unit_gross * item.quantity
            )
        if self.shipping:
            by_rate[self.shipping_rate] += self.shipping
        return by_rate

    @property
    def shipping_rate(self) -> Decimal:
        return max(item.rate for item in self.items)

    @property
    def total(self) -> Decimal:
        """The gross total with its sign (negative for a credit note)."""
        return sum(self.by_rate.values(), Decimal(0)) * self.sign

    @property
    def paid_amount(self) -> Decimal:
        return self.total if self.paid else Decimal(0)

    @property
    def payment_date(self) -> dt.date | None:
        return self.invoice_date if self.paid else None


def _items(rng: random.Random, taxed: bool) -> list[Item]:
    chosen = []
    for _ in range(rng.randint(1, 4)):
        title, rate = rng.choice(ITEMS)
        rate = rate if taxed else Decimal(0)
        unit = Decimal(rng.randint(150, 25000)) / 100
        chosen.append(Item(title, Decimal(rng.randint(1, 3)), unit, rate))
    if rng.random() < 0.2:
        first = chosen[0]
        chosen.append(Item("Rabatt 10 %", Decimal(1), -cents(first.unit_gross / 10), first.rate))
    return chosen


#: The first invoice date of :func:`invoices`.
FIRST_DAY = dt.date(2024, 1, 1)


def invoices(
    count: int = 100, *, seed: int = 1, start: int = 30000, per_day: int | None = None
) -> Iterator[SeedInvoice]:
    """Up to ``count`` invoices and credit notes numbered from ``start``, VorgangsID 500000+,
    dated from :data:`FIRST_DAY` on.

    By default the date moves on a day with a probability of 5 % per invoice (about 20
    a day: after some 21,000 invoices the dates pass 2026-12-03). With ``per_day`` it
    moves on after every ``per_day`` invoices instead, so a large file stays in the past
    (1,000 a day: a million invoices end in September 2026); the invoices are otherwise
    the same, the random sequence is drawn alike. An invoice whose total would be zero
    is left out (its number is not used).
    """
    if per_day is not None and per_day < 1:
        raise ValueError(f"per_day must be at least 1, not {per_day}")
    rng = random.Random(seed)
    recent: list[tuple[str, Person, list[Item]]] = []
    day = FIRST_DAY
    for index in range(count):
        number = str(start + index)
        next_day = rng.random() < 0.05  # drawn with per_day too: the same invoices follow
        if per_day is not None:
            next_day = index > 0 and index % per_day == 0
        day += dt.timedelta(days=next_day)
        credit = bool(recent) and rng.random() < 0.08
        if credit:
            original, person, items = rng.choice(recent)
            shipping = Decimal(0)
        else:
            country, vat_id, taxed = rng.choice(CUSTOMERS)
            company = rng.choice(COMPANIES) if not vat_id else "Brouwer, Thee B.V."
            if country != "DE" and taxed:
                company = ""  # the private EU buyer (a business abroad would give its VAT id)
            person = Person(
                company=company,
                first=rng.choice(FIRST),
                last=rng.choice(LAST),
                street=rng.choice(STREETS),
                zip=f"{rng.randint(1000, 99999):05d}",
                city=rng.choice(CITIES),
                country=country,
                vat_id=vat_id,
                customer=str(10000 + rng.randint(0, 5000)),
            )
            items = _items(rng, taxed)
            original = ""
            shipping = rng.choice([Decimal(0), Decimal("4.90"), Decimal("6.90")])
            recent.append((number, person, items))
            recent = recent[-50:]
        draft = SeedInvoice(
            number=number,
            order_id=500000 + index,
            invoice_date=day,
            order_date=day - dt.timedelta(days=1),
            person=person,
            items=tuple(items),
            shipping=shipping,
            credit_note=credit,
            refers_to=original,
            paid=False,
            payment_method="",
            platform=CREDIT_PLATFORM,
        )
        if draft.total == 0:
            continue
        paid = rng.random() < 0.7
        method = rng.choice(PAYMENTS)
        platform = CREDIT_PLATFORM if credit else rng.choice(PLATFORMS)
        yield SeedInvoice(
            **{
                **draft.__dict__,
                "paid": paid,
                "payment_method": method,
                "platform": platform,
            }
        )
