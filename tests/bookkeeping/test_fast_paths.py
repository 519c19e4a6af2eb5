"""The shortcuts in money, amounts and serialization give what the general rule gives,
for any Decimal (and any date).

Each oracle below is the code as it stood before its shortcut (main at cacbb86):
rounding with ``rounding=`` by keyword, ``format_rate`` figured every time, and
``_money`` rounding every amount; (main at 543436b) ``rate_key`` figured every
time, and a date's text made every time; and (main at 3103e7d) the tax groups
summed from a list of amounts per rate. The decimals are any finite ones
hypothesis draws (any exponent and size, so scientific notation and more digits
than the context's precision too), signed zeros, and the amounts a voucher holds;
the oracle and the shortcut must return the same text, or raise the same
exception. Bounded by ``BELEGSYNC_FUZZ_CASES`` (default 8, x 100 here).
"""

from __future__ import annotations

import datetime as dt
import os
from decimal import ROUND_HALF_UP, Decimal

from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from belegsync.bookkeeping import amounts, money
from belegsync.bookkeeping.amounts import PriceBasis, TaxGroup, group_of, rate_key, tax_groups
from belegsync.bookkeeping.money import CENT, ZERO, format_rate, round_cents, round_to
from belegsync.bookkeeping.plausibility import check_dates
from belegsync.bookkeeping.serialization import _date, _money
from belegsync.bookkeeping.validation import Problem
from belegsync.bookkeeping.voucher import Line, LineCategory, Voucher, VoucherKind

CASES = int(os.environ.get("BELEGSYNC_FUZZ_CASES", "8")) * 100
BOUNDED = settings(max_examples=CASES, deadline=None, suppress_health_check=[HealthCheck.too_slow])

D = Decimal
UNITS = [CENT, D(1), D("0.001"), D("0.010"), D("0.1")]
#: Any Decimal, and those of a voucher: cents, sub-cents, signed zeros, rates.
DECIMALS = st.one_of(
    st.decimals(allow_nan=False, allow_infinity=False),
    st.decimals(allow_nan=False, allow_infinity=False, places=2),
    st.integers(-(10**30), 10**30).map(lambda n: D(n).scaleb(-2)),
    st.integers(-(10**8), 10**8).flatmap(
        lambda n: st.integers(-8, 3).map(lambda e: D(n).scaleb(e))
    ),
    st.sampled_from(
        [D("0.00"), D("-0.00"), D("-0"), D("0"), D("19"), D("19.00"), D("5.50"), D("1E+1")]
    ),
)


def _outcome(function, *args):  # type: ignore[no-untyped-def]
    try:
        return "returned", str(function(*args))
    except Exception as error:  # the same exception is the point
        return "raised", type(error)


def money_before(amount: Decimal) -> str:
    cents = amount.quantize(CENT, rounding=ROUND_HALF_UP)
    return str(cents) if cents == amount else str(amount)


def format_rate_before(rate: Decimal) -> str:
    text = format(rate.normalize(), "f")
    return text.rstrip("0").rstrip(".") if "." in text else text


def round_to_before(amount: Decimal, unit: Decimal) -> Decimal:
    if unit == CENT:
        return amount.quantize(CENT, rounding=ROUND_HALF_UP)
    return amount.quantize(unit, rounding=ROUND_HALF_UP)


@BOUNDED
@given(DECIMALS)
@example(D("1234567890123456789012345678.90"))  # more digits than the precision: raises
@example(D("-0.00"))
@example(D("1.5E+3"))
def test_it_serialises_an_amount_as_rounding_it_would(amount: Decimal) -> None:
    assert _outcome(_money, amount) == _outcome(money_before, amount)


@BOUNDED
@given(DECIMALS)
@example(D("-0"))
@example(D("19.00"))
@example(D("2E+1"))
def test_it_formats_a_rate_as_figuring_it_would(rate: Decimal) -> None:
    assert _outcome(format_rate, rate) == _outcome(format_rate_before, rate)
    assert _outcome(format_rate, rate) == _outcome(format_rate_before, rate)  # cached


@BOUNDED
@given(DECIMALS, st.sampled_from(UNITS))
def test_it_rounds_as_rounding_by_keyword_does(amount: Decimal, unit: Decimal) -> None:
    expected = _outcome(round_to_before, amount, unit)
    assert _outcome(round_to, amount, unit) == expected
    if expected[0] == "returned":
        assert round_to(amount, unit).as_tuple() == round_to_before(amount, unit).as_tuple()
    assert _outcome(round_cents, amount) == _outcome(round_to_before, amount, CENT)


def rate_key_before(rate: Decimal) -> Decimal:
    if rate == rate.to_integral_value():
        return rate.quantize(D(1))
    return rate.normalize()


@BOUNDED
@given(DECIMALS)
@example(D("-0"))
@example(D("19.00"))
@example(D("2E+1"))
@example(D("5.50"))
def test_it_keys_a_rate_as_figuring_it_would(rate: Decimal) -> None:
    expected = _outcome(rate_key_before, rate)
    for _ in range(2):  # figured, then cached
        assert _outcome(rate_key, rate) == expected
        if expected[0] == "returned":
            assert rate_key(rate).as_tuple() == rate_key_before(rate).as_tuple()


def date_before(value: dt.date | None) -> str | None:
    return value.isoformat() if value else None


