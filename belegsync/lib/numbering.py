"""Gaps in invoice numbers: the quickest proof that a month is complete, or is not.

Shops number invoices in sequences (``RE-2026-1001``, ``RE-2026-1002`` …). A
number missing between the first and the last of a month is a voucher
belegsync never saw — or one cancelled at the source; either way the merchant
should look. Pure functions, no Django.
"""

from __future__ import annotations

import itertools
import re
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass

_NUMBERED = re.compile(r"^(.*?)(\d+)$")


@dataclass(frozen=True)
class Gap:
    """Numbers missing between two that exist: ``RE-1003`` … ``RE-1005``."""

    first: str
    last: str
    count: int

    def __str__(self) -> str:
        return self.first if self.count == 1 else f"{self.first} … {self.last} ({self.count})"


def _sequences(numbers: Iterable[str]) -> dict[tuple[str, int], set[int]]:
    sequences: dict[tuple[str, int], set[int]] = defaultdict(set)
    for number in numbers:
        match = _NUMBERED.match(number.strip())
        if match:
            prefix, digits = match.groups()
            sequences[(prefix, len(digits))].add(int(digits))
    return sequences


def gaps(numbers: Iterable[str], *, also_seen: Iterable[str] = (), at_most: int = 100) -> list[Gap]:
    """Missing numbers within each sequence (same prefix, same digit count).

    ``also_seen`` are numbers that exist but do not make a sequence of their
    own (skipped orders numbered by order number): they fill gaps, and only the
    sequences of ``numbers`` are reported. Numbers without a trailing number,
    and sequences of one number, say nothing about gaps and are left out. At
    most ``at_most`` gaps are returned, in sequence order.
    """
    sequences = _sequences(numbers)
    for key, values in _sequences(also_seen).items():
        if key in sequences:
            sequences[key] |= values
    found: list[Gap] = []
    for (prefix, width), values in sorted(sequences.items()):
        ordered = sorted(values)
        for before, after in itertools.pairwise(ordered):
            if after - before > 1:
                first = f"{prefix}{before + 1:0{width}d}"
                last = f"{prefix}{after - 1:0{width}d}"
                found.append(Gap(first, last, after - before - 1))
                if len(found) >= at_most:
                    return found
    return found
