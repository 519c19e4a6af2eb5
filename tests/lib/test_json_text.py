"""``json_text.dumps`` writes the JSON ``json.dumps`` writes, for any JSON value.

The values are any that hypothesis draws of what ``json.dumps`` takes: nested lists
and dicts (keys of every kind it converts: text, numbers, booleans, None), text of
any characters (surrogates too), integers past 64 bits, floats (a NaN and the
infinities, which no JSON holds, are null); and the voucher and meta of an import.
``json.loads`` reads back from its text what it reads from ``json.dumps``'s. What
``json.dumps`` refuses (a ``Decimal``, a set, a date, a key of another kind) it refuses
with the same error. Bounded by ``BELEGSYNC_FUZZ_CASES`` (default 8, x 100 here).
"""

from __future__ import annotations

import datetime as dt
import json
import math
import os
from decimal import Decimal

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from belegsync.lib.json_text import dumps

CASES = int(os.environ.get("BELEGSYNC_FUZZ_CASES", "8")) * 100
BOUNDED = settings(max_examples=CASES, deadline=None, suppress_health_check=[HealthCheck.too_slow])

SCALARS = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(),
    st.integers(-(2**70), 2**70),
    st.floats(),
    st.text(),
    st.text(st.characters(codec="utf-8")),
    st.text(st.characters(min_codepoint=0xD800, max_codepoint=0xDFFF)),
)
KEYS = st.one_of(st.text(), st.integers(), st.floats(), st.booleans(), st.none())
VALUES = st.recursive(
    SCALARS,
    lambda inner: st.one_of(
        st.lists(inner, max_size=5),
        st.tuples(inner, inner),
        st.dictionaries(KEYS, inner, max_size=5),
    ),
    max_leaves=30,
)


def _outcome(function, value):  # type: ignore[no-untyped-def]
    try:
        return "returned", json.loads(function(value), parse_constant=lambda _: None)
    except Exception as error:  # the same kind of exception is the point
        return "raised", type(error) if type(error) is not ValueError else TypeError


def _nulled(value):  # type: ignore[no-untyped-def]
    """``value`` with a NaN or an infinity as None, as dumps writes them."""
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if isinstance(value, (list, tuple)):
        return [_nulled(item) for item in value]
    if isinstance(value, dict):
        return {key: _nulled(item) for key, item in value.items()}
    return value


@BOUNDED
@given(VALUES)
@example({"source": "afterbuy_csv", "line": 2, "order_id": "500001", "platform": "Amazon"})
@example({"party": {"name": "Ömer Weiß", "company": 'Café "Ährenfeld" OHG'}, "lines": []})
@example("text alone")
@example(float("nan"))
def test_it_writes_the_json_json_dumps_writes(value: object) -> None:
    assert _outcome(dumps, value) == _outcome(json.dumps, _nulled(value))


def test_it_writes_compact_utf_8_text() -> None:
    assert dumps({"name": "Ömer", "lines": [1, "2"]}) == '{"name":"Ömer","lines":[1,"2"]}'


@pytest.mark.parametrize(
    "value",
    [
        Decimal("1.00"),
        {"amount": Decimal("1.00")},
        [{1, 2}],
        {(1, 2): "a tuple key"},
        b"bytes",
        {"day": dt.date(2026, 12, 1)},
        [dt.datetime(2026, 12, 1, tzinfo=dt.UTC)],
    ],
)
def test_it_refuses_what_json_dumps_refuses(value: object) -> None:
    expected = _outcome(json.dumps, value)
    assert expected[0] == "raised"
    assert _outcome(dumps, value) == expected


def test_it_can_be_called_again_after_a_refusal() -> None:
    with pytest.raises(TypeError):
        dumps({"a": [{"b": Decimal(1)}]})
    shared = [1]
    assert dumps({"a": shared, "b": shared}) == '{"a":[1],"b":[1]}'
