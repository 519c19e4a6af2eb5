from __future__ import annotations

import os
import sqlite3

from hypothesis import given, settings
from hypothesis import strategies as st

from belegsync.connectors.first_seen import FirstSeen


def test_it_keeps_the_first_line_of_every_key_past_its_memory_limit() -> None:
    with FirstSeen(recent=7) as seen:
        for line in range(1, 101):
            key = f"RE-{line}"
            assert seen.first(key) is None
            seen.add(key, line)
        # the early keys were spilled to the temporary file, the last ones are in memory
        assert len(seen._recent) < 7
        assert [seen.first(f"RE-{line}") for line in (1, 50, 100)] == [1, 50, 100]
        assert seen.first("RE-101") is None


def test_it_forgets_everything_when_closed() -> None:
    seen = FirstSeen(recent=2)
    for line in range(5):
        seen.add(str(line), line)
    seen.close()
    assert seen.first("0") is None


@settings(max_examples=int(os.environ.get("BELEGSYNC_FUZZ_CASES", "8")) * 25, deadline=None)
@given(
    st.integers(1, 6),
    st.lists(st.tuples(st.booleans(), st.integers(0, 40).map(str)), max_size=200),
)
def test_it_answers_as_a_dict_of_every_key_would(
    recent: int, steps: list[tuple[bool, str]]
) -> None:
    """The filter in front of the spilled keys changes no answer: random adds and look-ups,
    most past the memory limit, against a plain dict of every key added."""
    every: dict[str, int] = {}
    with FirstSeen(recent=recent) as seen:
        for line, (adding, key) in enumerate(steps, start=1):
            assert seen.first(key) == every.get(key)
            if adding and key not in every:
                seen.add(key, line)
                every[key] = line
        assert [seen.first(key) for key in every] == list(every.values())


def test_its_filter_lets_a_key_it_was_never_given_pass_without_a_look_up() -> None:
    with FirstSeen(recent=10) as seen:
        for line in range(1000):
            seen.add(f"RE-{line}", line)
        assert seen._spilled is not None
        seen._spilled.execute("DROP TABLE seen")  # a look-up would fail now
        new = [f"NEU-{i}" for i in range(2000)]
        looked_up = 0
        for key in new:
            try:
                assert seen.first(key) is None
            except sqlite3.OperationalError:
                looked_up += 1
        assert looked_up < 20  # 1,000 keys in 2**23 bits: hardly a false positive
