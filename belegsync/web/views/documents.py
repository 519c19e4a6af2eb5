"""The document lists of the first product page, the detail page, and the merchant's actions."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.functional import Promise
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext
from django.views.decorators.http import require_POST

from belegsync.bookkeeping import Voucher, warnings
from belegsync.connectors.reasons import Reason
from belegsync.documents import listing
from belegsync.documents.labels import ACTION_LABELS, STATE_LABELS
from belegsync.documents.models import Connection, Document, DocumentFile
from belegsync.documents.roles import Permission
from belegsync.documents.states import State
from belegsync.reasons.render import render_all
from belegsync.services import Actor
from belegsync.services import documents as services
from belegsync.web import paging, scoping
from belegsync.web.roles import requires

from .common import back, url_of_id

PAGE_SIZE = 50
#: What the list reads of a connection: the filter's choices and each row's name.
SHOP_COLUMNS = ("id", "name", "archived_at")

#: What the page asks before an action runs, in its own dialog (none of them is undone
#: by a click: a reset transfers again, a mark hides the error, a re-upload replaces data).
CONFIRMS: dict[str, Promise] = {
    "reset": gettext_lazy(
        "Process this document again? belegsync first asks the bookkeeping system whether "
        "it is there already, so nothing is booked twice."
    ),
    "mark_manually_imported": gettext_lazy(
        "Mark it as manually imported? Do this only if you booked it yourself: belegsync "
        "will not transfer it and shows no error for it any more."
    ),
    "reupload": gettext_lazy(
        "Transfer it again with the newest data? Delete the voucher in the bookkeeping "
        "system first; belegsync refuses to book it twice."
    ),
}
BULK_CONFIRM = gettext_lazy("Apply “{action}” to {count} selected documents?")


def _may_act(request: HttpRequest) -> bool:
    """The tax advisor sees the documents without the buttons their role may not press."""
    return Actor.of(request.user).may(Permission.ACT_ON_DOCUMENTS)


def offered(state: str, *, archived: bool = False) -> list[tuple[str, str, str]]:
    """(action, label, confirmation) of the actions a document in ``state`` allows;
    of an archived connection's, none that sends."""
    return [
        (a.value, str(ACTION_LABELS[a]), str(CONFIRMS[a.value]))
        for a in services.ACTIONS_FOR_STATE[state]
        if not (archived and a in services.SENDING)
    ]


@dataclass(frozen=True)
class Filters:
    state: str
    number: str
    date_from: dt.date | None
    date_to: dt.date | None
    connection: Connection | None
    after: int | None

    @property
    def listing(self) -> listing.Filters:
        return listing.Filters(
            state=self.state,
            number=self.number,
            date_from=self.date_from,
            date_to=self.date_to,
            connection_id=self.connection.pk if self.connection is not None else None,
        )


def _date(value: str) -> dt.date | None:
    try:
        return dt.date.fromisoformat(value) if value else None
    except ValueError:
        return None


def _int(value: str) -> int | None:
    try:
        return int(value) if value else None
    except ValueError:
        return None


def read_filters(request: HttpRequest, shops: list[Connection]) -> Filters:
    """The list's filters; no (or an unknown) state means every state. A connection
    not among ``shops`` (the organisation's, read by the view) answers 404."""
    state = request.GET.get("state", "")
    if state not in State.values:
        state = ""
    connection = None
    connection_id = _int(request.GET.get("connection", ""))
    if connection_id is not None:
        connection = scoping.connection_among_or_404(shops, connection_id)
    return Filters(
        state=state,
        number=request.GET.get("number", "").strip(),
        date_from=_date(request.GET.get("from", "")),
        date_to=_date(request.GET.get("to", "")),
        connection=connection,
        after=_int(request.GET.get("after", "")),
    )


@requires(Permission.VIEW_DOCUMENTS)
def document_list(request: HttpRequest) -> HttpResponse:
    # the organisation's connections, read once: the filter's choices, the scope of the
    # list and each row's connection (its name), instead of three queries and a join
    shops = list(scoping.connections(request).only(*SHOP_COLUMNS).order_by("name"))
    filters = read_filters(request, shops)
    connection_ids = [c.pk for c in shops]
    documents = listing.filtered(scoping.documents(request), connection_ids, filters.listing)
    found = listing.Found(documents, connection_ids, filters.listing)
    rows, where = paging.page(
        request,
        documents,
        PAGE_SIZE,
        shown=lambda rows: rows.only(*listing.ROW_COLUMNS),
        # the kept counts where they answer, not a COUNT over the state's documents
        total=found.total,
        # the ids from an index alone (a month, a search), then only the page's rows
        ids=found.ids,
    )
    by_id = {c.pk: c for c in shops}
    for row in rows:
        row.connection = by_id[row.connection_id]
    actions = offered(filters.state) if filters.state and _may_act(request) else []
    _link_rows(rows, actions)
    return render(
        request,
        "web/document_list.html",
        {
            "filters": filters,
            "state_label": STATE_LABELS[filters.state] if filters.state else "",
            "states": [(code, STATE_LABELS[code]) for code in State.values],
            "documents": rows,
            "pages": where,
            "connections": shops,
            "actions": actions,
            "bulk_confirm": BULK_CONFIRM,
        },
    )


