"""Each target, by its own arithmetic, books exactly the voucher's tax and gross per rate.

For random valid vouchers (gross- and net-priced, sub-cent lines, shipping, fees,
discounts, credit notes, OSS at destination rates):

- lexoffice: the double's rules (its strictest reading, which recomputes every
  item's tax within a cent) accept the body, and its items sum per rate to the rate's
  tax and gross;
- sevDesk: the double derives each position's net and tax from its amount (half up);
  summed per rate they are the rate's figures;
- DATEV: the written EXTF file's bookings, with the tax DATEV derives from each
  booking's gross and account, sum per rate to the same figures.

The example count is bounded by ``BELEGSYNC_FUZZ_CASES`` (default 8, x 10 here).
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
import os
import tempfile
from decimal import Decimal
from pathlib import Path

from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from belegsync.bookkeeping import (
    Line,
    LineCategory,
    Party,
    PriceBasis,
    Voucher,
    VoucherKind,
    gross_from_net,
    rate_tax,
    round_cents,
    validate,
)
from belegsync.fakes.lexoffice.rules import Profile, Strictness, check_voucher
from belegsync.fakes.sevdesk.app import SevdeskFake
from belegsync.targets.datev import columns as col
from belegsync.targets.datev.extf import DatevSettings, DebtorMode, ExtfWriter
from belegsync.targets.datev.validator import split_fields
from belegsync.targets.lexoffice.mapping import MappingOptions, to_json, to_lexoffice
from belegsync.targets.sevdesk.mapping import save_voucher_body

D = Decimal
CASES = int(os.environ.get("BELEGSYNC_FUZZ_CASES", "8")) * 10
BOUNDED = settings(max_examples=CASES, deadline=None, suppress_health_check=[HealthCheck.too_slow])

DOMESTIC = (Party(name="Erika", country="DE"), (D(19), D(7), D(0)))
OSS_AT = (Party(name="Max", country="AT"), (D(20), D(13), D(10)))


@st.composite
def priced_line(draw: st.DrawFn, rate: Decimal, basis: PriceBasis, category: LineCategory) -> Line:
    """A line as a source gives it: the priced amount (maybe sub-cent), the other exact."""
    places = draw(st.sampled_from([2, 2, 3]))
    amount = D(draw(st.integers(1, 2_000_000))) / D(10) ** places
    if category is LineCategory.DISCOUNT:
        amount = -amount / 20
    factor = (100 + rate) / D(100)
    quantity = D(draw(st.integers(1, 5)))
    if basis is PriceBasis.GROSS:
        net = (
            (amount / factor).quantize(D("0.0001")) if places > 2 else round_cents(amount / factor)
        )
        return Line("x", quantity, net, amount, rate, category)
    gross = gross_from_net(amount, rate) if places == 2 else (amount * factor).quantize(D("0.0001"))
    return Line("x", quantity, amount, gross, rate, category)


@st.composite
def discount_line(draw: st.DrawFn, lines: list[Line], basis: PriceBasis) -> Line:
    """A discount at the first line's rate, up to (almost) all that the rate sells: often
    more than the rate's largest category, so lexoffice's positions must absorb it."""
    rate = lines[0].tax_rate
    sold = sum(
        (ln.gross if basis is PriceBasis.GROSS else ln.net for ln in lines if ln.tax_rate == rate),
        D(0),
    )
    share = D(draw(st.integers(1, 999))) / D(1000)
    amount = -round_cents(sold * share)
    assume(amount < 0)
    if basis is PriceBasis.GROSS:
        net = round_cents(amount * 100 / (100 + rate))
        return Line("Gutschein", D(-1), net, amount, rate, LineCategory.DISCOUNT)
    return Line(
        "Gutschein", D(-1), amount, gross_from_net(amount, rate), rate, LineCategory.DISCOUNT
    )


@st.composite
def valid_vouchers(draw: st.DrawFn, scenarios=(DOMESTIC, OSS_AT)) -> Voucher:
    party, rates = draw(st.sampled_from(scenarios))
    basis = draw(st.sampled_from(list(PriceBasis)))
    categories = [LineCategory.GOODS, LineCategory.SHIPPING, LineCategory.FEE]
    lines = [
        draw(priced_line(draw(st.sampled_from(rates)), basis, draw(st.sampled_from(categories))))
        for _ in range(draw(st.integers(1, 12)))
    ]
    if draw(st.booleans()):
        lines.append(draw(discount_line(lines, basis)))
    kind = draw(st.sampled_from(list(VoucherKind)))
    probe = Voucher(
        kind=kind,
        number="RE-1",
        invoice_date=dt.date(2026, 6, 3),
        lines=tuple(lines),
        total_net=D(0),
        total_gross=D(0),
        party=party,
        refers_to="RE-0" if kind is VoucherKind.CREDIT_NOTE else "",
        oss_registered=party.country != "DE",
        prices=basis,
    )
    groups = probe.tax_groups()
    assume(all(g.gross > 0 for g in groups))
    # a gross-priced source sums its rounded line nets; a net-priced one states the rule's gross
    stated_net = (
        sum((round_cents(ln.net) for ln in lines), D(0))
        if basis is PriceBasis.GROSS
        else sum((g.net for g in groups), D(0))
    )
    result = dataclasses.replace(
        probe, total_net=stated_net, total_gross=sum((g.gross for g in groups), D(0))
    )
    assume(not validate(result))
    return result


def per_rate(voucher: Voucher) -> dict[Decimal, tuple[Decimal, Decimal]]:
    return {g.rate: (g.tax, g.gross) for g in voucher.tax_groups()}


#: Shipping on its own category ("Einnahmen") as a merchant may set it: with fees there
#: too, a discount on the goods can exceed the goods while the rate stays positive.
OWN_SHIPPING_CATEGORY = {"shipping": "8f8664a1-fd86-11e1-a21f-0800200c9a66"}


@BOUNDED
@given(valid_vouchers(), st.booleans())
def test_lexoffice_books_each_rates_tax_and_gross(voucher: Voucher, own_shipping: bool):
    """Every valid voucher whose rates are positive is booked: a position a discount
    leaves negative is absorbed by its rate's others, and the double (no negative
    items, every item's tax within a cent) accepts the body."""
    options = MappingOptions(
        distance_sales_principle="DESTINATION",
        category_overrides=OWN_SHIPPING_CATEGORY if own_shipping else {},
    )
    body = json.loads(json.dumps(to_json(to_lexoffice(voucher, options))))
    strict = Strictness(check_item_tax=True)
    issues = check_voucher(
        body, contacts={}, profile=Profile("DESTINATION"), strict=strict, creating=True
    )
    assert issues == []
    assert all(D(str(item["amount"])) >= 0 for item in body["voucherItems"])
    booked: dict[Decimal, tuple[Decimal, Decimal]] = {}
    for item in body["voucherItems"]:
        rate, amount, tax = (D(str(item[k])) for k in ("taxRatePercent", "amount", "taxAmount"))
        gross = amount if body["taxType"] == "gross" else amount + tax
        old_tax, old_gross = booked.get(rate.normalize(), (D(0), D(0)))
        booked[rate.normalize()] = (old_tax + tax, old_gross + gross)
    assert booked == per_rate(voucher)


