"""DATEV-Format (EXTF) Buchungsstapel writer on the neutral voucher.

What a tax advisor imports into DATEV Rechnungswesen: ``EXTF_*.csv``, Windows-1252,
``;``, CR LF, a 31-field header, the 125 column headings of format version 13,
then one booking per line (reference: tests/reference/datev/README.md §1–§5).

A voucher becomes one booking per tax rate on the debtor (gross amount, the
revenue account as contra account, no tax key on DATEV's automatic accounts):
an invoice is ``S`` on the debtor, a credit note ``H``; a rate group made
negative by a discount swaps the side, because DATEV amounts are never
negative. Payments can be booked too (bank/payment account to the debtor, same
Belegfeld 1, so DATEV clears the open item).

Streaming: :meth:`ExtfWriter.add` writes a voucher's bookings straight to a
temporary body file per (fiscal year, calendar year) — DATEV takes the year of
the ``TTMM`` Belegdatum from the header, and a batch must lie inside one fiscal
year and one calendar year. :meth:`ExtfWriter.finish` puts the header in front,
copying the body in blocks, and runs the validator on every file. Nothing holds
more than one voucher's bookings in memory, apart from the map of invoice
numbers that had to be changed.
"""

from __future__ import annotations

import datetime as dt
import functools
import hashlib
import re
import shutil
import tempfile
import unicodedata
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from enum import StrEnum
from pathlib import Path
from typing import Any, BinaryIO, NamedTuple

from belegsync.bookkeeping import (
    ZERO,
    TaxTreatment,
    Voucher,
    format_rate,
    round_cents,
    validate,
)
from belegsync.bookkeeping.amounts import rate_key
from belegsync.bookkeeping.currency import in_euros, needs_rate
from belegsync.bookkeeping.tax import SELLER_COUNTRY, is_eu
from belegsync.bookkeeping.voucher import Original
from belegsync.connectors.reasons import Reason
from belegsync.connectors.spreadsheet import FORMULA_STARTS, neutralise

from . import columns as col
from . import rules
from .columns import BUCHUNGSSTAPEL_COLUMNS

ENCODING = "cp1252"
CRLF = b"\r\n"
#: Largest amount DATEV's field regex ``^\d{1,10}[,]\d{2}$`` admits.
MAX_AMOUNT = Decimal("9999999999.99")
#: At most 99 999 bookings per file (reference §1, **unverified**, from datev-extf).
MAX_ROWS = 99_999
BELEGFELD_1_MAX = 36
BUCHUNGSTEXT_MAX = 60
BELEGINFO_ART_MAX = 20
BELEGINFO_INHALT_MAX = 210
LABEL_MAX = 30

#: Belegfeld 1: letters, digits and ``$ % - /``. DATEV's description also lists
#: ``& * +``, its regex ``[\w$%\-\/]`` does not; belegsync writes only what both allow.
BELEGFELD_ALLOWED = re.compile(r"^[A-Za-z0-9$%\-/]{1,36}$")
_BELEGFELD_BAD = re.compile(r"[^A-Za-z0-9$%\-/]+")


class Chart(StrEnum):
    SKR03 = "03"
    SKR04 = "04"


class DebtorMode(StrEnum):
    #: All customers on one collective debtor (e.g. 10000 "Shop-Kunden").
    COLLECTIVE = "collective"
    #: A customer with a numeric customer number gets debtor ``base + number``;
    #: customers without one stay on the collective debtor.
    PER_CUSTOMER = "per_customer"


# Revenue account keys: the tax case of a rate group. "domestic:<rate>" is German VAT
# to a German buyer, "eu_domestic:<rate>" German VAT to an EU private buyer abroad
# (below the delivery threshold / no OSS).
#: Standard accounts with Sachkontenlänge 4 (reference §5, Odoo's SKR03/SKR04 charts).
STANDARD_REVENUE: dict[Chart, dict[str, int]] = {
    Chart.SKR03: {
        "domestic:19": 8400,
        "domestic:7": 8300,
        "eu_domestic:19": 8315,
        "eu_domestic:7": 8310,
        "intra_eu": 8125,
        "export": 8120,
        "oss": 8320,
        "small_business": 8195,
    },
    Chart.SKR04: {
        "domestic:19": 4400,
        "domestic:7": 4300,
        "eu_domestic:19": 4315,
        "eu_domestic:7": 4310,
        "intra_eu": 4125,
        "export": 4120,
        "oss": 4320,
        "small_business": 4185,
    },
}
STANDARD_BANK = {Chart.SKR03: 1200, Chart.SKR04: 1800}