def _link_rows(rows: list[Document], actions: list[tuple[str, str, str]]) -> None:
    """Each row's link (``url``) and buttons (``row_actions``: URL, label, confirmation),
    every URL reversed once for the page, not once per row and button."""
    detail = url_of_id("document")
    action = {code: url_of_id("document_action", code) for code, _label, _confirm in actions}
    for row in rows:
        archived = row.connection.archived_at is not None
        buttons = offered(row.state, archived=True) if archived and actions else actions
        row.url = detail(row.pk)  # type: ignore[attr-defined]
        row.row_actions = [  # type: ignore[attr-defined]
            (action[code](row.pk), label, confirm) for code, label, confirm in buttons
        ]


def voucher_warnings(voucher: Voucher, currency: str) -> list[str]:
    """What is bookable but worth a look (``bookkeeping.warnings``), in the reader's words."""
    return render_all((Reason.of(p) for p in warnings(voucher)), currency)


@requires(Permission.VIEW_DOCUMENTS)
def document_detail(request: HttpRequest, pk: int) -> HttpResponse:
    document = scoping.document_or_404(request, pk)
    try:
        voucher = document.as_voucher()
    except (KeyError, ValueError, TypeError, ArithmeticError):
        voucher = None
    return render(
        request,
        "web/document_detail.html",
        {
            "document": document,
            "voucher": voucher,
            "tax_groups": voucher.tax_groups() if voucher else (),
            "warnings": voucher_warnings(voucher, document.currency) if voucher else [],
            "has_file": DocumentFile.objects.filter(document=document).exists(),
            "events": document.events.select_related("user").order_by("at", "id"),
            "actions": offered(document.state, archived=document.connection.archived_at is not None)
            if _may_act(request)
            else [],
            "competing": services.competing(document),
            "may_act": _may_act(request) and document.connection.archived_at is None,
        },
    )


@requires(Permission.ACT_ON_DOCUMENTS)
@require_POST
def keep_for_number(request: HttpRequest, pk: int) -> HttpResponse:
    """ "Keep this one": the chosen shop document is sent under the number, the others
    are skipped (``services.keep_for_number``)."""
    document = scoping.document_or_404(request, pk)
    source_id = request.POST.get("source_id", "")
    outcome = services.keep_for_number(Actor.of(request.user), document, source_id)
    if outcome.ok:
        skipped = [r.source_id for r in services.competing(outcome.document) if r.skipped]
        messages.success(
            request,
            _("Kept %(source_id)s for %(number)s; skipped: %(skipped)s")
            % {
                "source_id": source_id,
                "number": document.source_number,
                "skipped": ", ".join(skipped),
            },
        )
    else:
        messages.error(request, outcome.message)
    return back(request, "document", document.pk)


@requires(Permission.VIEW_DOCUMENTS)
def document_pdf(request: HttpRequest, pk: int) -> HttpResponse:
    document = scoping.document_or_404(request, pk)
    file = DocumentFile.objects.filter(document=document).first()
    if file is None:
        raise Http404("This document has no PDF.")
    response = HttpResponse(bytes(file.content), content_type="application/pdf")
    response["Content-Disposition"] = f'attachment; filename="{_safe_filename(file.filename)}"'
    return response


def _safe_filename(name: str) -> str:
    return "".join(c for c in name if c.isalnum() or c in "._- ") or "document.pdf"


# --- actions ---------------------------------------------------------------------------


def report(request: HttpRequest, action: str, outcomes: list[services.Outcome]) -> None:
    """One message for what worked (naming each document) and one per refusal."""
    done = [o.document.source_number for o in outcomes if o.ok]
    if done:
        messages.success(
            request,
            ngettext(
                "%(action)s: done for %(count)d document: %(numbers)s",
                "%(action)s: done for %(count)d documents: %(numbers)s",
                len(done),
            )
            % {"action": ACTION_LABELS[action], "count": len(done), "numbers": ", ".join(done)},
        )
    for outcome in outcomes:
        if not outcome.ok:
            messages.error(request, outcome.message)
        elif outcome.note:
            messages.info(request, outcome.note)


@requires(Permission.ACT_ON_DOCUMENTS)
@require_POST
def document_action(request: HttpRequest, pk: int, action: str) -> HttpResponse:
    document = scoping.document_or_404(request, pk)
    if action not in ACTION_LABELS:
        raise Http404("No such action.")
    report(request, action, services.act(Actor.of(request.user), action, [document]))
    return back(request, "document", document.pk)


@requires(Permission.ACT_ON_DOCUMENTS)
@require_POST
def bulk_action(request: HttpRequest) -> HttpResponse:
    action = request.POST.get("action", "")
    if action not in ACTION_LABELS:
        messages.error(request, _("Choose an action."))
        return back(request, "documents")
    ids = [i for i in map(_int, request.POST.getlist("ids")) if i is not None]
    if not ids:
        messages.warning(request, _("No document selected."))
        return back(request, "documents")
    outcomes, missing = services.act_on_ids(Actor.of(request.user), action, ids)
    report(request, action, outcomes)
    for pk in missing:
        messages.error(request, _("Document %(id)s not found.") % {"id": pk})
    return back(request, "documents")
