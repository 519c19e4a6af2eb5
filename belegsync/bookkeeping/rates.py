"""VAT rates with the days they are valid on, per country (issue #13, item 4).

A rate belongs to the day of the supply (§ 27 Abs. 1 UStG; Art. 63, 93 VAT
Directive for the other member states): the delivery date when the invoice
states one, else its date. The periods below are data, reviewed with each
release; a country's first period reaches back and its last forward without
end, so only the changes inside the table are dated.

Germany: 19 % and 7 %, and 16 % / 5 % from 2020-07-01 to 2020-12-31 only (Zweites
Corona-Steuerhilfegesetz, § 28 Abs. 1, 2 UStG). 0 % is always possible (§ 12
Abs. 3 UStG, and every tax-free sale).

The other member states: the European Commission's "VAT rates applied in the
Member States" and the national laws for the changes 2023–2026, checked against
public tax news in December 2026:

- Czechia: 15 % and 10 % merged into 12 % on 2024-01-01;
- Luxembourg: 16/13/7 % in 2023 only (temporary cut by one point), else 17/14/8/3 %;
- Estonia: 22 % from 2024-01-01 (was 20 %); 13 % for accommodation and press
  from 5 % to 9 % on 2025-01-01; 24 % from 2025-07-01;
- Finland: 25.5 % from 2024-09-01 (was 24 %); 14 % lowered to 13.5 % on 2026-01-01;
- Slovakia: 23 % and 19 % from 2025-01-01 (were 20 % and 10 %; 5 % stays);
- Romania: 21 % and a single reduced 11 % from 2025-08-01 (were 19 %, 9 %, 5 %;
  Law 141/2025);
- Lithuania: 9 % replaced by 12 % on 2026-01-01 (Law XV-287; 21 % and 5 % stay).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal

__all__ = ["RATE_PERIODS", "RatePeriod", "countries", "ever_rates", "rates_on"]


@dataclass(frozen=True)
class RatePeriod:
    """The rates of one country from ``start`` to ``end`` (both days included)."""

    country: str
    rates: frozenset[Decimal]
    start: dt.date | None = None
    end: dt.date | None = None

    def covers(self, day: dt.date) -> bool:
        return (self.start is None or self.start <= day) and (self.end is None or day <= self.end)


def _period(country: str, rates: str, start: str = "", end: str = "") -> RatePeriod:
    return RatePeriod(
        country,
        frozenset(Decimal(r) for r in rates.split()),
        dt.date.fromisoformat(start) if start else None,
        dt.date.fromisoformat(end) if end else None,
    )


#: Every country's rate periods; standard rate first in each, then the reduced ones.
RATE_PERIODS: tuple[RatePeriod, ...] = (
    _period("DE", "19 7", end="2020-06-30"),
    _period("DE", "16 5", "2020-07-01", "2020-12-31"),
    _period("DE", "19 7", "2021-01-01"),
    _period("AT", "20 13 10"),
    _period("BE", "21 12 6"),
    _period("BG", "20 9"),
    _period("CY", "19 9 5 3"),
    _period("CZ", "21 15 10", end="2023-12-31"),
    _period("CZ", "21 12", "2024-01-01"),
    _period("DK", "25"),
    _period("EE", "20 9 5", end="2023-12-31"),
    _period("EE", "22 9 5", "2024-01-01", "2024-12-31"),
    _period("EE", "22 13 9", "2025-01-01", "2025-06-30"),
    _period("EE", "24 13 9", "2025-07-01"),
    _period("ES", "21 10 4"),
    _period("FI", "24 14 10", end="2024-08-31"),
    _period("FI", "25.5 14 10", "2024-09-01", "2025-12-31"),
    _period("FI", "25.5 13.5 10", "2026-01-01"),
    _period("FR", "20 10 5.5 2.1"),
    _period("GR", "24 13 6"),
    _period("HR", "25 13 5"),
    _period("HU", "27 18 5"),
    _period("IE", "23 13.5 9 4.8"),
    _period("IT", "22 10 5 4"),
    _period("LT", "21 9 5", end="2025-12-31"),
    _period("LT", "21 12 5", "2026-01-01"),
    _period("LU", "17 14 8 3", end="2022-12-31"),
    _period("LU", "16 13 7 3", "2023-01-01", "2023-12-31"),
    _period("LU", "17 14 8 3", "2024-01-01"),
    _period("LV", "21 12 5"),
    _period("MT", "18 7 5"),
    _period("NL", "21 9"),
    _period("PL", "23 8 5"),
    _period("PT", "23 13 6"),
    _period("RO", "19 9 5", end="2025-07-31"),
    _period("RO", "21 11", "2025-08-01"),
    _period("SE", "25 12 6"),
    _period("SI", "22 9.5 5"),
    _period("SK", "20 10 5", end="2024-12-31"),
    _period("SK", "23 19 5", "2025-01-01"),
)

_BY_COUNTRY: dict[str, tuple[RatePeriod, ...]] = {}
for _p in RATE_PERIODS:
    _BY_COUNTRY[_p.country] = (*_BY_COUNTRY.get(_p.country, ()), _p)


def countries() -> frozenset[str]:
    return frozenset(_BY_COUNTRY)


def rates_on(country: str, day: dt.date) -> frozenset[Decimal]:
    """The rates ``country`` charges on ``day`` (without 0 %); empty for a country
    outside the table."""
    found: frozenset[Decimal] = frozenset()
    for period in _BY_COUNTRY.get(country.upper(), ()):
        if period.covers(day):
            found |= period.rates
    return found


def ever_rates(country: str) -> frozenset[Decimal]:
    """Every rate the table knows for ``country``, on any day."""
    return frozenset().union(*(p.rates for p in _BY_COUNTRY.get(country.upper(), ())))
