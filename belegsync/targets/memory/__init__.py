"""An in-process target for tests and the demo: vouchers kept in a dict per account.

``MemoryTarget.accounts[name]`` holds what was booked, so tests can count
vouchers per number; ``fail_next`` makes the next calls raise, like a remote
that misbehaves; ``refuse`` is what its check says it would refuse, by number.
"""

from __future__ import annotations

import itertools
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, ClassVar

from django.utils.translation import gettext_lazy

from belegsync.bookkeeping import Voucher, voucher_to_dict
from belegsync.connectors.base import AdapterContext, RemoteRef
from belegsync.connectors.errors import ConnectorError, PermanentError
from belegsync.connectors.settings import Policy


@dataclass
class Account:
    vouchers: dict[str, dict[str, Any]] = field(default_factory=dict)
    files: dict[str, bytes] = field(default_factory=dict)
    paid: set[str] = field(default_factory=set)
    creates: list[str] = field(default_factory=list)
    #: Errors raised by the next calls, oldest first, by step name.
    fail_next: dict[str, list[ConnectorError]] = field(default_factory=dict)
    #: Called before each step, e.g. to kill the worker at a chosen point.
    hook: Callable[[str, str], None] | None = None
    #: What ``check`` refuses, by voucher number (like a remote's rules).
    refuse: dict[str, list[PermanentError]] = field(default_factory=dict)
    #: Every check asked, by voucher number, in order.
    checks: list[str] = field(default_factory=list)


class MemoryTarget:
    identifier: ClassVar[str] = "memory"
    verbose_name: ClassVar[str] = gettext_lazy("Demo and test target (in memory)")  # type: ignore[assignment]
    accounts: ClassVar[dict[str, Account]] = {}
    lock: ClassVar[threading.Lock] = threading.Lock()
    _ids: ClassVar[itertools.count[int]] = itertools.count(1)

    def __init__(self, context: AdapterContext) -> None:
        self.name = str(context.credentials.get("account", "default"))
        with self.lock:
            self.account = self.accounts.setdefault(self.name, Account())

    def _step(self, step: str, number: str) -> None:
        if self.account.hook:
            self.account.hook(step, number)
        errors = self.account.fail_next.get(step)
        if errors:
            raise errors.pop(0)

    def find(self, voucher: Voucher) -> RemoteRef | None:
        self._step("find", voucher.number)
        with self.lock:
            for remote_id, data in self.account.vouchers.items():
                if data["number"] == voucher.number and data["kind"] == voucher.kind.value:
                    return RemoteRef(remote_id, adopted=True)
        return None

    def create(self, voucher: Voucher) -> RemoteRef:
        self._step("create", voucher.number)
        with self.lock:
            remote_id = f"mem-{next(self._ids)}"
            self.account.vouchers[remote_id] = voucher_to_dict(voucher)
            self.account.creates.append(voucher.number)
        return RemoteRef(remote_id)

    def attach(self, ref: RemoteRef, pdf: bytes, filename: str) -> RemoteRef:
        self._step("attach", ref.remote_id)
        with self.lock:
            self.account.files[ref.remote_id] = pdf
        return ref

    def mark_paid(self, ref: RemoteRef, voucher: Voucher) -> RemoteRef:
        self._step("mark_paid", voucher.number)
        with self.lock:
            self.account.paid.add(ref.remote_id)
        return ref

    def preview(self, voucher: Voucher) -> dict[str, Any]:
        return voucher_to_dict(voucher)

    def check(self, voucher: Voucher, policy: Policy) -> list[PermanentError]:
        with self.lock:
            self.account.checks.append(voucher.number)
            return list(self.account.refuse.get(voucher.number, []))

    @classmethod
    def reset(cls) -> None:
        with cls.lock:
            cls.accounts.clear()
