"""The columns of Afterbuy's "Rechnungsliste" CSV export and the header names they go by.

No public source documents the export's column names (reference/afterbuy/README.md
§7): the reference sample invents its header from GetSoldItems concepts. So every
column is known by a stable key and a list of spellings a real export may use;
headers are compared after :func:`normalise` (case, whitespace, punctuation,
umlauts), and a merchant can map what is still missing once per connection
(``Connection.settings["csv_mapping"]`` = {key: header as in the file}).

Amounts per tax rate are not a fixed set: any header "Netto <rate>%" or
"MwSt <rate>%" (and their variants) opens a tax-rate bucket, so 16 %, 5 % or an
OSS rate like 20 % need no code.
"""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass
from decimal import Decimal

from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

_UMLAUTS = str.maketrans({"ä": "ae", "ö": "oe", "ü": "ue", "ß": "ss"})
_NOISE = re.compile(r"[^a-z0-9%]+")


# cached: the reader normalises cells of every row (the platform, the credit-note flag),
# and a file repeats few distinct ones
@functools.lru_cache(maxsize=1024)
def normalise(header: str) -> str:
    """``" Rechnungs-Nr. "`` → ``"rechnungsnr"``; ``"Straße"`` and ``"Strasse"`` match."""
    text = header.strip().lstrip("\ufeff").casefold().translate(_UMLAUTS)
    return _NOISE.sub("", text)


@dataclass(frozen=True)
class Column:
    key: str
    #: The header Afterbuy's export gives it (German in every language: it is the file's).
    header: str
    #: What it holds, in the reader's language.
    meaning: Promise
    names: tuple[str, ...]
    required: bool = False


COLUMNS: tuple[Column, ...] = (
    Column(
        "number",
        "Rechnungsnummer",
        _("invoice number"),
        (
            "Rechnungsnummer",
            "Rechnungs-Nr.",
            "Rechnungsnr",
            "Re-Nr.",
            "RE-Nummer",
            "Belegnummer",
            "Beleg-Nr.",
            "Gutschriftsnummer",
            "InvoiceNumber",
            "Invoice number",
        ),
        required=True,
    ),
    Column(
        "invoice_date",
        "Rechnungsdatum",
        _("invoice date"),
        ("Rechnungsdatum", "Re-Datum", "Belegdatum", "Datum", "InvoiceDate", "Invoice date"),
        required=True,
    ),
    Column(
        "total_gross",
        "Gesamtbetrag brutto",
        _("gross total"),
        (
            "Gesamtbetrag brutto",
            "Gesamtbetrag",
            "Gesamt brutto",
            "Rechnungsbetrag",
            "Rechnungsbetrag brutto",
            "Endbetrag",
            "Summe brutto",
            "Bruttobetrag",
            "Brutto",
            "FullAmount",
            "Total",
        ),
        required=True,
    ),
    Column(
        "country",
        "Land",
        _("country"),
        ("Land", "Länderkürzel", "Laenderkuerzel", "Ländercode", "Country", "CountryISO"),
        required=True,
    ),
    Column(
        "order_id",
        "VorgangsID",
        _("order id"),
        ("VorgangsID", "Vorgangs-ID", "Vorgangsnummer", "Vorgang", "OrderID", "Bestellnummer"),
    ),
    Column(
        "order_date", "Bestelldatum", _("order date"), ("Bestelldatum", "Kaufdatum", "OrderDate")
    ),
    Column(
        "customer_number",
        "Kundennummer",
        _("customer number"),
        ("Kundennummer", "Kunden-Nr.", "KundenID", "Kunden-ID", "AfterbuyUserID"),
    ),
    Column("company", "Firma", _("company"), ("Firma", "Firmenname", "Company", "Unternehmen")),
    Column("first_name", "Vorname", _("first name"), ("Vorname", "FirstName")),
    Column("last_name", "Nachname", _("last name"), ("Nachname", "Name", "LastName")),
    Column("street", "Straße", _("street"), ("Straße", "Str.", "Anschrift", "Street")),
    Column("zip_code", "PLZ", _("postcode"), ("PLZ", "Postleitzahl", "PostalCode", "ZIP")),
    Column("city", "Ort", _("city"), ("Ort", "Stadt", "City")),
    Column(
        "vat_id",
        "USt-IdNr",
        _("VAT id"),
        (
            "USt-IdNr",
            "USt-IdNr.",
            "USt-ID",
            "UStID",
            "Umsatzsteuer-ID",
            "Umsatzsteuer-IdNr",
            "VAT ID",
            "TaxIDNumber",
        ),
    ),
    Column("email", "E-Mail", _("e-mail"), ("E-Mail", "Email", "Mail")),
    Column(
        "payment_method",
        "Zahlungsart",
        _("payment method"),
        ("Zahlungsart", "Zahlungsmethode", "Zahlart", "PaymentMethod"),
    ),
    Column(
        "payment_date",
        "Bezahlt am",
        _("paid on"),
        ("Bezahlt am", "Zahlungsdatum", "Bezahldatum", "Zahldatum", "PayDate", "PaymentDate"),
    ),
    Column(
        "paid_amount",
        "Bereits bezahlt",
        _("amount paid"),
        ("Bereits bezahlt", "Bezahlt", "Bezahlter Betrag", "Zahlbetrag", "AlreadyPaid"),
    ),
    Column(
        "shipping_gross",
        "Versandkosten brutto",
        _("shipping (gross)"),
        ("Versandkosten brutto", "Versandkosten", "Versand brutto", "ShippingCost"),
    ),
    Column(
        "total_net",
        "Gesamtbetrag netto",
        _("net total"),
        ("Gesamtbetrag netto", "Gesamt netto", "Summe netto", "Nettobetrag"),
    ),
    Column("currency", "Währung", _("currency"), ("Währung", "Waehrung", "Currency")),
    Column("platform", "Plattform", _("platform"), ("Plattform", "Platform", "Marktplatz", "Shop")),
    Column(
        "credit_note",
        "Gutschrift",
        _("credit note"),
        ("Gutschrift", "Ist Gutschrift", "Belegart", "Typ", "Storno"),
    ),
    Column(
        "refers_to",
        "Bezugsrechnung",
        _("corrected invoice"),
        (
            "Bezugsrechnung",
            "Originalrechnung",
            "Ursprungsrechnung",
            "Rechnungsnummer Original",
            "Gutschrift zu",
            "Storno zu",
            "Bezug",
        ),
    ),
    # One row per item (if an export has them): the rows of one invoice become its lines.
    Column(
        "item_title",
        "Artikelbezeichnung",
        _("item"),
        ("Artikelbezeichnung", "Artikel", "Artikelname", "Bezeichnung", "ItemTitle"),
    ),
    Column("item_sku", "Artikelnummer", _("SKU"), ("Artikelnummer", "Art.-Nr.", "Anr", "SKU")),
    Column("item_quantity", "Menge", _("quantity"), ("Menge", "Anzahl", "Stück", "ItemQuantity")),
    Column(
        "item_price",
        "Einzelpreis brutto",
        _("unit price (gross)"),
        ("Einzelpreis brutto", "Einzelpreis", "Stückpreis", "Preis", "ItemPrice"),
    ),
    Column(
        "item_tax_rate",
        "Steuersatz",
        _("tax rate"),
        ("Steuersatz", "MwSt-Satz", "MwSt.-Satz", "USt-Satz", "MwSt %", "TaxRate"),
    ),
    Column(
        "shipping_tax_rate",
        "Steuersatz Versand",
        _("shipping tax rate"),
        ("Steuersatz Versand", "MwSt-Satz Versand", "Versand MwSt-Satz", "ShippingTaxRate"),
    ),
)

