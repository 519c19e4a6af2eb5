"""A local double of lexoffice's public API (``belegsync fake lexoffice --port N --api-key K``).

Validates on its own reading of lexoffice's rules (see :mod:`.rules`); imports
nothing from ``belegsync.targets``.
"""

from __future__ import annotations

import argparse
from decimal import Decimal

from .app import LexofficeFake, Options, TokenBucketWindow
from .rules import Profile, Strictness

__all__ = ["LexofficeFake", "Options", "Profile", "Strictness", "TokenBucketWindow", "build"]

#: lexoffice's documented limit: 2 requests per second per client ([DOCS] API Rate Limits).
DOCUMENTED_RATE = 2.0


def build(argv: list[str]) -> LexofficeFake:
    parser = argparse.ArgumentParser(prog="belegsync fake lexoffice")
    parser.add_argument("--api-key", required=True, action="append", help="accepted API key")
    parser.add_argument(
        "--partner-key",
        action="append",
        default=[],
        help="an OAuth partner token that may send transaction assignment hints (unverified)",
    )
    parser.add_argument("--rate-limit", type=float, default=DOCUMENTED_RATE, help="requests/s")
    parser.add_argument(
        "--burst", type=float, default=2.0, help="bucket capacity (2 official, 5 claimed)"
    )
    parser.add_argument(
        "--distance-sales-principle",
        "--profile-taxation",
        choices=["DESTINATION", "ORIGIN", "unset"],
        default="DESTINATION",
    )
    parser.add_argument("--small-business", action="store_true")
    parser.add_argument("--no-bookkeeping", action="store_true", help="plan without BOOKKEEPING")
    parser.add_argument("--e-invoice", action="store_true", help="XML uploads allowed")
    parser.add_argument("--create-status", type=int, choices=[200, 201], default=201)
    parser.add_argument("--upload-status", type=int, choices=[200, 201, 202], default=202)
    parser.add_argument("--retry-after", action="store_true", help="send Retry-After on 429")
    parser.add_argument("--sum-tolerance", default="0.00", help="tolerance of total checks")
    parser.add_argument("--check-item-tax", action="store_true", help="per-item tax check")
    parser.add_argument("--base-url", default="https://api.lexware.io")
    args = parser.parse_args(argv)
    principle = None if args.distance_sales_principle == "unset" else args.distance_sales_principle
    return LexofficeFake(
        api_keys=tuple(args.api_key),
        partner_keys=tuple(args.partner_key),
        rate_per_second=args.rate_limit,
        burst=args.burst,
        profile=Profile(distance_sales_principle=principle, small_business=args.small_business),
        options=Options(
            create_status=args.create_status,
            upload_status=args.upload_status,
            retry_after_header=args.retry_after,
            e_invoice=args.e_invoice,
            bookkeeping=not args.no_bookkeeping,
            strict=Strictness(
                sum_tolerance=Decimal(args.sum_tolerance), check_item_tax=args.check_item_tax
            ),
        ),
        base_url=args.base_url,
    )
