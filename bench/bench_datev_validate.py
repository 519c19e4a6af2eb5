"""Checking a written DATEV file, against a bare ``csv.reader`` pass over the same file.

    .venv/bin/python bench/bench_datev_validate.py --rows 9000 90000

Every export validates the file it wrote (``validator.validate_file``). The file is
the reference example's bookings repeated; each size is reported with the ratio
to reading the same file with ``csv.reader`` in this process, so the growth from
one size to the next shows whether the check stays linear (a DATEV file holds at
most 99,999 bookings, hence 90,000).
"""

from __future__ import annotations

import argparse
import csv
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from belegsync.targets.datev.validator import validate_file  # noqa: E402

GOLDEN = ROOT / "tests" / "reference" / "datev" / "examples" / "buchungsstapel-example.csv"


def write(path: Path, rows: int) -> None:
    header, headings, *bookings = [ln for ln in GOLDEN.read_bytes().split(b"\r\n") if ln]
    with path.open("wb") as out:
        out.write(header + b"\r\n" + headings + b"\r\n")
        for i in range(rows):
            out.write(bookings[i % len(bookings)] + b"\r\n")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--rows", type=int, nargs="+", default=[9_000, 90_000])
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="belegsync-bench-") as tmp:
        for rows in args.rows:
            path = Path(tmp) / f"EXTF_{rows}.csv"
            write(path, rows)
            started = time.perf_counter()
            with path.open(encoding="cp1252", newline="") as handle:
                read = sum(1 for _ in csv.reader(handle, delimiter=";"))
            bare = time.perf_counter() - started
            started = time.perf_counter()
            problems = validate_file(path)
            checked = time.perf_counter() - started
            assert problems == [], problems[:3]
            print(
                f"{rows:>7} bookings ({read} lines): validate {checked:.2f} s, "
                f"bare csv.reader {bare:.2f} s, ratio {checked / bare:.1f}x"
            )


if __name__ == "__main__":
    main()
