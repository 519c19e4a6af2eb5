"""Failures, skip reasons and pauses as reasons (code + parameters) instead of English text.

Existing rows are converted: a voucher that did not add up is validated again
(the same problems, now with their parameters); the texts belegsync wrote so
far are read back into their codes by the patterns frozen below; a text no
pattern recognises is kept as it was, as a ``legacy`` reason. History entries
of failures and skips get the same reasons in their detail.

The new columns are nullable without a default, so SQLite adds them with
``ALTER TABLE ADD COLUMN`` and never rebuilds the documents table (a rebuild
would drop the table's triggers).
"""

import datetime as dt
import re
from zoneinfo import ZoneInfo

from django.db import migrations, models

BERLIN = ZoneInfo("Europe/Berlin")

#: Billbee's order states as belegsync named them in its texts until now.
BILLBEE_STATES = {
    "Bestellt": 1, "Bestätigt": 2, "Zahlung erhalten": 3, "Versendet": 4, "Reklamation": 5,
    "Gelöscht": 6, "Abgeschlossen": 7, "Storniert": 8, "Archiviert": 9, "Rated": 10,
    "Mahnung": 11, "Mahnung 2": 12, "Gepackt": 13, "Angeboten": 14,
    "Zahlungserinnerung": 15, "Im Fulfillment": 16, "Retoure": 17,
}


def _day(text):
    return dt.datetime.strptime(text, "%d.%m.%Y").date().isoformat()


def _state(name):
    return BILLBEE_STATES.get(name, name)


def _states(names):
    return [str(_state(n)) for n in names.split(", ") if n and n != "none"]


#: (pattern, code, params from the match) for every text the sources and the engine wrote.
PATTERNS = [
    (r"Ordered on (\d\d\.\d\d\.\d{4}), before the start date (\d\d\.\d\d\.\d{4})\.",
     "skip.before_start_date", lambda m: {"order_date": _day(m[1]), "start_date": _day(m[2])}),
    (r"Dated (\d\d\.\d\d\.\d{4}), before the start date (\d\d\.\d\d\.\d{4})\.",
     "skip.dated_before_start_date",
     lambda m: {"invoice_date": _day(m[1]), "start_date": _day(m[2])}),
    (r"Shop (.+?) is not selected in the connection's settings\.",
     "skip.shop_not_selected", lambda m: {"shop": m[1]}),
    (r"The order is in state (.+?); only (.+?) are transferred\.",
     "billbee.state_not_selected",
     lambda m: {"order_state": _state(m[1]), "order_states": _states(m[2])}),
    (r"The order has not been in a selected state yet \(now: (.+?); selected: (.+?)\)\.",
     "billbee.state_not_reached",
     lambda m: {"order_state": _state(m[1]), "order_states": _states(m[2])}),
    (r"Payment method (.+?) is not mapped to an account; map it in the connection's settings "
     r"\(step 3: accounts\) or choose to book unassigned payments as standard payment\.",
     "skip.payment_not_mapped", lambda m: {"methods": m[1].split(", ")}),
    (r"Billbee has not issued an invoice for order (.*?) yet; it is transferred once the "
     r"invoice exists\.", "billbee.no_invoice_yet", lambda m: {"number": m[1]}),
    (r"Order (.*?) is taxed under the margin scheme \(Differenzbesteuerung\), which belegsync "
     r"does not transfer; book it by hand\.", "billbee.margin_scheme", lambda m: {"number": m[1]}),
    (r"Order (.*?) has invoice (.*?) but no invoice date in Billbee; open the order in Billbee "
     r"and check the invoice\.", "billbee.no_invoice_date",
     lambda m: {"number": m[1], "refers_to": m[2]}),
    (r"(Credit notes|Invoices) are not selected in the connection's settings\.",
     "skip.kind_not_selected",
     lambda m: {"kind": "credit_note" if m[1] == "Credit notes" else "invoice"}),
    (r"The invoice was issued outside Afterbuy \(e\.g\. by Amazon\); it is booked from there, "
     r"not from Afterbuy\.", "afterbuy.invoiced_elsewhere", lambda m: {}),
    (r"Afterbuy order (.+?): \w+ '(.*?)' is not a number\.",
     "afterbuy.not_a_number", lambda m: {"number": m[1], "value": m[2]}),
    (r"Afterbuy order (.+?): \w+ '(.*?)' is not a date \(dd\.mm\.yyyy\)\.",
     "afterbuy.not_a_date", lambda m: {"number": m[1], "value": m[2]}),
    (r"Afterbuy order (.+?) has no invoice date yet\.",
     "afterbuy.no_invoice_date", lambda m: {"number": m[1]}),
    (r"belegsync hit an internal error \((\w+)\); support has the details\.",
     "internal_error", lambda m: {"error": m[1]}),
    (r"The target is unavailable \(.*\); tried (\d+) times\. Will retry at "
     r"(\d{4}-\d\d-\d\d \d\d:\d\d)\.", "unavailable_retrying",
     lambda m: {"attempts": int(m[1]), "retry_at": dt.datetime.strptime(m[2], "%Y-%m-%d %H:%M")
                .replace(tzinfo=BERLIN).isoformat()}),
]
COMPILED = [(re.compile(p), code, params) for p, code, params in PATTERNS]