#: DATEV's automatic revenue accounts (AM): they carry their own tax, a tax key on
#: them is rejected (reference §3 #9, §5). Standard length 4.
AUTOMATIC_ACCOUNTS: dict[Chart, frozenset[int]] = {
    Chart.SKR03: frozenset({8400, 8300, 8120, 8125, 8315, 8310, 8336, 8338}),
    Chart.SKR04: frozenset({4400, 4300, 4120, 4125, 4315, 4310, 4336, 4338}),
}

TREATMENT_LABELS = {
    TaxTreatment.DOMESTIC: "domestic sale",
    TaxTreatment.EU_DISTANCE_SALE: "EU distance sale (OSS)",
    TaxTreatment.INTRA_EU_SUPPLY: "intra-community supply",
    TaxTreatment.EXPORT: "export to a third country",
    TaxTreatment.SMALL_BUSINESS: "small business (§19 UStG)",
}


def scale_account(account: int, length: int) -> int:
    """A standard 4-digit G/L account at Sachkontenlänge ``length`` (8400 → 84000 at 5).

    DATEV pads G/L accounts with zeros on the right when the client uses longer
    account numbers (reference §5 person-account note; **assumed** for G/L accounts).
    """
    return int(account * 10 ** (length - 4))


@dataclass(frozen=True)
class DatevSettings:
    """What the tax advisor tells the merchant; every account can be overridden."""

    consultant_number: int
    client_number: int
    #: First month of the fiscal year (Wirtschaftsjahr); it starts on day 1.
    fiscal_year_start_month: int = 1
    account_length: int = 4
    chart: Chart = Chart.SKR03
    debtor_mode: DebtorMode = DebtorMode.COLLECTIVE
    #: Collective debtor; default the first debtor (10000 at length 4).
    collective_debtor: int | None = None
    #: Per-customer debtors are ``base + customer number``; default the first debtor.
    debtor_base: int | None = None
    #: Overrides of STANDARD_REVENUE by key ("domestic:19", "oss", "domestic:0" …).
    revenue_accounts: Mapping[str, int] = field(default_factory=dict)
    #: DATEV tax key for OSS distance sales on the non-automatic OSS account (e.g.
    #: 240). Empty: such vouchers are left out, because the key must be agreed with
    #: the advisor (reference §5, **unverified**).
    oss_tax_key: str = ""
    book_payments: bool = False
    bank_account: int | None = None
    #: Payment method (as the source names it, e.g. "paypal") → account.
    payment_accounts: Mapping[str, int] = field(default_factory=dict)
    #: Festschreibung: 1 locks the bookings on import; advisors usually want 0.
    lock_bookings: bool = False
    exported_by: str = "belegsync"
    origin: str = "BS"
    max_rows: int = MAX_ROWS

    def __post_init__(self) -> None:
        refused = rules.check(
            {
                "consultant_number": self.consultant_number,
                "client_number": self.client_number,
                "fiscal_year_start_month": self.fiscal_year_start_month,
                "account_length": self.account_length,
                "collective_debtor": self.collective_debtor,
                "oss_tax_key": self.oss_tax_key,
            }
        )
        if refused:
            raise rules.BadSetting(refused)

    # derived once per settings (cached_property writes past ``frozen``): the writer
    # asks for them on every booking
    @functools.cached_property
    def debtor_range(self) -> tuple[int, int]:
        """Debtors have one digit more than G/L accounts: 10000–69999 at length 4."""
        return rules.debtor_range(self.account_length)

    @functools.cached_property
    def default_debtor(self) -> int:
        return self.collective_debtor or self.debtor_range[0]

    def revenue_account(self, key: str) -> int | None:
        if key in self.revenue_accounts:
            return int(self.revenue_accounts[key])
        standard = STANDARD_REVENUE[self.chart].get(key)
        return None if standard is None else scale_account(standard, self.account_length)

    @functools.cached_property
    def _automatic(self) -> frozenset[int]:
        return frozenset(
            scale_account(a, self.account_length) for a in AUTOMATIC_ACCOUNTS[self.chart]
        )

    def is_automatic(self, account: int) -> bool:
        return account in self._automatic

    @functools.cached_property
    def _revenue_memo(self) -> dict[tuple[TaxTreatment, str, str], tuple[str, int | None]]:
        """Memo of :func:`_revenue`: (treatment, buyer country, rate as written) → the
        revenue key and its account (None: no account for it)."""
        return {}

    def payment_account(self, method: str) -> int:
        if method in self.payment_accounts:
            return int(self.payment_accounts[method])
        if self.bank_account is not None:
            return self.bank_account
        return scale_account(STANDARD_BANK[self.chart], self.account_length)

    def fiscal_year_start(self, day: dt.date) -> dt.date:
        start = dt.date(day.year, self.fiscal_year_start_month, 1)
        return start if day >= start else dt.date(day.year - 1, self.fiscal_year_start_month, 1)


