"""``validate`` finds exactly what it found before its speed work, problem for problem.

The oracle is ``validate`` of main at e9dd04a (``validation_e9dd04a.py``, frozen). The
vouchers are random and mostly wrong somewhere: any kind, currency (with minor units of
0, 2 and 3 places, malformed codes), exchange rate, buyer country and VAT id (valid,
invalid, of another country), company or private, small business and OSS, gross or
net prices, lines of every category with any sign, quantity and rate (rates of other
days: the German 16 % of 2020), sub-cent amounts, totals that add up or do not,
stated tax per rate, payments, delivery dates. Each is compared once with its totals
as the lines give them and once as drawn. The number of vouchers is bounded by
``BELEGSYNC_FUZZ_CASES`` (default 8, x 60 here).
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import os
from decimal import Decimal

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from belegsync.bookkeeping import (
    Line,
    LineCategory,
    Party,
    Payment,
    PriceBasis,
    Voucher,
    VoucherKind,
    validate,
)

from . import validation_e9dd04a as before

CASES = int(os.environ.get("BELEGSYNC_FUZZ_CASES", "8")) * 60
BOUNDED = settings(max_examples=CASES, deadline=None, suppress_health_check=[HealthCheck.too_slow])

D = Decimal
RATES = [D(r) for r in ("19", "7", "0", "16", "5", "20", "13", "10", "21", "5.5", "19.00", "-7")]
COUNTRIES = ["DE", "AT", "FR", "GR", "CY", "CH", "US", "de", "", "XX", "D"]
VAT_IDS = ["", "ATU13585627", "ATU12345678", "DE136695976", "FR40303265045", "EL094259216", "x"]
CURRENCIES = ["EUR", "EUR", "EUR", "USD", "JPY", "KWD", "CHF", "eur", "EU", ""]
DAYS = [dt.date(2020, 8, 1), dt.date(2021, 1, 1), dt.date(2025, 7, 1), dt.date(2026, 3, 2)]


def amounts(places: int = 4) -> st.SearchStrategy[Decimal]:
    return st.integers(-5_000_000, 50_000_000).map(lambda n: D(n).scaleb(-places)) | (
        st.sampled_from([D(0), D("0.00"), D("-0.01"), D("0.005"), D("119.00"), D("100")])
    )


def mostly(good: st.SearchStrategy, bad: st.SearchStrategy) -> st.SearchStrategy:  # type: ignore[type-arg]
    """``good`` nine times in ten: most vouchers are wrong in one place or none."""
    return st.sampled_from([True] * 9 + [False]).flatmap(lambda ok: good if ok else bad)


#: (buyer, rates a sale to them carries, OSS registered): the tax cases, and wrong ones.
SCENARIOS = [
    (Party(name="Erika", country="DE"), [D(19), D(7), D(0)], False),
    (Party(name="Max", country="AT"), [D(20), D(13), D(10)], True),
    (Party(company="Beispiel GmbH", country="AT", vat_id="ATU13585627"), [D(0)], False),
    (Party(company="Beispiel GmbH", country="AT", vat_id="ATU12345678"), [D(0)], False),
    (Party(company="Beispiel GmbH", country="AT"), [D(0)], False),
    (Party(company="Exemple SA", country="AT", vat_id="FR40303265045"), [D(0)], False),
    (Party(name="Jean", country="FR"), [D(19), D(7)], False),
    (Party(name="Eleni", country="GR", vat_id="EL094259216"), [D(0), D(24)], False),
    (Party(name="Hans", country="CH"), [D(0)], False),
    (Party(name="Nobody", country="de"), [D(19)], False),
]


@st.composite
def lines(draw: st.DrawFn, rates: list[Decimal]) -> Line:
    rate = draw(mostly(st.sampled_from(rates), st.sampled_from(RATES)))
    category = draw(st.sampled_from(list(LineCategory)))
    sign = -1 if category is LineCategory.DISCOUNT else 1
    places = draw(st.sampled_from([2, 2, 2, 3, 4]))
    net = draw(
        mostly(st.integers(1, 500_000).map(lambda n: sign * D(n).scaleb(-places)), amounts())
    )
    gross = draw(
        mostly(
            st.sampled_from(["0.01", "0.0001"]).map(
                lambda unit: (net * (100 + rate) / 100).quantize(D(unit))
            ),
            amounts(2),
        )
    )
    quantity = draw(
        mostly(
            st.sampled_from([D(1), D(2), D(3), D(7)]).map(lambda q: sign * q),
            st.sampled_from([D(-1), D(0), D("0.5")]),
        )
    )
    return Line("x", quantity, net, gross, rate, category)


@st.composite
def vouchers(draw: st.DrawFn) -> Voucher:
    party, rates, oss = draw(st.sampled_from(SCENARIOS))
    day = draw(mostly(st.just(DAYS[-1]), st.sampled_from(DAYS)))
    return Voucher(
        kind=draw(st.sampled_from(list(VoucherKind))),
        number=draw(mostly(st.just("RE-1"), st.sampled_from(["", "  "]))),
        invoice_date=day,
        lines=tuple(
            draw(st.lists(lines(rates), min_size=draw(mostly(st.just(1), st.just(0))), max_size=5))
        ),
        total_net=draw(amounts(2)),
        total_gross=draw(mostly(amounts(2), amounts(3))),
        currency=draw(mostly(st.just("EUR"), st.sampled_from(CURRENCIES))),
        party=draw(
            mostly(
                st.just(party),
                st.builds(
                    Party,
                    name=st.just("Erika"),
                    company=st.sampled_from(["", "", "Beispiel GmbH", " "]),
                    country=st.sampled_from(COUNTRIES),
                    vat_id=st.sampled_from(VAT_IDS),
                ),
            )
        ),
        payments=tuple(
            Payment("bank", draw(mostly(amounts(2), amounts(3))))
            for _ in range(draw(st.integers(0, 2)))
        ),
        delivery_date=draw(st.sampled_from([None, None, *DAYS])),
        small_business=draw(mostly(st.just(False), st.just(True))),
        oss_registered=draw(mostly(st.just(oss), st.booleans())),
        prices=draw(st.sampled_from(list(PriceBasis))),
        stated_tax={
            draw(st.sampled_from(RATES)): draw(amounts(2))
            for _ in range(draw(mostly(st.just(0), st.integers(1, 2))))
        },
        exchange_rate=draw(
            mostly(st.just(None), st.sampled_from([D("1.0834"), D(0), D(-1), D("160.5")]))
        ),
    )


def adding_up(voucher: Voucher) -> Voucher:
    """The voucher with the totals its rates give (and their tax stated), so that the
    checks behind the totals' are reached."""
    groups = voucher.tax_groups()
    return dataclasses.replace(
        voucher,
        total_net=sum((g.net for g in groups), D(0)),
        total_gross=sum((g.gross for g in groups), D(0)),
        stated_tax={g.rate: g.tax for g in groups} if voucher.stated_tax else {},
    )


def found(problems: list) -> list[tuple[str, str, str, dict[str, object]]]:  # type: ignore[type-arg]
    return [(p.field, p.code, p.message, dict(p.params)) for p in problems]


@BOUNDED
@given(vouchers())
def test_it_finds_in_every_voucher_what_it_found_before(voucher: Voucher) -> None:
    for each in (voucher, adding_up(voucher)):
        # a fresh voucher for each: its treatment and tax groups are cached on it
        assert found(validate(dataclasses.replace(each))) == found(
            before.validate(dataclasses.replace(each))
        )
