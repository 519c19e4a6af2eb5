"""Moving one document to its target: claim, then recorded idempotent steps (DESIGN §5).

The remote APIs have no idempotency keys, so exactly-once comes from order:

1. *claim* ``waiting → processing`` with a lease; a dead worker's claim
   returns after the lease (*takeover*).
2. *find*: while no remote id is stored, ask the target for the voucher number
   first and adopt what is there. Only then *check* (the stored voucher against
   the bookkeeping rules and ``Target.check``: nothing is created that a later
   step would refuse) and *create*, and store the remote id the moment it is
   known. A crash between the two is healed by the next find.
3. *attach* the PDF, *mark paid*, *mark transferred* in the source: each
   stores its result before the next begins; a retry resumes at the first
   step without one.
4. *complete* → done.

Every write of a step is fenced by the lease: a worker whose lease was taken
over cannot record anything any more (:class:`LeaseLost`).

The lease (``BELEGSYNC_LEASE_SECONDS``, 5 minutes) must outlast the longest
step a live worker can take (HTTP timeouts times retries, pacing); otherwise a
slow worker and the one that took over could both create.

``BELEGSYNC_CRASH_AFTER=<point>`` (tests only) kills the process with SIGKILL
right after the named point (:data:`CRASH_POINTS`), to prove that a crash at
every step boundary loses nothing and books nothing twice.
"""

from __future__ import annotations

import datetime as dt
import logging
import os
import random
import signal
from collections.abc import Callable
from dataclasses import asdict, replace
from typing import Any

from django.conf import settings as django_settings
from django.db import transaction
from django.db.models import F, Q
from django.utils import timezone

from belegsync.bookkeeping import Voucher
from belegsync.connectors.base import RemoteRef, Source, SourceDocument, Target
from belegsync.connectors.errors import (
    AuthError,
    ConnectorError,
    FailureReason,
    PermanentError,
    RetryableError,
)
from belegsync.connectors.reasons import Reason, as_json
from belegsync.documents.models import Connection, Document, DocumentFile, Event
from belegsync.documents.states import IllegalTransition, State, transition

from . import conflicts, notify
from .checks import as_booked, check_before_create

log = logging.getLogger("belegsync.sync")

LEASE = dt.timedelta(minutes=5)
#: Transfers of one document retried within one failure streak before it is failed.
MAX_ATTEMPTS = 6
BACKOFF_BASE = dt.timedelta(seconds=30)
BACKOFF_MAX = dt.timedelta(hours=1)


#: Where ``BELEGSYNC_CRASH_AFTER`` may kill a worker: after each remote call and
#: before its record ("…_sent"), and after each record.
CRASH_POINTS = (
    "claim",
    "find",
    "create_sent",
    "remote",
    "attach_sent",
    "attach",
    "mark_paid_sent",
    "mark_paid",
    "mark_transferred_sent",
    "mark_transferred",
    "complete",
)


class LeaseLost(Exception):
    """Another worker took the document over: stop without writing."""


def lease() -> dt.timedelta:
    return dt.timedelta(seconds=getattr(django_settings, "BELEGSYNC_LEASE_SECONDS", 300))


#: Where a month file's delivery may be killed (``sync.months``): inside its transaction
#: after the file is stored, and after a month is committed, before the next.
MONTH_CRASH_POINTS = ("month_file_stored", "month_delivered")


def crash_point(name: str) -> None:
    """Die like ``kill -9`` here when the test hook names this point."""
    wanted = os.environ.get("BELEGSYNC_CRASH_AFTER")
    if not wanted:
        return
    if wanted not in (*CRASH_POINTS, *MONTH_CRASH_POINTS):
        raise ValueError(f"BELEGSYNC_CRASH_AFTER={wanted!r}; use one of {', '.join(CRASH_POINTS)}")
    if wanted == name:
        log.warning("crash hook: killing worker after %s", name)
        logging.shutdown()
        os.kill(os.getpid(), signal.SIGKILL)