class NotExpressible(Exception):
    """The voucher cannot be booked in this format.

    ``reasons`` say why in the merchant's words (:mod:`belegsync.reasons`, group
    EXPORTS); the message says it in English for logs and support.
    """

    def __init__(
        self, message: str, *, code: str, reasons: list[Reason] | None = None, **params: Any
    ) -> None:
        super().__init__(message)
        self.code = code
        self.reasons = reasons or [Reason(code, params)]


# --- text -----------------------------------------------------------------------

#: Letters NFKD does not decompose to ASCII; the rest of Latin is handled by NFKD.
_TRANSLITERATION = str.maketrans(
    {"ł": "l", "Ł": "L", "đ": "d", "Đ": "D", "ħ": "h", "Ħ": "H", "ı": "i", "ŀ": "l", "Ŀ": "L"}
)
_CONTROL = re.compile(r"[\x00-\x1f\x7f]+")


def to_cp1252(text: str) -> str:
    """``text`` with control characters as spaces and every character Windows-1252 can
    store: outside it, letters are transliterated (``ő`` → ``o``), the rest become ``?``."""
    if text.isascii() and text.isprintable():
        return text  # printable ASCII: nothing to normalise, replace or transliterate
    text = _CONTROL.sub(" ", unicodedata.normalize("NFC", text))
    try:
        text.encode(ENCODING)  # nearly every text: no character to replace
        return text
    except UnicodeEncodeError:
        pass
    out = []
    for char in text:
        try:
            char.encode(ENCODING)
        except UnicodeEncodeError:
            char = char.translate(_TRANSLITERATION)
            base = "".join(
                c for c in unicodedata.normalize("NFKD", char) if not unicodedata.combining(c)
            )
            try:
                base.encode(ENCODING)
                char = base or "?"
            except UnicodeEncodeError:
                char = "?"
        out.append(char)
    return "".join(out)


_UMLAUTS = str.maketrans({"ä": "ae", "ö": "oe", "ü": "ue", "Ä": "Ae", "Ö": "Oe", "Ü": "Ue"})
_UMLAUTS_SS: dict[str, str | int | None] = {"ß": "ss"}


def belegfeld1(number: str) -> str:
    """Invoice number → Belegfeld 1: unchanged when DATEV allows it, else mapped.

    Mapping is deterministic and never a plain cut (cutting to the last 12
    characters, as other tools do, lets numbers collide): umlauts are spelled out,
    every run of other characters becomes ``-``, and ``-`` plus six hex digits of
    the SHA-256 of the full number are appended. Too long, the *front* gives way
    (the counting part of a number is at its end) — the hash keeps it unique. A
    number that starts with ``-`` is mapped too (no leading ``-``: a spreadsheet
    would read it as a formula, and Belegfeld 1 has no room for a ``'``).
    """
    if BELEGFELD_ALLOWED.match(number) and not number.startswith(FORMULA_STARTS):
        return number
    text = number.translate(_UMLAUTS).translate(str.maketrans(_UMLAUTS_SS))
    text = "".join(c for c in unicodedata.normalize("NFKD", text) if not unicodedata.combining(c))
    text = _BELEGFELD_BAD.sub("-", text).strip("-")
    suffix = hashlib.sha256(number.encode("utf-8")).hexdigest()[:6].upper()
    room = BELEGFELD_1_MAX - len(suffix) - 1
    text = text[-room:].lstrip("-") if len(text) > room else text
    return f"{text}-{suffix}" if text else suffix


