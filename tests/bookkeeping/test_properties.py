"""Invariants of money, rounding and validation over random vouchers (hypothesis)."""

from __future__ import annotations

from decimal import Decimal

from hypothesis import given
from hypothesis import strategies as st

from belegsync.bookkeeping import (
    CENT,
    Line,
    LineCategory,
    PriceBasis,
    gross_from_net,
    net_from_gross,
    rate_tax,
    round_cents,
    validate,
    voucher_from_dict,
    voucher_to_dict,
)
from belegsync.bookkeeping.validation import rounding_allowance
from tests.conftest import make_voucher

cents = st.integers(min_value=0, max_value=10_000_000).map(lambda c: Decimal(c) / 100)
rates = st.sampled_from([Decimal(19), Decimal(7), Decimal(0)])
quantities = st.integers(min_value=1, max_value=50).map(Decimal)


@st.composite
def lines(draw) -> Line:
    net = draw(cents)
    rate = draw(rates)
    category = draw(st.sampled_from([LineCategory.GOODS, LineCategory.SHIPPING, LineCategory.FEE]))
    return Line("item", draw(quantities), net, gross_from_net(net, rate), rate, category)


@st.composite
def valid_vouchers(draw):
    items = tuple(draw(st.lists(lines(), min_size=1, max_size=12)))
    return make_voucher(
        lines=items,
        total_net=sum((ln.net for ln in items), Decimal(0)),
        total_gross=sum((ln.gross for ln in items), Decimal(0)),
        payments=(),
    )


@given(st.decimals(min_value=-(10**9), max_value=10**9, places=6))
def test_rounding_is_to_cents_and_half_up(amount: Decimal):
    rounded = round_cents(amount)
    assert rounded == rounded.quantize(CENT)
    assert abs(rounded - amount) <= Decimal("0.005")
    if abs(rounded - amount) == Decimal("0.005"):
        assert abs(rounded) > abs(amount)  # ties go away from zero


@given(cents, rates)
def test_net_survives_a_round_trip_through_gross(net: Decimal, rate: Decimal):
    # gross = round(net × (1+r)); back to net lands within a cent of where it started
    assert abs(net_from_gross(gross_from_net(net, rate), rate) - net) <= CENT


@given(valid_vouchers())
def test_vouchers_built_from_consistent_lines_validate(voucher):
    assert validate(voucher) == []


@given(valid_vouchers())
def test_tax_groups_add_up_to_the_totals(voucher):
    """Gross-priced: the gross is the lines' sum; the net is the rule's, within what the
    lines' own rounding explains of the stated (line-summed) net."""
    groups = voucher.tax_groups()
    assert sum(g.gross for g in groups) == voucher.total_gross
    drift = abs(sum(g.net for g in groups) - voucher.total_net)
    assert drift <= rounding_allowance(list(voucher.lines))
    assert all(g.tax == rate_tax(g.gross, g.rate, PriceBasis.GROSS) for g in groups)
    assert len({g.rate for g in groups}) == len(groups)


@given(valid_vouchers(), st.integers(min_value=1, max_value=500).map(lambda c: Decimal(c) / 100))
def test_any_change_of_the_stated_total_is_caught(voucher, delta: Decimal):
    tampered = make_voucher(
        lines=voucher.lines,
        total_net=voucher.total_net,
        total_gross=voucher.total_gross + delta,
        payments=(),
    )
    assert any(p.code == "total_mismatch" for p in validate(tampered))


@given(valid_vouchers())
def test_serialisation_round_trips(voucher):
    assert voucher_from_dict(voucher_to_dict(voucher)) == voucher


@given(valid_vouchers(), st.integers(min_value=0, max_value=3))
def test_the_stored_form_does_not_depend_on_how_a_source_wrote_its_numbers(voucher, zeros):
    """CSV says "0.00" and "19.0", the API "0" and "19": the same voucher, the same data."""
    padded = make_voucher(
        lines=tuple(
            Line(
                ln.description,
                ln.quantity,
                ln.net,
                ln.gross,
                ln.tax_rate.quantize(Decimal(1).scaleb(-zeros)),
                ln.category,
            )
            for ln in voucher.lines
        ),
        total_net=voucher.total_net,
        total_gross=voucher.total_gross,
        payments=(),
    )
    assert voucher_to_dict(padded) == voucher_to_dict(voucher)