def claimable(now: dt.datetime) -> Q:
    """Documents a worker may claim now: waiting and due, or abandoned by a dead worker."""
    waiting = Q(state=State.WAITING) & (Q(retry_at__isnull=True) | Q(retry_at__lte=now))
    abandoned = Q(state=State.PROCESSING, lease_until__lt=now)
    active = Q(
        connection__enabled=True,
        connection__paused_reason="",
        connection__setup_complete=True,
        connection__archived_at__isnull=True,
        connection__organisation__sync_enabled=True,
    )
    return (waiting | abandoned) & active


def claim_next(
    worker: str, *, connection_id: int | None = None, now: dt.datetime | None = None
) -> Document | None:
    """Claim the oldest claimable document, or None. Safe with any number of workers."""
    for _ in range(20):
        now = now or timezone.now()
        candidates = Document.objects.filter(claimable(now))
        if connection_id is not None:
            candidates = candidates.filter(connection_id=connection_id)
        with transaction.atomic():
            # of=("self",): lock the document row only. Without it PostgreSQL also
            # locks the joined connection and organisation rows, and SKIP LOCKED
            # then hides every other document of the connection from other workers.
            document = (
                candidates.select_for_update(skip_locked=True, of=("self",)).order_by("id").first()
            )
            if document is None:
                return None
            action = "claim" if document.state == State.WAITING else "takeover"
            fence = {} if action == "claim" else {"lease_until__lt": now}
            try:
                claimed = transition(
                    document,
                    action,
                    actor=worker,
                    message="" if action == "claim" else f"taken over from {document.lease_owner}",
                    extra_filter=fence,
                    lease_owner=worker,
                    lease_until=now + lease(),
                    attempts=F("attempts") + 1,
                )
            except IllegalTransition:
                continue  # another worker was faster; take the next one
        #: A takeover may follow a create whose record was lost: the cycle asks the
        #: target with a fresh look (no cached snapshot) for it.
        claimed.taken_over = action == "takeover"
        log.info(
            "step=%s document=%s connection=%s worker=%s",
            action,
            claimed.pk,
            claimed.connection_id,
            worker,
        )
        crash_point("claim")
        return claimed
    return None


def _record(document: Document, worker: str, step: str, result: dict[str, Any]) -> None:
    """Store a step's result, fenced by the lease, with its Event, in one transaction."""
    steps = {**document.steps, step: result}
    with transaction.atomic():
        rows = Document.objects.filter(
            pk=document.pk, state=State.PROCESSING, lease_owner=worker
        ).update(steps=steps, lease_until=timezone.now() + lease())
        if rows != 1:
            raise LeaseLost(document.source_number)
        Event.objects.create(
            document=document,
            actor=worker,
            action=f"step_{step}",
            from_state=State.PROCESSING,
            to_state=State.PROCESSING,
            message=_step_message(step, result),
            detail=result,
        )
    document.steps = steps
    log.info(
        "step=%s document=%s connection=%s worker=%s",
        step,
        document.pk,
        document.connection_id,
        worker,
    )
    crash_point(step)


def _step_message(step: str, result: dict[str, Any]) -> str:
    if step == "remote":
        verb = "found existing" if result.get("adopted") else "created"
        return f"{verb} in target: {result.get('remote_id')}"
    return {
        "attach": "PDF attached" if result.get("attached") else "no PDF to attach",
        "mark_paid": "marked as paid" if result.get("paid") else "left open",
        "mark_transferred": "marked as transferred in the source",
    }.get(step, step)


def _ref(document: Document) -> RemoteRef | None:
    data = document.steps.get("remote")
    return RemoteRef(**data) if data else None


def _pdf(document: Document, source: Source, sd: SourceDocument) -> bytes | None:
    stored = DocumentFile.objects.filter(document=document).first()
    if stored is not None:
        return bytes(stored.content)
    content = source.pdf(sd)
    if content:
        DocumentFile.store(document, content, f"{document.source_number}.pdf")
    return content