# --- bookings -------------------------------------------------------------------


class Booking(NamedTuple):
    """One line of the Buchungsstapel (a named tuple, immutable like a frozen dataclass:
    one is made per rate of every voucher, and a frozen dataclass's ``__init__`` of 13
    fields took 3.7 µs)."""

    amount: Decimal
    side: str  # "S" or "H": side of ``account``
    account: int
    contra_account: int
    date: dt.date
    belegfeld1: str
    text: str
    tax_key: str = ""
    infos: tuple[tuple[str, str], ...] = ()  # (Art, Inhalt) pairs, by position
    eu_vat_id: str = ""  # #40
    eu_rate: Decimal | None = None  # #41
    #: #115 Leistungsdatum, the delivery date; #116 then gets the Belegdatum (see bookings)
    service_date: dt.date | None = None
    #: #1/#3/#4 for an invoice in a foreign currency; ``amount`` is then #5 Basis-Umsatz
    foreign: ForeignAmount | None = None


@dataclass(frozen=True)
class ForeignAmount:
    """A booking's amount in the invoice's currency, with the rate it was converted at
    (DATEV #1 Umsatz, #3 WKZ Umsatz, #4 Kurs; reference §3)."""

    currency: str
    amount: Decimal
    per_euro: Decimal


#: DATEV's Kurs, ``^[1-9]\d{0,3}[,]\d{2,6}$`` (reference §3 #4): 1 to 9999.999999.
KURS_PLACES = 6
KURS_MAX = Decimal("9999.999999")


def _kurs(rate: Decimal) -> str | None:
    """The rate as DATEV's Kurs, or None when its format cannot carry it (below 1, such
    as 0.9412 CHF per euro, or finer than six decimals)."""
    if not Decimal(1) <= rate <= KURS_MAX or rate != rate.quantize(Decimal(10) ** -KURS_PLACES):
        return None
    exponent = rate.normalize().as_tuple().exponent
    places = max(2, -exponent) if isinstance(exponent, int) else 2
    return f"{rate:.{places}f}".replace(".", ",")


def _foreign(original: Original | None, rate: Decimal) -> ForeignAmount | None:
    """The rate's booking in the invoice's currency, where DATEV's fields can carry it:
    the source named that rate's amount, it has cents (not a currency of three
    decimals), and the Kurs fits its format."""
    if original is None or _kurs(original.per_euro) is None:
        return None
    amount = next((abs(g) for r, g in original.groups if rate_key(r) == rate_key(rate)), None)
    if amount is None or amount == 0 or amount > MAX_AMOUNT or amount != round_cents(amount):
        return None
    return ForeignAmount(original.currency, amount, original.per_euro)


def _original_info(original: Original) -> tuple[str, str]:
    """Beleginfo "Fremdwährung": the invoice's currency, total and rate, always named."""
    gross = f"{original.gross:f}".replace(".", ",")
    rate = format_rate(original.per_euro).replace(".", ",")
    return (
        "Fremdwährung",
        _info(f"{original.currency} {gross}, Kurs {rate} {original.currency} je EUR"),
    )


def _rate_text(rate: Decimal) -> str:
    return f"{rate.normalize():f}".replace(".", ",")


def _amount(value: Decimal) -> str:
    return f"{round_cents(value):.2f}".replace(".", ",")


def _debtor(voucher: Voucher, settings: DatevSettings) -> int:
    if settings.debtor_mode is DebtorMode.PER_CUSTOMER:
        number = voucher.party.customer_number.strip()
        if number.isdigit():
            low, high = settings.debtor_range
            account = (settings.debtor_base or low) + int(number)
            if account > high:
                raise NotExpressible(
                    f"Customer number {number} gives debtor {account}, outside DATEV's debtor "
                    f"range {low}–{high}.",
                    code="datev.debtor_out_of_range",
                    customer_number=number,
                    account=str(account),
                    low=str(low),
                    high=str(high),
                )
            return account
    return settings.default_debtor


