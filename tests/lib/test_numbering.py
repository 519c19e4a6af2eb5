from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from belegsync.lib.numbering import Gap, gaps


def test_it_finds_the_numbers_missing_in_a_sequence():
    numbers = ["RE-2026-1001", "RE-2026-1002", "RE-2026-1005", "RE-2026-1007"]
    assert gaps(numbers) == [
        Gap("RE-2026-1003", "RE-2026-1004", 2),
        Gap("RE-2026-1006", "RE-2026-1006", 1),
    ]
    assert str(gaps(numbers)[0]) == "RE-2026-1003 … RE-2026-1004 (2)"


def test_sequences_with_other_prefixes_or_widths_are_apart():
    assert gaps(["A-1", "B-3", "A-2", "B-4", "0007", "7", "0009"]) == [Gap("0008", "0008", 1)]


def test_numbers_without_a_number_say_nothing():
    assert gaps(["ABC", "X", ""]) == []


@given(st.sets(st.integers(min_value=1, max_value=500), min_size=1))
def test_the_gaps_are_exactly_the_missing_numbers(present):
    numbers = [f"RE-{n:04d}" for n in present]
    missing = set(range(min(present), max(present) + 1)) - present
    reported = gaps(numbers, at_most=1000)
    assert sum(g.count for g in reported) == len(missing)
    for gap in reported:
        first, last = int(gap.first[3:]), int(gap.last[3:])
        assert set(range(first, last + 1)) <= missing


def test_numbers_seen_elsewhere_fill_gaps_but_make_no_sequence_of_their_own():
    booked = ["RE-1", "RE-4"]
    skipped = ["RE-2", "B-00000", "B-00007"]
    assert gaps(booked, also_seen=skipped) == [Gap("RE-3", "RE-3", 1)]