def run_steps(document: Document, source: Source, target: Target, worker: str) -> RemoteRef:
    """Run the steps that have no stored result yet; return the remote binding."""
    policy = document.connection.policy
    voucher = as_booked(document.as_voucher(), policy)
    sd = SourceDocument(voucher=voucher, source_id=document.source_id, meta=document.meta)
    filename = f"{document.source_number}.pdf"

    def wanted_pdf() -> bytes | None:
        return _pdf(document, source, sd) if policy.transfer_pdf else None

    ref = _ref(document)
    if ref is None:
        ref = target.find(voucher)
        if ref is None:
            crash_point("find")
            held = conflicts.reason(document.connection_id, document.kind, document.source_number)
            refused = check_before_create(voucher, policy, target, timezone.localdate(), held)
            if refused is not None:
                raise refused
            ref = _create(target, voucher, wanted_pdf, filename)
            crash_point("create_sent")
        _record(document, worker, "remote", asdict(ref))
        if ref.facts.get("attached_on_create"):
            _record(document, worker, "attach", {"attached": True})
    if "attach" not in document.steps:
        pdf = wanted_pdf()
        if pdf:
            ref = target.attach(ref, pdf, filename)
            crash_point("attach_sent")
        _record(document, worker, "attach", {"attached": bool(pdf)})
    if "mark_paid" not in document.steps:
        wanted = policy.mark_paid and voucher.is_paid
        if wanted:
            ref = target.mark_paid(ref, voucher)
            crash_point("mark_paid_sent")
        _record(document, worker, "mark_paid", {"paid": bool(wanted)})
    if "mark_transferred" not in document.steps:
        source.mark_transferred(sd)
        crash_point("mark_transferred_sent")
        _record(document, worker, "mark_transferred", {})
    return ref


def _create(
    target: Target, voucher: Voucher, pdf: Callable[[], bytes | None], filename: str
) -> RemoteRef:
    """Create the voucher; with its PDF in the same call where the target offers that.

    sevDesk attaches files only while saving a draft, so create-then-attach
    costs it two extra requests; a target with ``create_with_pdf`` saves them.
    """
    create_with_pdf = getattr(target, "create_with_pdf", None)
    content = pdf() if create_with_pdf else None
    if create_with_pdf and content:
        ref: RemoteRef = create_with_pdf(voucher, content, filename)
        return replace(ref, facts={**ref.facts, "attached_on_create": True})
    return target.create(voucher)


def _backoff_base() -> dt.timedelta:
    # Tests shorten it through the setting; production keeps the constant.
    seconds = getattr(django_settings, "BELEGSYNC_BACKOFF_BASE_SECONDS", None)
    return BACKOFF_BASE if seconds is None else dt.timedelta(seconds=seconds)


def _backoff_max() -> dt.timedelta:
    seconds = getattr(django_settings, "BELEGSYNC_BACKOFF_MAX_SECONDS", None)
    return BACKOFF_MAX if seconds is None else dt.timedelta(seconds=seconds)


def backoff(attempt: int) -> dt.timedelta:
    """Exponential with full jitter: 30 s, 1 min, 2 min … capped at an hour."""
    ceiling = min(_backoff_max(), _backoff_base() * 2 ** max(0, attempt - 1))
    return dt.timedelta(
        seconds=random.uniform(ceiling.total_seconds() / 2, ceiling.total_seconds())
    )