def _revenue_key(voucher: Voucher, treatment: TaxTreatment, rate: Decimal) -> str:
    if treatment is TaxTreatment.DOMESTIC:
        country = voucher.party.country.upper() or SELLER_COUNTRY
        prefix = "domestic" if country == SELLER_COUNTRY or not is_eu(country) else "eu_domestic"
        return f"{prefix}:{rate.normalize():f}"
    return {
        TaxTreatment.EU_DISTANCE_SALE: "oss",
        TaxTreatment.INTRA_EU_SUPPLY: "intra_eu",
        TaxTreatment.EXPORT: "export",
        TaxTreatment.SMALL_BUSINESS: "small_business",
    }[treatment]


def _revenue(
    voucher: Voucher, treatment: TaxTreatment, rate: Decimal, settings: DatevSettings
) -> tuple[str, int | None]:
    """The revenue key of a rate group and its account in ``settings``, each figured once
    per tax case and rate (the key reads the buyer's country only for a domestic sale)."""
    country = voucher.party.country if treatment is TaxTreatment.DOMESTIC else ""
    memo = settings._revenue_memo
    case = (treatment, country, str(rate))
    found = memo.get(case)
    if found is None:
        key = _revenue_key(voucher, treatment, rate)
        found = memo[case] = (key, settings.revenue_account(key))
    return found


def _clean_vat_id(vat_id: str) -> str:
    return re.sub(r"[^A-Z0-9]", "", vat_id.upper())


def _text(*parts: str) -> str:
    """Buchungstext: DATEV keeps 60 characters; belegsync cuts on purpose at the end,
    where the name is — the number at the front stays whole (and the full number is
    also in Beleginfo when Belegfeld 1 had to be mapped). Text starting like a
    formula is neutralised (``connectors.spreadsheet``), as in the CSV export."""
    return neutralise(to_cp1252(" ".join(p for p in parts if p)))[:BUCHUNGSTEXT_MAX].rstrip()


def _info(text: str) -> str:
    """A Beleginfo Inhalt from source text: Windows-1252, neutralised, at most 210."""
    return neutralise(to_cp1252(text))[:BELEGINFO_INHALT_MAX]


def _booking_text(head: list[str], suffix: str, order: str) -> str:
    if suffix:
        return _text(*head, suffix)
    return _text(" ".join(p for p in head if p) + order)