def read_back(text, **extra):
    """The reasons an old text consists of; one legacy reason if any part is unknown."""
    text = (text or "").strip()
    if not text:
        return None
    reasons, rest = [], text
    while rest:
        for pattern, code, params in COMPILED:
            match = pattern.match(rest)
            if match:
                values = params(match)
                if code == "unavailable_retrying":
                    values["system"] = extra.get("system", "")
                reasons.append({"code": code, "params": values} if values else {"code": code})
                rest = rest[match.end():].strip()
                break
        else:
            return [{"code": "legacy", "params": {"text": text}}]
    return reasons


def revalidated(voucher):
    """A voucher's problems by today's rules, with their parameters; None if unreadable."""
    from belegsync.bookkeeping import validate, voucher_from_dict
    from belegsync.connectors.reasons import Reason, as_json

    try:
        problems = validate(voucher_from_dict(voucher))
    except (KeyError, ValueError, TypeError, ArithmeticError):
        return None
    return as_json(Reason.of(p) for p in problems) or None


def _target_name(kind):
    from belegsync.connectors import registry

    try:
        return str(registry.target_class(kind).verbose_name)
    except Exception:  # an adapter removed since: its identifier will do
        return kind


def forwards(apps, schema_editor):
    Document = apps.get_model("documents", "Document")
    Event = apps.get_model("documents", "Event")
    Connection = apps.get_model("documents", "Connection")
    rows = (
        Document.objects.exclude(failure_message="", skip_reason="")
        .select_related("connection")
        .only("id", "voucher", "failure_reason", "failure_message", "skip_reason",
              "connection__target_kind")
    )
    for document in rows.iterator(chunk_size=500):
        failure = None
        if document.failure_message:
            if document.failure_reason == "validation":
                failure = revalidated(document.voucher)
            failure = failure or read_back(
                document.failure_message, system=_target_name(document.connection.target_kind)
            )
        skips = read_back(document.skip_reason)
        Document.objects.filter(pk=document.pk).update(failure_details=failure, skip_details=skips)
        events = Event.objects.filter(document_id=document.pk, action__in=("import", "fail", "skip"))
        for event in events.exclude(message=""):
            if event.detail.get("reasons"):
                continue
            if failure and event.message == document.failure_message:
                reasons = failure
            elif event.action == "fail" or event.to_state == "failed":
                reasons = read_back(event.message)
            elif event.action == "skip" or event.to_state == "skipped":
                reasons = read_back(event.message)
            else:
                continue
            if reasons:
                Event.objects.filter(pk=event.pk).update(detail={**event.detail, "reasons": reasons})
    for connection in Connection.objects.exclude(paused_reason=""):
        text = connection.paused_reason
        if "not set up completely" in text:
            details = [{"code": "connection.incomplete"}]
        else:
            details = [{"code": "legacy", "params": {"text": text}}]
        Connection.objects.filter(pk=connection.pk).update(pause_details=details)


def _text(reasons):
    parts = []
    for reason in reasons or []:
        params = reason.get("params") or {}
        parts.append(str(params.get("text") or reason.get("code")))
    return " ".join(parts)


def backwards(apps, schema_editor):
    """Back to text columns: legacy texts as they were, every other reason by its code."""
    Document = apps.get_model("documents", "Document")
    rows = Document.objects.filter(
        models.Q(failure_details__isnull=False) | models.Q(skip_details__isnull=False)
    )
    for document in rows.iterator(chunk_size=500):
        Document.objects.filter(pk=document.pk).update(
            failure_message=_text(document.failure_details),
            skip_reason=_text(document.skip_details),
        )


class Migration(migrations.Migration):

    dependencies = [
        ("documents", "0001_initial"),
    ]

    operations = [
        migrations.AddField(
            model_name="document",
            name="failure_details",
            field=models.JSONField(blank=True, null=True),
        ),
        migrations.AddField(
            model_name="document",
            name="skip_details",
            field=models.JSONField(blank=True, null=True),
        ),
        migrations.AddField(
            model_name="connection",
            name="pause_details",
            field=models.JSONField(blank=True, null=True),
        ),
        migrations.RunPython(forwards, backwards),
    ]
