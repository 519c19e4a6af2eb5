from __future__ import annotations

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