@BOUNDED
@given(valid_vouchers(scenarios=(DOMESTIC,)))
def test_sevdesk_derives_each_rates_tax_and_gross(voucher: Voucher):
    body = save_voucher_body(voucher)
    sign = -1 if voucher.is_credit_note else 1
    booked: dict[Decimal, tuple[Decimal, Decimal]] = {}
    for sent in body["voucherPosSave"]:
        amount = D(sent["sumNet"] if sent["net"] else sent["sumGross"])
        position = {"taxRate": D(sent["taxRate"]), "amount": amount, "net": sent["net"]}
        SevdeskFake.compute_position(position)  # the double's own arithmetic
        rate = position["taxRate"].normalize()
        old_tax, old_gross = booked.get(rate, (D(0), D(0)))
        booked[rate] = (
            old_tax + sign * position["sumTax"],
            old_gross + sign * position["sumGross"],
        )
    assert booked == per_rate(voucher)


#: DATEV's automatic revenue accounts and their rate (SKR03, reference §5); 0 % and OSS
#: are booked on accounts without automatic tax, OSS with its rate in field 41.
AUTOMATIC_RATES = {8400: D(19), 8300: D(7)}
ZERO_RATED = 8200


def datev_rows(voucher: Voucher) -> list[list[str]]:
    datev = DatevSettings(
        consultant_number=4711,
        client_number=1001,
        debtor_mode=DebtorMode.COLLECTIVE,
        revenue_accounts={"domestic:0": ZERO_RATED},
        oss_tax_key="240",
        book_payments=False,
    )
    with tempfile.TemporaryDirectory() as folder:
        writer = ExtfWriter(datev, Path(folder), created_at=dt.datetime(2026, 7, 1, tzinfo=dt.UTC))
        writer.add(voucher)
        [written] = writer.finish()
        text = written.path.read_bytes().decode("cp1252")
    return [[f.value for f in split_fields(row)] for row in text.split("\r\n")[2:] if row]


