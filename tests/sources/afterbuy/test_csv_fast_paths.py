"""The reader's shortcuts give what the general way gives, for any cell.

Each oracle below is the code as it stood before its shortcut (main at 543436b).
The cells are any text hypothesis draws, and texts made of the characters of an
amount (digits of any script, signs, separators, spaces, the euro sign): the
oracle and the shortcut must give the same value, exactly (sign, digits and
exponent). Bounded by ``BELEGSYNC_FUZZ_CASES`` (default 8, x 100 here).
"""

from __future__ import annotations

import os
from decimal import Decimal, InvalidOperation

from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from belegsync.sources.afterbuy.csv import _NUMBER, _amount_of, _cleaned_amount

CASES = int(os.environ.get("BELEGSYNC_FUZZ_CASES", "8")) * 100
BOUNDED = settings(max_examples=CASES, deadline=None, suppress_health_check=[HealthCheck.too_slow])

#: Texts that look like amounts, and some that nearly do.
AMOUNT_CHARACTERS = st.sampled_from("0123456789,.-+ €\u00a0\u0663\u00b2\uff11e\n")
AMOUNTISH = st.text(AMOUNT_CHARACTERS, max_size=12)
CELLS = st.one_of(
    st.text(),
    AMOUNTISH,
    st.integers(0, 10**12).map(lambda n: f"{n // 100},{n % 100:02d}"),
    st.tuples(
        st.text(AMOUNT_CHARACTERS, max_size=2), st.integers(0, 10**6), st.text(max_size=2)
    ).map(lambda t: f"{t[0]}{t[1]},{t[1] % 100:02d}{t[2]}"),
)


def amount_of_before(cell: str) -> Decimal | None:
    value = _cleaned_amount(cell)
    if _NUMBER.match(value):
        try:
            return Decimal(value.replace(".", "").replace(",", "."))
        except InvalidOperation:
            pass
    return None


def _exactly(amount: Decimal | None) -> object:
    return None if amount is None else amount.as_tuple()


@BOUNDED
@given(CELLS)
@example("125,77")
@example("0,00")
@example("00,50")
@example(",50")
@example("12,5")
@example("-12,00")
@example("1.234,56")
@example(" 12,00 ")
@example("\u0661\u0662,\u0663\u0664")  # Arabic-Indic digits: a number to the pattern too
@example("\u00b9\u00b2,00")  # superscripts: digits to str.isdigit, no number
@example("12,00\n")
def test_it_reads_an_amount_as_the_general_way_does(cell: str) -> None:
    _amount_of.cache_clear()
    assert _exactly(_amount_of(cell)) == _exactly(amount_of_before(cell))
    assert _exactly(_amount_of(cell)) == _exactly(amount_of_before(cell))  # cached