BY_KEY = {c.key: c for c in COLUMNS}
REQUIRED = tuple(c.key for c in COLUMNS if c.required)
#: With these the file has one row per item; without them, amounts per tax rate.
ITEM_KEYS = ("item_title", "item_price", "item_tax_rate")

_NAMES: dict[str, str] = {}
for _column in COLUMNS:
    for _name in (_column.key, _column.header, *_column.names):
        _NAMES.setdefault(normalise(_name), _column.key)

_RATE = r"(\d{1,2}(?:[,.]\d{1,2})?)%?"
_NET_BUCKET = re.compile(rf"^(?:netto|nettobetrag|nettoumsatz|umsatznetto|net){_RATE}$")
_TAX_BUCKET = re.compile(
    rf"^(?:mwst|ust|umsatzsteuer|mehrwertsteuer|steuer|vat|tax|steuerbetrag){_RATE}$"
)
#: A comma or dot that is not between two digits is punctuation, not a decimal mark.
_NOT_DECIMAL_MARK = re.compile(r"(?<!\d)[.,]|[.,](?!\d)")
_RATE_NOISE = re.compile(r"[^a-z0-9%.,]+")
_TAX_FREE = {"nettosteuerfrei", "steuerfrei", "netto0", "umsatzsteuerfrei"}


def bucket_of(header: str) -> tuple[str, Decimal] | None:
    """``"Netto 19%"`` → ``("net", 19)``, ``"MwSt. 5,5 %"`` → ``("tax", 5.5)``."""
    text = header.strip().lstrip("\ufeff").casefold().translate(_UMLAUTS)
    text = _RATE_NOISE.sub("", _NOT_DECIMAL_MARK.sub("", text))
    key = text.replace("%", "")
    if key in _TAX_FREE:
        return ("net", Decimal(0))
    for kind, pattern in (("net", _NET_BUCKET), ("tax", _TAX_BUCKET)):
        match = pattern.match(key)
        if match:
            rate = Decimal(match.group(1).replace(",", "."))
            return (kind, rate.to_integral() if rate == rate.to_integral() else rate.normalize())
    return None


def key_of(header: str) -> str | None:
    return _NAMES.get(normalise(header))


#: Afterbuy's own short codes (``D``, ``A``) and common German names for ISO codes.
COUNTRIES = {
    "d": "DE",
    "deutschland": "DE",
    "germany": "DE",
    "a": "AT",
    "oesterreich": "AT",
    "austria": "AT",
    "schweiz": "CH",
    "switzerland": "CH",
    "nl": "NL",
    "niederlande": "NL",
    "netherlands": "NL",
    "frankreich": "FR",
    "france": "FR",
    "f": "FR",
    "italien": "IT",
    "italy": "IT",
    "i": "IT",
    "belgien": "BE",
    "b": "BE",
    "spanien": "ES",
    "e": "ES",
    "polen": "PL",
    "pl": "PL",
    "daenemark": "DK",
    "dk": "DK",
    "luxemburg": "LU",
    "l": "LU",
    "grossbritannien": "GB",
    "vereinigteskoenigreich": "GB",
    "unitedkingdom": "GB",
    "uk": "GB",
    "usa": "US",
    "vereinigtestaaten": "US",
    "unitedstates": "US",
}


def iso_country(value: str) -> str | None:
    """An Afterbuy country (``DE``, ``D``, ``Deutschland``, ``USA``) as ISO code, or None."""
    value = value.strip()
    if len(value) == 2 and value.isalpha() and value.isascii():
        return value.upper()
    return COUNTRIES.get(normalise(value))