def bookings(voucher: Voucher, settings: DatevSettings) -> list[Booking]:
    """The bookings of one voucher, or :class:`NotExpressible` with the reason.

    A voucher in a foreign currency is booked in euros at the source's rate
    (``currency.in_euros``): each rate's booking carries the euro amount as
    Basis-Umsatz and the invoice's amount as Umsatz with WKZ and Kurs where DATEV's
    fields can carry them, and Beleginfo "Fremdwährung" names the original always.
    Without a rate it is refused.
    """
    if needs_rate(voucher):
        raise NotExpressible(
            f"Currency {voucher.currency}: the DATEV export needs the EUR amount and "
            "exchange rate, which the voucher does not carry.",
            code="datev.foreign_currency",
            currency=voucher.currency,
        )
    problems = validate(voucher)
    if problems:
        raise NotExpressible(
            "The voucher is not consistent: " + "; ".join(map(str, problems)),
            code="category.validation",
            reasons=[Reason.of(problem) for problem in problems],
        )
    voucher = in_euros(voucher)
    number = voucher.number
    field1 = belegfeld1(number)
    infos: list[tuple[str, str]] = [("", ""), ("", "")]
    if voucher.order_number:
        infos[0] = ("Bestellnummer", _info(voucher.order_number))
    if field1 != number:
        if len(neutralise(number)) > BELEGINFO_INHALT_MAX:
            raise NotExpressible(
                f"The number is {len(number)} characters long; DATEV can keep at most "
                f"{BELEGINFO_INHALT_MAX}.",
                code="datev.number_too_long",
                length=len(number),
                limit=BELEGINFO_INHALT_MAX,
            )
        infos[1] = ("Rechnungsnummer", _info(number))
    if voucher.original is not None:
        infos.append(_original_info(voucher.original))
    info_pairs = tuple(infos) if any(a for a, _ in infos) else ()
    debtor = _debtor(voucher, settings)
    treatment = voucher.tax_treatment
    groups = [g for g in voucher.tax_groups() if g.gross != ZERO]
    if not groups:
        raise NotExpressible(
            "The total is 0,00: DATEV rejects bookings without an amount.", code="datev.zero_total"
        )
    name = voucher.party.display_name
    head = [number, name]
    if voucher.is_credit_note:
        # a credit note without an original invoice is booked with that warning in the text
        reference = ["zu", voucher.refers_to] if voucher.refers_to else ["ohne Rechnungsbezug"]
        head = [number, *reference, name]
    order = f", Bestellung {voucher.order_number}" if voucher.order_number else ""
    result = []
    for group in groups:
        key, account = _revenue(voucher, treatment, group.rate, settings)
        if account is None:
            raise NotExpressible(
                f"No revenue account for a {TREATMENT_LABELS[treatment]} at "
                f"{_rate_text(group.rate)} %: set account '{key}' in the DATEV settings.",
                code="datev.no_revenue_account",
                treatment=treatment.value,
                rate=group.rate,
                key=key,
            )
        tax_key, eu_vat_id, eu_rate = "", "", None
        if treatment is TaxTreatment.INTRA_EU_SUPPLY:
            eu_vat_id = _clean_vat_id(voucher.party.vat_id)
        elif treatment is TaxTreatment.EU_DISTANCE_SALE:
            if not settings.is_automatic(account):
                if not settings.oss_tax_key:
                    raise NotExpressible(
                        "An OSS distance sale needs the DATEV tax key your tax advisor uses "
                        "for it (often 240).",
                        code="datev.oss_tax_key_missing",
                    )
                tax_key = settings.oss_tax_key
            country = voucher.party.country.upper()
            eu_vat_id = "EL" if country == "GR" else country
            eu_rate = group.rate
        suffix = f"{_rate_text(group.rate)} %" if len(groups) > 1 else ""
        positive = group.gross > 0
        debit = positive != voucher.is_credit_note
        amount = abs(group.gross)
        if amount > MAX_AMOUNT:
            raise NotExpressible(
                f"The amount {amount} is larger than DATEV can carry.",
                code="datev.amount_too_large",
                amount=amount,
            )
        result.append(
            Booking(
                amount=amount,
                side="S" if debit else "H",
                account=debtor,
                contra_account=account,
                date=voucher.invoice_date,
                belegfeld1=field1,
                text=_booking_text(head, suffix, order),
                tax_key=tax_key,
                infos=info_pairs,
                eu_vat_id=eu_vat_id,
                eu_rate=eu_rate,
                service_date=voucher.delivery_date,
                foreign=_foreign(voucher.original, group.rate),
            )
        )
    if settings.book_payments and not voucher.is_credit_note:
        for payment in voucher.payments:
            when = payment.date or voucher.payment_date
            if payment.amount <= 0 or when is None:
                continue
            result.append(
                Booking(
                    amount=payment.amount,
                    side="S",
                    account=settings.payment_account(payment.method),
                    contra_account=debtor,
                    date=when,
                    belegfeld1=field1,
                    text=_text("Zahlung", number, name),
                )
            )
    return result


def _quote(text: str) -> str:
    return '"' + text.replace('"', '""') + '"'


_QUOTED = {text: _quote(text) for text in ("S", "H", "EUR")}


def booking_line(booking: Booking, settings: DatevSettings) -> bytes:
    """One booking as a line of the file (CR LF included), Windows-1252."""
    row: list[str] = [""] * len(BUCHUNGSSTAPEL_COLUMNS)
    row[col.UMSATZ] = _amount(booking.amount)
    row[col.SOLL_HABEN] = _QUOTED.get(booking.side) or _quote(booking.side)
    row[col.WKZ_UMSATZ] = _QUOTED["EUR"]
    foreign = booking.foreign
    kurs = _kurs(foreign.per_euro) if foreign is not None else None
    if foreign is not None and kurs is not None:
        # the invoice's amount in its currency, the euro amount as the base (reference §3)
        row[col.UMSATZ] = _amount(foreign.amount)
        row[col.WKZ_UMSATZ] = _quote(foreign.currency)
        row[col.KURS] = kurs
        row[col.BASIS_UMSATZ] = _amount(booking.amount)
        row[col.WKZ_BASIS_UMSATZ] = _QUOTED["EUR"]
    row[col.KONTO] = str(booking.account)
    row[col.GEGENKONTO] = str(booking.contra_account)
    if booking.tax_key:
        row[col.BU_SCHLUESSEL] = _quote(booking.tax_key)
    day = booking.date
    row[col.BELEGDATUM] = f"{day.day:02d}{day.month:02d}"  # TTMM; strftime takes 4x as long
    row[col.BELEGFELD_1] = _quote(booking.belegfeld1)
    row[col.BUCHUNGSTEXT] = _quote(booking.text)
    for index, (art, inhalt) in enumerate(booking.infos):
        if art:
            row[col.BELEGINFO_FIRST + 2 * index] = _quote(art)
            row[col.BELEGINFO_FIRST + 2 * index + 1] = _quote(inhalt)
    if booking.eu_vat_id:
        row[col.EU_LAND_USTID] = _quote(booking.eu_vat_id)
    if booking.eu_rate is not None:
        row[col.EU_STEUERSATZ] = f"{booking.eu_rate:.2f}".replace(".", ",")
    if settings.lock_bookings:
        row[col.FESTSCHREIBUNG] = "1"
    if booking.service_date is not None:
        # #115 needs #116 (reference §3 #13); #116 = the Belegdatum keeps the VAT period
        # the one DATEV gives the booking without a Leistungsdatum (docs/connectors/datev.md)
        row[col.LEISTUNGSDATUM] = f"{booking.service_date:%d%m%Y}"
        row[col.DATUM_STEUERPERIODE] = f"{booking.date:%d%m%Y}"
    return ";".join(row).encode(ENCODING) + CRLF


