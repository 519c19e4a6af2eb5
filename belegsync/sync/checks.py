"""The checks a stored voucher passes before anything of it is sent (issue #13, item 10).

Two questions, asked on import and again right before every create:

- does the voucher follow the bookkeeping rules (:func:`voucher_problems`:
  it adds up, its rates and treatment hold for its country and date);
- would the target take it, with this connection's policy (``Target.check``:
  treatment, rate, currency, mark-as-paid, account mapping)?

A document that fails either is failed with all its reasons before the
first request that changes anything; the import and the transfer use the
same rules, so a reset of an invalid document fails again with its reason.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import replace

from belegsync.bookkeeping import Problem, Voucher, validate
from belegsync.bookkeeping.plausibility import check_dates
from belegsync.connectors.base import Target
from belegsync.connectors.errors import FailureReason, PermanentError
from belegsync.connectors.reasons import Reason
from belegsync.connectors.settings import Policy


class NotSent(PermanentError):
    """The voucher failed the check before sending: nothing reached the target."""

    def __init__(self, reason: FailureReason, reasons: list[Reason], message: str) -> None:
        super().__init__(message, reason=reason)
        self.all_reasons = reasons

    @property
    def reasons(self) -> list[Reason]:
        return [*self.all_reasons, Reason("checked_before_sending")]


def as_booked(voucher: Voucher, policy: Policy) -> Voucher:
    """The voucher as this connection books it: a small business (§ 19 UStG, the
    connection's setting) books every voucher as one, whatever the source says."""
    if policy.small_business and not voucher.small_business:
        return replace(voucher, small_business=True)
    return voucher


def voucher_problems(voucher: Voucher, policy: Policy, today: dt.date) -> list[Problem]:
    """The bookkeeping rules for a voucher of this connection on ``today``: the voucher's
    own (it adds up, rates and treatment hold) and its dates (not far in the future)."""
    voucher = as_booked(voucher, policy)
    return validate(voucher) + check_dates(voucher, today=today, future_days=policy.future_days)


def held_or_invalid(
    voucher: Voucher, policy: Policy, today: dt.date, held: Reason | None = None
) -> NotSent | None:
    """Why the document must not be sent whatever the target says, or None: ``held``
    (two source documents share its number, :mod:`.conflicts`) makes it a *conflict*,
    bookkeeping problems a *validation* failure (corrected data from the source re-checks
    it on its own). Asked before every create and before a month's file is written."""
    if held is not None:
        return NotSent(FailureReason.CONFLICT, [held], f"not sent, held: {held.code}")
    problems = voucher_problems(voucher, policy, today)
    if problems:
        return NotSent(
            FailureReason.VALIDATION,
            [Reason.of(p) for p in problems],
            "not sent, the voucher fails its checks: " + "; ".join(map(str, problems)),
        )
    return None


def check_before_create(
    voucher: Voucher,
    policy: Policy,
    target: Target,
    today: dt.date,
    held: Reason | None = None,
) -> NotSent | None:
    """Why ``voucher`` must not be created now, or None when it may be.

    First :func:`held_or_invalid`; then the target's first refusal names the category
    (config, rejected …) and all refusals are the reasons.
    """
    refused = held_or_invalid(voucher, policy, today, held)
    if refused is not None:
        return refused
    refusals = target.check(voucher, policy)
    if refusals:
        return NotSent(
            refusals[0].reason,
            [reason for error in refusals for reason in error.reasons],
            "not sent, the target would refuse it: " + "; ".join(e.message for e in refusals),
        )
    return None