@BOUNDED
@given(valid_vouchers())
def test_datev_bookings_sum_per_rate_to_the_vouchers_figures(voucher: Voucher):
    booked: dict[Decimal, tuple[Decimal, Decimal]] = {}
    credit_side = "H" if not voucher.is_credit_note else "S"
    for row in datev_rows(voucher):
        amount = D(row[col.UMSATZ].replace(",", "."))
        if row[col.SOLL_HABEN] == credit_side:
            amount = -amount  # a rate made negative by a discount
        account = int(row[col.GEGENKONTO])
        if row[col.EU_STEUERSATZ]:
            rate = D(row[col.EU_STEUERSATZ].replace(",", ".")).normalize()
        else:
            rate = AUTOMATIC_RATES.get(account, D(0) if account == ZERO_RATED else None)
        assert rate is not None, f"account {account} has no known rate"
        # DATEV's arithmetic: the tax contained in the gross, half up
        tax = rate_tax(amount, rate, PriceBasis.GROSS)
        old_tax, old_gross = booked.get(rate, (D(0), D(0)))
        booked[rate] = (old_tax + tax, old_gross + amount)
    assert booked == per_rate(voucher)


@st.composite
def foreign_vouchers(draw: st.DrawFn) -> Voucher:
    """A valid domestic voucher in a currency with cents, with the shop's rate per euro."""
    voucher = draw(valid_vouchers(scenarios=(DOMESTIC,)))
    rate = D(draw(st.integers(5_000, 2_000_000))) / D(10_000)  # 0.5 … 200 per euro
    currency = draw(st.sampled_from(["CHF", "USD", "GBP", "PLN"]))
    foreign = dataclasses.replace(voucher, currency=currency, exchange_rate=rate)
    from belegsync.bookkeeping.currency import in_euros

    # a rate worth less than a cent in euros is a zero booking, which DATEV refuses
    assume(all(g.gross > 0 for g in in_euros(foreign).tax_groups()))
    return foreign


@BOUNDED
@given(foreign_vouchers())
def test_a_foreign_invoice_is_booked_in_euros_one_rounding_per_rate(voucher: Voucher):
    """Each rate's euro total is its total in the invoice's currency divided by the rate,
    rounded once; lexoffice's double accepts the euro body, and DATEV's bookings (the
    Basis-Umsatz where the currency fields are written) sum per rate to it."""
    from belegsync.bookkeeping.amounts import group_total
    from belegsync.bookkeeping.currency import in_euros

    euros = in_euros(voucher)
    assert validate(euros) == []
    rate = voucher.exchange_rate
    assert rate is not None
    expected = {
        g.rate: round_cents(group_total(g, voucher.prices) / rate) for g in voucher.tax_groups()
    }
    assert {g.rate: group_total(g, euros.prices) for g in euros.tax_groups()} == expected
    body = json.loads(json.dumps(to_json(to_lexoffice(voucher, MappingOptions()))))
    issues = check_voucher(
        body,
        contacts={},
        profile=Profile("DESTINATION"),
        strict=Strictness(check_item_tax=True),
        creating=True,
    )
    assert issues == []
    booked: dict[Decimal, Decimal] = {}
    credit_side = "H" if not voucher.is_credit_note else "S"
    for row in datev_rows(voucher):
        column = col.BASIS_UMSATZ if row[col.KURS] else col.UMSATZ
        amount = D(row[column].replace(",", "."))
        if row[col.SOLL_HABEN] == credit_side:
            amount = -amount
        account = int(row[col.GEGENKONTO])
        rate_of = AUTOMATIC_RATES.get(account, D(0))
        booked[rate_of] = booked.get(rate_of, D(0)) + amount
    assert booked == {g.rate: g.gross for g in euros.tax_groups()}
