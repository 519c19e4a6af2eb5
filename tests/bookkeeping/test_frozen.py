"""A class built by ``frozen.one_step_init`` is what its dataclass ``__init__`` built.

For every class that uses it, random arguments (any subset of the fields passed,
by position or by name) give an instance equal, field by field and in its
``__dict__``, to the one the dataclass's own ``__init__`` makes; the two
``__init__`` take the same parameters; the instance stays frozen. The number of
cases is bounded by ``BELEGSYNC_FUZZ_CASES`` (default 8, x 40 here).
"""

from __future__ import annotations

import dataclasses
import inspect
import os
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from belegsync.bookkeeping.amounts import Position, TaxGroup
from belegsync.bookkeeping.frozen import once, one_step_init
from belegsync.bookkeeping.validation import Problem
from belegsync.bookkeeping.voucher import Line, Original, Party, Payment, Voucher
from belegsync.connectors.base import RejectedRow, SourceDocument

CASES = int(os.environ.get("BELEGSYNC_FUZZ_CASES", "8")) * 40
BOUNDED = settings(max_examples=CASES, deadline=None, suppress_health_check=[HealthCheck.too_slow])

CLASSES = [Party, Line, Payment, Original, Voucher, TaxGroup, Position, Problem]
CLASSES += [SourceDocument, RejectedRow]

#: Field values need not fit the field's type: ``__init__`` stores, it does not check.
VALUES = st.one_of(
    st.none(),
    st.integers(),
    st.text(max_size=5),
    st.decimals(allow_nan=False),
    st.dictionaries(st.text(max_size=3), st.integers(), max_size=2),
    st.tuples(st.integers()),
)


def _dataclass_built(cls: type, args: tuple[Any, ...], kwargs: dict[str, Any]) -> Any:
    instance = object.__new__(cls)
    cls.__dataclass_init__(instance, *args, **kwargs)  # type: ignore[attr-defined]
    return instance


@st.composite
def calls(draw: st.DrawFn) -> tuple[type, tuple[Any, ...], dict[str, Any]]:
    cls = draw(st.sampled_from(CLASSES))
    fields = dataclasses.fields(cls)
    by_position = draw(st.integers(0, len(fields)))
    args = tuple(draw(VALUES) for _ in fields[:by_position])
    kwargs = {
        f.name: draw(VALUES)
        for f in fields[by_position:]
        if f.default is f.default_factory is dataclasses.MISSING or draw(st.booleans())
    }
    return cls, args, kwargs


@BOUNDED
@given(calls())
def test_it_builds_what_the_dataclass_init_builds(
    call: tuple[type, tuple[Any, ...], dict[str, Any]],
) -> None:
    cls, args, kwargs = call
    built = cls(*args, **kwargs)
    expected = _dataclass_built(cls, args, kwargs)
    assert built.__dict__ == expected.__dict__
    assert [type(v) for v in built.__dict__.values()] == [
        type(v) for v in expected.__dict__.values()
    ]
    assert list(built.__dict__) == [f.name for f in dataclasses.fields(cls)]
    assert repr(built) == repr(expected)


@pytest.mark.parametrize("cls", CLASSES)
def test_it_takes_the_dataclass_init_parameters(cls: type) -> None:
    ours = inspect.signature(cls.__init__).parameters
    theirs = inspect.signature(cls.__dataclass_init__).parameters  # type: ignore[attr-defined]
    assert [(p.name, p.kind) for p in ours.values()] == [(p.name, p.kind) for p in theirs.values()]
    for name, parameter in ours.items():
        field = cls.__dataclass_fields__.get(name)
        if field is not None and field.default is not dataclasses.MISSING:
            assert parameter.default is field.default


def test_it_gives_each_instance_a_fresh_factory_default() -> None:
    first, second = Party(), Voucher(None, "1", None, (), 0, 0)  # type: ignore[arg-type]
    other = Voucher(None, "2", None, (), 0, 0)  # type: ignore[arg-type]
    assert first == Party()
    assert second.source_refs == {} and second.source_refs is not other.source_refs
    assert second.party == Party() and second.party is not other.party


def test_it_refuses_missing_and_unknown_arguments_as_the_dataclass_does() -> None:
    with pytest.raises(TypeError):
        Line("x")  # type: ignore[call-arg]
    with pytest.raises(TypeError):
        Party(nickname="x")  # type: ignore[call-arg]
    with pytest.raises(TypeError):
        Party("a", name="b")  # type: ignore[misc]


def test_it_stays_frozen() -> None:
    party = Party(name="Erika")
    with pytest.raises(dataclasses.FrozenInstanceError):
        party.name = "Max"  # type: ignore[misc]
    assert dataclasses.replace(party, name="Max") == Party(name="Max")
    assert hash(party) == hash(Party(name="Erika"))


def test_it_refuses_a_class_it_cannot_build() -> None:
    @dataclasses.dataclass
    class Mutable:
        a: int

    @dataclasses.dataclass(frozen=True)
    class Checked:
        a: int

        def __post_init__(self) -> None:
            pass

    @dataclasses.dataclass(frozen=True)
    class Derived:
        a: int
        b: int = dataclasses.field(init=False, default=0)

    for cls in (Mutable, Checked, Derived):
        with pytest.raises(TypeError):
            one_step_init(cls)


def test_it_figures_a_once_value_on_first_read_and_keeps_it() -> None:
    calls = []

    @dataclasses.dataclass(frozen=True)
    class Sale:
        net: int

        @once
        def gross(self) -> int:
            """The net with 19 %."""
            calls.append(self.net)
            return self.net * 119 // 100

    sale = Sale(100)
    assert "gross" not in sale.__dict__
    assert sale.gross == 119 and sale.gross == 119
    assert calls == [100] and sale.__dict__["gross"] == 119
    assert isinstance(Sale.gross, once) and Sale.gross.__doc__ == "The net with 19 %."
    assert Voucher.tax_groups and isinstance(Voucher.__dict__["tax_treatment"], once)
