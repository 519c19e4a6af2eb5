"""A local double of sevDesk: ``belegsync fake sevdesk --port N --api-token TOKEN``."""

from __future__ import annotations

import argparse

from .app import SevdeskFake

__all__ = ["SevdeskFake", "build"]


def build(argv: list[str]) -> SevdeskFake:
    parser = argparse.ArgumentParser(prog="belegsync fake sevdesk")
    parser.add_argument("--api-token", required=True, help="the only token the fake accepts")
    parser.add_argument(
        "--rate-limit", type=int, default=None, help="requests per second before 429 (none)"
    )
    parser.add_argument(
        "--small-business", action="store_true", help="a Kleinunternehmer client (rule 11 only)"
    )
    parser.add_argument(
        "--offline-account",
        action="append",
        default=[],
        metavar="NAME",
        help="add a manual (offline) check account, e.g. 'PayPal BB' (repeatable)",
    )
    options = parser.parse_args(argv)
    app = SevdeskFake(
        api_token=options.api_token,
        rate_limit=options.rate_limit,
        small_business=options.small_business,
    )
    for name in options.offline_account:
        app.add_check_account(name, "offline")
    return app
