"""Transfer N paid vouchers with PDF through SevdeskTarget into the sevDesk fake.

Reports ratios, not a timed test: requests per voucher (issue 8 target: <= 4
including upload, save and booking) and the request rate reached as a share of
the configured limit (sevDesk publishes none; the adapter paces at 5 req/s).

Two ways through the adapter are measured:

- ``protocol``: find, create, attach, mark_paid — the path of a target without
  ``create_with_pdf``. sevDesk attaches files only while saving a draft, so
  attaching to the open voucher costs upload + resetToDraft + saveVoucher;
- ``with-pdf``: find, create_with_pdf (upload + one saveVoucher), mark_paid —
  what the engine does for sevDesk (``sync/transfer.py`` uses
  ``create_with_pdf`` whenever a target offers it and the source has a PDF).

    .venv/bin/python bench/bench_sevdesk.py [--vouchers 1000] [--rate 5] [--flow both]

1,000 vouchers at 5 requests/s take 15-20 minutes per flow by design; use
``--rate 200`` (or ``--vouchers 100``) for a quick look at the ratios.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from collections import Counter
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from belegsync.connectors import egress
from belegsync.connectors.base import AdapterContext
from belegsync.connectors.ratelimit import Rate, TokenBucket
from belegsync.connectors.settings import PaymentAccounts, Policy
from belegsync.fakes.base import serve_in_thread
from belegsync.fakes.sevdesk import SevdeskFake
from belegsync.targets.sevdesk import SevdeskTarget
from bench.vouchers import bench_voucher

PDF = b"%PDF-1.4\n%bench\n" + b"0" * 20_000
TOKEN = "0123456789abcdef0123456789abcdef"


def run(flow: str, count: int, rate: float) -> dict[str, float]:
    app = SevdeskFake(api_token=TOKEN)
    app.journal = None  # keep memory flat; the base counts requests anyway
    paypal = app.add_check_account("PayPal BB", "offline")
    running = serve_in_thread(app)
    os.environ[egress.ENV] = egress.with_remote("", "sevdesk", running.url)
    limiter = TokenBucket(Rate(per_second=rate, burst=max(1, int(rate))))
    context = AdapterContext(
        credentials={"api_token": TOKEN},
        policy=Policy(payment_accounts=PaymentAccounts(by_method={"paypal": str(paypal)})),
        limiter=limiter,
    )
    target = SevdeskTarget(context)
    started = time.monotonic()
    try:
        for index in range(count):
            item = bench_voucher(index, paid=True)
            ref = target.find(item)
            if ref is None and flow == "with-pdf":
                ref = target.create_with_pdf(item, PDF, f"{item.number}.pdf")
            elif ref is None:
                ref = target.create(item)
            ref = target.attach(ref, PDF, f"{item.number}.pdf")
            target.mark_paid(ref, item)
        seconds = time.monotonic() - started
    finally:
        target.client.close()
        running.stop()
    requests = len(app.requests)
    statuses = Counter(status for _, _, status in app.requests)
    paid = sum(1 for v in app.vouchers.values() if v["status"] == 1000 and v["document"])
    assert paid == count, f"only {paid} of {count} vouchers paid with PDF"
    return {
        "requests": requests,
        "per_voucher": requests / count,
        "rate_used": requests / seconds / rate,
        "vouchers_per_s": count / seconds,
        "errors": sum(n for status, n in statuses.items() if status >= 400),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--vouchers", type=int, default=1000)
    parser.add_argument("--rate", type=float, default=SevdeskTarget.rate.per_second)
    parser.add_argument("--flow", choices=["protocol", "with-pdf", "both"], default="both")
    options = parser.parse_args()
    flows = ["protocol", "with-pdf"] if options.flow == "both" else [options.flow]
    print(f"{options.vouchers} vouchers with PDF and payment, limit {options.rate:g} req/s")
    for flow in flows:
        result = run(flow, options.vouchers, options.rate)
        print(
            f"{flow:>9}: {result['per_voucher']:.3f} requests/voucher "
            f"({int(result['requests'])} in all), {result['rate_used']:.0%} of the limit used, "
            f"{result['vouchers_per_s']:.2f} vouchers/s, {int(result['errors'])} error answers"
        )


if __name__ == "__main__":
    main()
