"""The evidence a tax-free sale needs, checked before it is booked as one.

An intra-community supply is tax-free only when the buyer uses a valid VAT
identification number issued by another member state (§ 4 Nr. 1 b, § 6a
Abs. 1 Satz 1 Nr. 4 UStG, since 2020; Art. 138 (1) (b) VAT Directive). belegsync
asks for the VAT id of the buyer's own country, the only one its sources
record, and checks its format and check digit with python-stdnum (whether the
number is *issued* is for VIES, which needs the internet; the merchant's
confirmation there remains their duty, § 18e UStG).

A 0 % invoice to an EU buyer abroad without such an id is a taxable sale
charged wrongly: it is refused with a reason the merchant can act on, never
booked tax-free — and never read as a German 0 % sale either.
"""

from __future__ import annotations

import re
from enum import StrEnum
from functools import lru_cache

from stdnum.eu import vat as eu_vat
from stdnum.exceptions import ValidationError

#: Greece's VAT ids start with EL, not GR; Northern Ireland trades goods as XI.
VAT_ID_PREFIX_ALIASES = {"EL": "GR", "XI": "GB"}


class VatIdVerdict(StrEnum):
    VALID = "valid"
    MISSING = "missing"
    #: Wrong length, letters or check digit for its country.
    INVALID = "invalid"
    #: A valid number, but of another country than the buyer's.
    OTHER_COUNTRY = "other_country"


@lru_cache(maxsize=4096)  # pure; a shop's business buyers come back
def compact(vat_id: str) -> str:
    """The VAT id without spaces, dots and dashes, upper case (``de 136.695.976``).

    One without a country prefix stdnum knows (``123456789``, ``n/a``) is cleaned the
    same way: it is an invalid VAT id to report, not an error (stdnum raises).
    """
    if not vat_id.strip():
        return ""
    try:
        return str(eu_vat.compact(vat_id))
    except ValidationError:
        return re.sub(r"[\s.\-]", "", vat_id).upper()


def vat_id_country(vat_id: str) -> str:
    """The ISO country of a VAT id's prefix (``EL…`` is Greece, ``GR``)."""
    prefix = compact(vat_id)[:2]
    return VAT_ID_PREFIX_ALIASES.get(prefix, prefix)


@lru_cache(maxsize=4096)  # pure; stdnum's check is 150 µs a number
def judge_vat_id(vat_id: str, buyer_country: str) -> VatIdVerdict:
    """Whether ``vat_id`` is a well-formed VAT id of ``buyer_country``."""
    if not vat_id.strip():
        return VatIdVerdict.MISSING
    try:
        number = eu_vat.validate(vat_id)
    except ValidationError:
        return VatIdVerdict.INVALID
    country = VAT_ID_PREFIX_ALIASES.get(number[:2], number[:2])
    if country != buyer_country.upper():
        return VatIdVerdict.OTHER_COUNTRY
    return VatIdVerdict.VALID
