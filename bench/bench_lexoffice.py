"""Transfer N vouchers (find → create → attach PDF) through LexofficeTarget into the
lexoffice fake set to the real rate limit (2 requests/s, bucket of 2).

Reports ratios, not a timed test: requests per voucher, share of the rate limit
used, 429s seen. Targets (issue 5): <= 2.1 requests/voucher, >= 90 % of the
limit, zero 429.

    .venv/bin/python bench/bench_lexoffice.py [--vouchers 1000] [--rate 2]

1,000 vouchers at 2 requests/s take about 17 minutes by design; use
``--vouchers 100`` for a quick look.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from belegsync.connectors import egress
from belegsync.connectors.base import AdapterContext
from belegsync.connectors.ratelimit import TokenBucket
from belegsync.fakes.base import serve_in_thread
from belegsync.fakes.lexoffice import LexofficeFake
from belegsync.targets.lexoffice import LexofficeTarget
from bench.vouchers import bench_voucher

PDF = b"%PDF-1.4\n%bench\n"


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--vouchers", type=int, default=1000)
    parser.add_argument("--rate", type=float, default=2.0, help="the fake's limit (req/s)")
    args = parser.parse_args()
    fake = serve_in_thread(LexofficeFake(api_keys=("bench",), rate_per_second=args.rate, burst=2))
    os.environ[egress.ENV] = egress.with_remote("", "lexoffice", fake.url)
    target = LexofficeTarget(
        AdapterContext(
            credentials={"api_key": "bench"},
            settings={},
            limiter=TokenBucket(LexofficeTarget.rate),
        )
    )
    started = time.monotonic()
    for index in range(args.vouchers):
        v = bench_voucher(index)
        ref = target.find(v) or target.create(v)
        if not ref.adopted:
            target.attach(ref, PDF + str(index).encode(), f"{v.number}.pdf")
        if index and index % 100 == 0:
            print(f"  {index} vouchers, {time.monotonic() - started:.0f} s", flush=True)
    elapsed = time.monotonic() - started
    fake.stop()
    requests = len(fake.app.requests)
    too_many = sum(1 for _, _, status in fake.app.requests if status == 429)
    created = len(fake.app.vouchers)
    print(f"vouchers transferred:   {created} of {args.vouchers}")
    print(f"requests:               {requests}")
    print(f"requests per voucher:   {requests / args.vouchers:.3f}   (target <= 2.1)")
    print(
        f"share of rate limit:    {requests / elapsed / args.rate:.1%}   "
        f"({requests / elapsed:.2f} of {args.rate:g} req/s; target >= 90 %)"
    )
    print(f"429 responses seen:     {too_many}   (target 0)")


if __name__ == "__main__":
    main()