@BOUNDED
@given(
    st.one_of(
        st.none(),
        st.dates(),
        st.datetimes(),
        st.datetimes(timezones=st.timezones()),
        st.datetimes().map(dt.datetime.date),
    )
)
@example(dt.datetime(2024, 1, 1))  # noqa: DTZ001 - naive: equal to no date, its text not a date's
@example(dt.date(2024, 1, 1))
def test_it_writes_a_date_as_isoformat_does(value: dt.date | None) -> None:
    for _ in range(2):  # made, then cached
        assert _date(value) == date_before(value)


def test_it_writes_equal_datetimes_of_two_time_zones_each_its_own_way() -> None:
    utc = dt.datetime(2024, 1, 1, 11, tzinfo=dt.UTC)
    berlin = dt.datetime(2024, 1, 1, 12, tzinfo=dt.timezone(dt.timedelta(hours=1)))
    assert utc == berlin
    assert (_date(utc), _date(berlin)) == (utc.isoformat(), berlin.isoformat())


def test_it_caches_rates_by_their_exact_text() -> None:
    assert format_rate(D("-0")) == "-0"
    assert format_rate(D("0")) == "0"
    assert format_rate(D("19.00")) == format_rate(D("19")) == "19"
    assert money._formatted_rate.cache_info().maxsize == 1024
    assert rate_key(D("-0")).as_tuple() == D("-0").as_tuple()
    assert rate_key(D("0")).as_tuple() == D("0").as_tuple()
    assert amounts._rate_key.cache_info().maxsize == 1024


def test_the_serialised_enum_values_are_their_value() -> None:
    for member in [*VoucherKind, *LineCategory]:
        assert member._value_ is member.value


def tax_groups_before(
    lines: list[Line], basis: PriceBasis, unit: Decimal = CENT
) -> tuple[TaxGroup, ...]:
    totals: dict[Decimal, list[Decimal]] = {}
    for line in lines:
        priced = line.gross if basis is PriceBasis.GROSS else line.net
        totals.setdefault(rate_key(line.tax_rate), []).append(priced)
    return tuple(
        group_of(rate, sum(amounts, ZERO), len(amounts), basis, unit)
        for rate, amounts in sorted(totals.items(), reverse=True)
    )


def _groups_exactly(groups: object) -> object:
    if not isinstance(groups, tuple):
        return groups
    return [(g.rate.as_tuple(), g.net.as_tuple(), g.gross.as_tuple(), g.lines) for g in groups]


#: Rates as sources write them: equal ones in other spellings, signed zeros.
LINE_RATES = st.sampled_from([D(19), D("19.00"), D(7), D("7.0"), D(0), D("-0"), D("5.50"), D(20)])
LINE_AMOUNTS = st.one_of(
    st.integers(-(10**7), 10**7).map(lambda n: D(n).scaleb(-2)),
    st.integers(-(10**7), 10**7).flatmap(
        lambda n: st.integers(-6, 1).map(lambda e: D(n).scaleb(e))
    ),
    st.sampled_from([D("0.00"), D("-0.00"), D("0.005"), D("-0.005"), D("1E+30")]),
)
LINES = st.lists(
    st.builds(
        lambda rate, net, gross: Line("x", D(1), net, gross, rate),
        LINE_RATES,
        LINE_AMOUNTS,
        LINE_AMOUNTS,
    ),
    max_size=6,
)


@BOUNDED
@given(LINES, st.sampled_from(list(PriceBasis)), st.sampled_from(UNITS))
def test_it_groups_lines_by_rate_as_summing_lists_did(
    lines: list[Line], basis: PriceBasis, unit: Decimal
) -> None:
    expected = _outcome(tax_groups_before, lines, basis, unit)
    found = _outcome(tax_groups, lines, basis, unit)
    assert found == expected
    if expected[0] == "returned":
        assert _groups_exactly(tax_groups(lines, basis, unit)) == _groups_exactly(
            tax_groups_before(lines, basis, unit)
        )


def check_dates_before(voucher: Voucher, *, today: dt.date, future_days: int) -> list[Problem]:
    latest = today + dt.timedelta(days=future_days)
    if voucher.invoice_date <= latest:
        return []
    return [
        Problem(
            "invoice_date",
            "invoice_date_in_future",
            f"The invoice is dated {voucher.invoice_date.isoformat()}, more than "
            f"{future_days} days after today ({today.isoformat()}): check the invoice date.",
            {"invoice_date": voucher.invoice_date, "latest_date": latest, "days": future_days},
        )
    ]


@BOUNDED
@given(
    st.one_of(st.dates(max_value=dt.date(9000, 1, 1)), st.datetimes(timezones=st.timezones())),
    st.integers(0, 400),
    st.one_of(st.dates(), st.datetimes(timezones=st.timezones())),
)
def test_it_checks_dates_against_the_day_figured_each_time(
    today: dt.date, future_days: int, invoice_date: dt.date
) -> None:
    voucher = Voucher(VoucherKind.INVOICE, "1", invoice_date, (), ZERO, ZERO)
    expected = _outcome(
        lambda v: check_dates_before(v, today=today, future_days=future_days), voucher
    )
    for _ in range(2):  # figured, then cached
        found = _outcome(lambda v: check_dates(v, today=today, future_days=future_days), voucher)
        assert found == expected
        if expected[0] == "returned":
            [params] = [
                p.params for p in check_dates(voucher, today=today, future_days=future_days)
            ] or [{}]
            assert {k: (v, type(v)) for k, v in params.items()} == {
                k: (v, type(v))
                for p in check_dates_before(voucher, today=today, future_days=future_days)
                for k, v in p.params.items()
            }