def transfer(document: Document, source: Source, target: Target, worker: str) -> Document:
    """Transfer a claimed document; always leaves it done, waiting (retry) or failed."""
    try:
        try:
            ref = run_steps(document, source, target, worker)
        except LeaseLost:
            raise
        except RetryableError as error:
            return _retry_later(document, worker, error, target.verbose_name)
        except AuthError as error:
            return _pause_connection(document, worker, error)
        except PermanentError as error:
            return _fail(document, worker, error.reason, error.reasons, error.message, error.raw)
        except Exception as error:
            log.exception("internal error document=%s worker=%s", document.pk, worker)
            return _fail(
                document,
                worker,
                FailureReason.INTERNAL,
                [Reason("internal_error", {"error": type(error).__name__})],
                f"belegsync hit an internal error ({type(error).__name__}); "
                "support has the details.",
                repr(error),
            )
    except (LeaseLost, IllegalTransition):
        # Another worker took the document over (this one was too slow): it owns
        # the outcome now; record nothing.
        log.warning("lease lost document=%s worker=%s", document.pk, worker)
        return document
    try:
        done = transition(
            document,
            "complete",
            actor=worker,
            extra_filter={"lease_owner": worker},
            message=f"transferred: {ref.remote_id}",
            detail={"remote_id": ref.remote_id},
            remote_id=ref.remote_id,
            remote_url=ref.url,
            lease_owner="",
            lease_until=None,
            retry_at=None,
            failure_reason="",
            failure_details=None,
            raw_error="",
        )
    except IllegalTransition:
        log.warning("lease lost document=%s worker=%s", document.pk, worker)
        return document
    log.info(
        "step=complete document=%s connection=%s worker=%s",
        document.pk,
        document.connection_id,
        worker,
    )
    crash_point("complete")
    return done


def _retry_later(document: Document, worker: str, error: RetryableError, system: str) -> Document:
    now = timezone.now()
    attempts = Document.objects.filter(pk=document.pk).values_list("attempts", flat=True).get()
    if attempts >= MAX_ATTEMPTS:
        retry_at = now + _backoff_max()
        message = (
            f"The target is unavailable ({error.message}); tried {attempts} times. "
            f"Will retry at {timezone.localtime(retry_at):%Y-%m-%d %H:%M}."
        )
        unavailable = Reason(
            "unavailable_retrying",
            {
                "system": error.params.get("system") or system,
                "attempts": attempts,
                "retry_at": retry_at,
            },
        )
        return _fail(
            document,
            worker,
            FailureReason.UNAVAILABLE,
            [unavailable],
            message,
            error.raw,
            retry_at=retry_at,
        )
    delay = backoff(attempts)
    if error.retry_after:
        delay = max(delay, dt.timedelta(seconds=error.retry_after))
    return transition(
        document,
        "release",
        actor=worker,
        extra_filter={"lease_owner": worker},
        message=f"{error.message} Will retry at {timezone.localtime(now + delay):%H:%M:%S}.",
        detail={
            "raw": error.raw[:500],
            "status": error.status,
            "retry_at": (now + delay).isoformat(),
            "reasons": as_json(error.reasons),
        },
        retry_at=now + delay,
        lease_owner="",
        lease_until=None,
    )


def _fail(
    document: Document,
    worker: str,
    reason: FailureReason,
    reasons: list[Reason],
    message: str,
    raw: str,
    retry_at: dt.datetime | None = None,
) -> Document:
    """Fail the document with its reasons (what the merchant reads) and the raw answer.

    ``message`` is the English summary for the log and support.
    """
    details = as_json(reasons)
    return transition(
        document,
        "fail",
        actor=worker,
        extra_filter={"lease_owner": worker},
        message=message,
        detail={"reason": reason.value, "reasons": details},
        failure_reason=reason.value,
        failure_details=details or None,
        raw_error=raw,
        retry_at=retry_at,
        lease_owner="",
        lease_until=None,
    )


def _pause_connection(document: Document, worker: str, error: ConnectorError) -> Document:
    """Credentials refused: pause the whole connection; the document waits, it did not fail."""
    details = as_json(error.reasons)
    Connection.objects.filter(pk=document.connection_id).update(
        paused_reason=error.message, pause_details=details or None
    )
    log.warning("connection paused connection=%s reason=auth", document.connection_id)
    notify.connection_paused(document.connection_id, webhook=False)  # its event is the webhook
    return transition(
        document,
        "release",
        actor=worker,
        extra_filter={"lease_owner": worker},
        message=f"Connection paused: {error.message}",
        detail={"paused": True, "reasons": details},
        lease_owner="",
        lease_until=None,
    )