def header_line(
    settings: DatevSettings,
    *,
    created_at: dt.datetime,
    fiscal_year_start: dt.date,
    date_from: dt.date,
    date_to: dt.date,
    label: str,
) -> bytes:
    """The 31-field Vorlaufsatz (reference §2), quoted exactly like DATEV's sample."""
    stamp = f"{created_at:%Y%m%d%H%M%S}{created_at.microsecond // 1000:03d}"
    fields = [
        _quote("EXTF"),
        "700",
        "21",
        _quote("Buchungsstapel"),
        "13",
        stamp,
        "",
        _quote(settings.origin),
        _quote(to_cp1252(settings.exported_by)[:25]),
        _quote(""),
        str(settings.consultant_number),
        str(settings.client_number),
        f"{fiscal_year_start:%Y%m%d}",
        str(settings.account_length),
        f"{date_from:%Y%m%d}",
        f"{date_to:%Y%m%d}",
        _quote(to_cp1252(label)[:LABEL_MAX]),
        _quote(""),
        "1",
        "0",
        "1" if settings.lock_bookings else "0",
        _quote("EUR"),
        "",
        _quote(""),
        "",
        "",
        _quote(settings.chart.value),
        "",
        "",
        _quote(""),
        _quote(""),
    ]
    return ";".join(fields).encode(ENCODING) + CRLF


def column_line() -> bytes:
    return ";".join(BUCHUNGSSTAPEL_COLUMNS).encode(ENCODING) + CRLF


def default_label(date_from: dt.date, date_to: dt.date) -> str:
    if (date_from.year, date_from.month) == (date_to.year, date_to.month):
        return f"Shop-Rechnungen {date_from:%m/%Y}"
    return f"Shop-Rechnungen {date_from:%m}-{date_to:%m/%Y}"


# --- the writer -----------------------------------------------------------------


@dataclass
class _Part:
    fiscal_year_start: dt.date
    year: int
    index: int
    body: BinaryIO
    rows: int = 0
    first: dt.date | None = None
    last: dt.date | None = None


@dataclass(frozen=True)
class WrittenFile:
    path: Path
    date_from: dt.date
    date_to: dt.date
    rows: int


@dataclass(frozen=True)
class Added:
    """A voucher written: its Belegfeld 1 and how many bookings it made."""

    belegfeld1: str
    rows: int


class ExportInvalid(Exception):
    """The written file fails the validator: a bug in belegsync, never exported."""


