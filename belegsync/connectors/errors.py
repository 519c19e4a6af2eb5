"""The two families of failure every client raises (OCA connector's vocabulary).

``RetryableError``: the request may succeed later unchanged (network, timeout,
429, 5xx). ``PermanentError``: it will not, until someone changes data or
settings (validation, auth, permission, not found). The sync engine decides
what to do by family; the merchant reads the text of ``code`` (with
``params``, see :mod:`belegsync.reasons`) in their language; ``message`` is the
same in English for logs; support sees ``raw``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any, ClassVar

from .reasons import Reason


class FailureReason(StrEnum):
    """Why a document failed; the 'failed' list groups by this (pretix's enum, extended)."""

    VALIDATION = "validation"  # the voucher's own data does not add up
    REJECTED = "rejected"  # the target refused the voucher (4xx with issues)
    AUTH = "auth"  # credentials wrong or revoked: pauses the connection
    PERMISSION = "permission"  # credentials lack a right (scope, plan)
    CONFIG = "config"  # a setting is missing or wrong (account mapping …)
    UNAVAILABLE = "unavailable"  # retries exhausted on network / 5xx / 429
    CONFLICT = "conflict"  # the remote copy changed or still exists
    INTERNAL = "internal"  # a bug in belegsync: never the merchant's fault


@dataclass(frozen=True)
class RemoteIssue:
    """One field-level complaint of a remote system, as it reported it."""

    field: str
    message: str


@dataclass
class ConnectorError(Exception):
    message: str
    raw: str = ""
    status: int | None = None
    issues: list[RemoteIssue] = field(default_factory=list)
    reason: FailureReason = FailureReason.INTERNAL
    #: The reason code the merchant reads (``belegsync.reasons``), and its parameters.
    code: str = ""
    params: dict[str, Any] = field(default_factory=dict)
    #: One reason per complaint, where the remote named several (lexoffice's IssueList).
    issue_reasons: list[Reason] = field(default_factory=list)

    def __post_init__(self) -> None:
        super().__init__(self.message)

    @property
    def reasons(self) -> list[Reason]:
        """What to store and show: the code, else the category's general words.

        ``message`` (English) then stays with the event for support; no English
        text reaches a German page.
        """
        if self.issue_reasons and self.issue_reasons[0].code == self.code:
            return list(self.issue_reasons)
        if self.code:
            return [Reason(self.code, dict(self.params))]
        return [Reason(f"category.{self.reason.value}")]

    def recode(self, code: str, **params: Any) -> ConnectorError:
        """Say more precisely what happened (an adapter knows more than its client)."""
        self.code = code
        self.params = {**self.params, **params}
        return self

    def __str__(self) -> str:
        return self.message


@dataclass
class RetryableError(ConnectorError):
    """Try again later; ``retry_after`` seconds if the remote said so."""

    retry_after: float | None = None
    reason: FailureReason = FailureReason.UNAVAILABLE


class RateLimited(RetryableError):
    pass


class ServerError(RetryableError):
    pass


@dataclass
class NetworkError(RetryableError):
    """Connection refused, reset or timed out: the request may or may not have arrived."""

    #: The connection never opened, so the request surely did not arrive.
    never_sent: bool = False


@dataclass
class TooSlow(NetworkError):
    """The whole attempt outlasted its deadline (a stalled or dripping answer).

    Not repeated at once: the next cycle tries again, so a slow remote holds a
    sync for one deadline, not for one per retry.
    """


@dataclass
class PermanentError(ConnectorError):
    reason: FailureReason = FailureReason.REJECTED


@dataclass
class TooLarge(PermanentError):
    """The answer is larger than belegsync reads for its kind; it was cut off unread."""


@dataclass
class BadAnswer(PermanentError):
    """The answer is not what the remote documents (not JSON/XML, another shape)."""


@dataclass
class AuthError(PermanentError):
    reason: FailureReason = FailureReason.AUTH


@dataclass
class PermissionDenied(PermanentError):
    reason: FailureReason = FailureReason.PERMISSION


@dataclass
class ValidationRejected(PermanentError):
    reason: FailureReason = FailureReason.REJECTED


@dataclass
class NotFound(PermanentError):
    reason: FailureReason = FailureReason.REJECTED


@dataclass
class Conflict(PermanentError):
    reason: FailureReason = FailureReason.CONFLICT


@dataclass
class ConfigError(PermanentError):
    reason: FailureReason = FailureReason.CONFIG


class UnreadableFile(ValueError):
    """A source file (CSV upload, preview input) cannot be read as a whole.

    Like a failure, it is a reason code with parameters (``csv.empty``,
    ``csv.missing_columns`` …), shown in the reader's language by
    :mod:`belegsync.reasons`; ``raw`` keeps what the parser said, for support.
    ``MISSING_COLUMNS`` means the merchant can fix it by saying which of the
    file's columns hold the missing values (``missing``, ``headers``) rather
    than by exporting again.
    """

    MISSING_COLUMNS: ClassVar[str] = "csv.missing_columns"

    def __init__(
        self,
        *,
        code: str,
        raw: str = "",
        line: int | None = None,
        missing: tuple[str, ...] = (),
        headers: tuple[str, ...] = (),
        **params: Any,
    ) -> None:
        self.code = code
        self.params = params
        self.raw = raw
        self.line = line
        self.missing = missing
        self.headers = headers
        super().__init__(f"{code}: {raw}" if raw else code)

    @property
    def reasons(self) -> list[Reason]:
        return [Reason(self.code, self.params)]

    def as_dict(self) -> dict[str, Any]:
        """What an import job keeps of the problem (``ImportJob.file_error``)."""
        return {
            **Reason(self.code, self.params).as_json(),
            "raw": self.raw,
            "line": self.line,
            "missing": list(self.missing),
            "headers": list(self.headers),
        }