class ExtfWriter:
    """Streams vouchers into one or more EXTF Buchungsstapel files in ``directory``."""

    def __init__(
        self,
        settings: DatevSettings,
        directory: Path,
        *,
        created_at: dt.datetime,
        period: tuple[dt.date, dt.date] | None = None,
        label: str | None = None,
    ) -> None:
        self.settings = settings
        self.directory = directory
        self.created_at = created_at
        self.period = period
        self.label = label
        self._parts: dict[tuple[dt.date, int], _Part] = {}
        self._done: list[_Part] = []
        #: Mapped Belegfeld 1 → the full number, to catch a collision and for the summary.
        self.number_map: dict[str, str] = {}
        #: Each day's (fiscal year start, calendar year): the file part its bookings go to.
        self._keys: dict[dt.date, tuple[dt.date, int]] = {}

    def _split_key(self, day: dt.date) -> tuple[dt.date, int]:
        key = self._keys.get(day)
        if key is None:
            key = self._keys[day] = (self.settings.fiscal_year_start(day), day.year)
        return key

    def add(self, voucher: Voucher) -> Added:
        """Write the voucher's bookings; :class:`NotExpressible` leaves it out, unwritten."""
        rows = bookings(voucher, self.settings)
        field1 = rows[0].belegfeld1
        if field1 != voucher.number:
            seen = self.number_map.get(field1)
            if seen is not None and seen != voucher.number:
                raise NotExpressible(
                    f"Its Belegfeld 1 {field1} would equal that of {seen}.",
                    code="datev.belegfeld1_taken",
                    belegfeld=field1,
                    other=seen,
                )
        by_key: dict[tuple[dt.date, int], list[Booking]] = {}
        for booking in rows:
            by_key.setdefault(self._split_key(booking.date), []).append(booking)
        for key, group in by_key.items():
            part = self._part(key, len(group))
            for booking in group:
                part.body.write(booking_line(booking, self.settings))
                part.rows += 1
                day = booking.date
                if part.first is None or day < part.first:
                    part.first = day
                if part.last is None or day > part.last:
                    part.last = day
        if field1 != voucher.number:
            self.number_map[field1] = voucher.number
        return Added(belegfeld1=field1, rows=len(rows))

    def _part(self, key: tuple[dt.date, int], needed: int) -> _Part:
        part = self._parts.get(key)
        if part is not None and part.rows + needed > self.settings.max_rows:
            self._done.append(part)
            part = None
            index = sum(1 for p in self._done if (p.fiscal_year_start, p.year) == key) + 1
        else:
            index = 1
        if part is None:
            body = tempfile.TemporaryFile(dir=self.directory)  # noqa: SIM115 - closed in finish
            part = _Part(key[0], key[1], index, body)
            self._parts[key] = part
        return part

    def _all_parts(self) -> Iterator[_Part]:
        yield from self._done
        yield from self._parts.values()

    def _span(self, part: _Part) -> tuple[dt.date, dt.date]:
        """Datum vom/bis: the rows' dates, widened to the requested period where that
        stays inside this file's fiscal and calendar year."""
        assert part.first is not None and part.last is not None
        fy_end = dt.date(part.fiscal_year_start.year + 1, part.fiscal_year_start.month, 1)
        low = max(part.fiscal_year_start, dt.date(part.year, 1, 1))
        high = min(fy_end - dt.timedelta(days=1), dt.date(part.year, 12, 31))
        first, last = part.first, part.last
        if self.period is not None:
            first = min(first, max(self.period[0], low))
            last = max(last, min(self.period[1], high))
        return first, last

    def finish(self) -> list[WrittenFile]:
        """Write the files (header, headings, body) and validate each one."""
        from .validator import validate_file

        written = []
        try:
            for part in sorted(
                self._all_parts(), key=lambda p: (p.fiscal_year_start, p.year, p.index)
            ):
                date_from, date_to = self._span(part)
                suffix = f"_{part.index}" if part.index > 1 else ""
                path = self.directory / (
                    f"EXTF_Buchungsstapel_{date_from:%Y%m%d}-{date_to:%Y%m%d}{suffix}.csv"
                )
                with path.open("wb") as out:
                    out.write(
                        header_line(
                            self.settings,
                            created_at=self.created_at,
                            fiscal_year_start=part.fiscal_year_start,
                            date_from=date_from,
                            date_to=date_to,
                            label=self.label or default_label(date_from, date_to),
                        )
                    )
                    out.write(column_line())
                    part.body.seek(0)
                    shutil.copyfileobj(part.body, out, 1 << 20)
                problems = validate_file(path)
                if problems:
                    raise ExportInvalid(f"{path.name}: " + "; ".join(str(p) for p in problems[:10]))
                written.append(WrittenFile(path, date_from, date_to, part.rows))
        finally:
            for part in self._all_parts():
                part.body.close()
        return written
