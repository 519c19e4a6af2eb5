"""The order overview across connections, the export dialog, the job history, each format's
settings.

Every query starts at :mod:`belegsync.web.scoping`: another organisation's documents,
jobs and files answer 404.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django import forms
from django.contrib import messages
from django.db.models import Prefetch, QuerySet
from django.http import FileResponse, Http404, HttpRequest, HttpResponse, QueryDict
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext
from django.views.decorators.http import require_http_methods

from belegsync.connectors import registry
from belegsync.connectors.reasons import from_json
from belegsync.connectors.settings import TaxAdvisor
from belegsync.documents import listing
from belegsync.documents.models import Document
from belegsync.documents.roles import Permission
from belegsync.documents.states import State
from belegsync.reasons import render_all, sentence
from belegsync.services import Actor, exports
from belegsync.services import connections as connection_services
from belegsync.web import paging, scoping
from belegsync.web.forms import adapter_form
from belegsync.web.roles import requires

from .models import DocumentShop, DocumentTag, ExportJob, TagOption
from .service import (
    NO_PDFS,
    NOTHING_EXPORTED,
    Criteria,
    count_documents,
    filter_documents,
    recover,
)

PAGE_SIZE = 50
FILTER_KEYS = ("connection", "shop", "from", "to", "state", "tagged", "kind", "q")


def _date(value: str) -> dt.date | None:
    try:
        return dt.date.fromisoformat(value) if value else None
    except ValueError:
        return None


def read_criteria(request: HttpRequest, data: QueryDict) -> Criteria:
    """The overview's filters from a query; a connection of another organisation is a 404."""
    connections = []
    for value in data.getlist("connection"):
        if value.isdigit():
            connections.append(scoping.connection_or_404(request, int(value)).pk)
    state = data.get("state", "")
    kind = data.get("kind", "")
    return Criteria(
        connections=connections,
        shop=data.get("shop", "").strip(),
        date_from=_date(data.get("from", "")),
        date_to=_date(data.get("to", "")),
        state=state if state in State.values else "",
        kind=kind if kind in ("invoice", "credit_note") else "",
        tagged=data.get("tagged", "").strip(),
        search=data.get("q", "").strip(),
    )


def _with_tags(documents: QuerySet[Document]) -> QuerySet[Document]:
    return documents.prefetch_related(
        Prefetch("export_tags", queryset=DocumentTag.objects.order_by("tag"))
    )


@requires(Permission.VIEW_DOCUMENTS)
def overview(request: HttpRequest) -> HttpResponse:
    """All documents of all connections, filtered, newest first, keyset-paged by id."""
    criteria = read_criteria(request, request.GET)
    documents = filter_documents(scoping.documents(request), criteria)
    connection_ids = list(scoping.connections(request).values_list("pk", flat=True))
    rows, pages = paging.page(
        request,
        documents,
        PAGE_SIZE,
        shown=lambda rows: (
            _with_tags(rows)
            .select_related("connection")
            # the row shows the customer's name, so the voucher stays read
            .defer(*(column for column in listing.HEAVY_COLUMNS if column != "voucher"))
        ),
        # the kept counts where they answer, not a COUNT over every matching document
        total=lambda: count_documents(documents, connection_ids, criteria),
    )
    shops = list(
        DocumentShop.objects.filter(connection_id__in=connection_ids, n__gt=0)
        .exclude(shop__iexact="gutschrift")  # stored before the CSV source knew
        .order_by("shop")
        .values_list("shop", flat=True)
        .distinct()[:200]
    )
    return render(
        request,
        "exports/overview.html",
        {
            "criteria": criteria,
            "documents": rows,
            "pages": pages,
            "connections": scoping.connections(request).order_by("name"),
            "shops": shops,
            "states": State.choices,
            "tags": registry.exporter_tags(),
        },
    )


class ExportForm(forms.Form):
    format = forms.ChoiceField(label=gettext_lazy("Format"), choices=registry.exporter_choices)
    option = forms.ChoiceField(
        label=gettext_lazy("Tags"),
        choices=TagOption.choices,
        widget=forms.RadioSelect,
        required=False,
        initial=TagOption.TAG,
    )


def _ids(data: QueryDict) -> list[int]:
    return [int(v) for v in data.getlist("ids") if v.isdigit()]


def _selection(request: HttpRequest, data: QueryDict) -> tuple[QuerySet[Document], Criteria]:
    criteria = read_criteria(request, data)
    documents = filter_documents(scoping.documents(request), criteria)
    if data.get("all") != "1":
        documents = documents.filter(pk__in=_ids(data))
    return documents, criteria


@requires(Permission.DATEV_FILES)
@require_http_methods(["GET", "POST"])
def export_dialog(request: HttpRequest) -> HttpResponse:
    """Choose format and tag option for the selection; POST runs the export."""
    data = request.POST if request.method == "POST" else request.GET
    documents, criteria = _selection(request, data)
    form = ExportForm(request.POST if request.method == "POST" else None)
    actor = Actor.of(request.user)
    if not actor.may(Permission.EXPORT):
        # the tax advisor reads: DATEV files, and no document marked
        advisor = registry.exporter_class(exports.ADVISOR_FORMAT)
        form.fields["format"].choices = [(advisor.identifier, advisor.verbose_name)]
        form.fields["option"].choices = [(TagOption.NONE, TagOption.NONE.label)]
        form.fields["option"].initial = TagOption.NONE
    if request.method == "POST" and form.is_valid():
        ids = None if data.get("all") == "1" else _ids(data)
        job = exports.start_export(
            actor,
            criteria,
            form.cleaned_data["format"],
            option=form.cleaned_data["option"] or TagOption.NONE,
            ids=ids,
        )
        # a task writes the file; the job page follows it and starts the download when it
        # is ready ("Export and download")
        return redirect(reverse("exports:job", args=[job.pk]) + "?download=1")
    hidden = [(key, value) for key in (*FILTER_KEYS, "all", "ids") for value in data.getlist(key)]
    if data.get("all") == "1":
        connection_ids = scoping.connections(request).values_list("pk", flat=True)
        count = count_documents(documents, connection_ids, criteria)
    else:
        count = documents.count()  # the rows ticked on a page
    return render(
        request,
        "exports/dialog.html",
        {"form": form, "count": count, "hidden": hidden, "all": data.get("all") == "1"},
    )


def counts_message(job: ExportJob) -> str:
    """ "1 document exported, 5 left out (5 of them exported in this format before)." """
    exported = ngettext(
        "%(count)d document exported", "%(count)d documents exported", job.exported_count
    ) % {"count": job.exported_count}
    left = ngettext("%(count)d left out", "%(count)d left out", job.left_out_count) % {
        "count": job.left_out_count
    }
    already = int(job.summary.get("already_tagged") or 0)
    if not already:
        return _("%(exported)s, %(left)s.") % {"exported": exported, "left": left}
    before = ngettext(
        "%(count)d of them already carries the tag %(tag)s",
        "%(count)d of them already carry the tag %(tag)s",
        already,
    ) % {"count": already, "tag": job.tag}
    return _("%(exported)s, %(left)s (%(before)s).") % {
        "exported": exported,
        "left": left,
        "before": before,
    }


def error_message(job: ExportJob) -> str:
    """Why the export failed, in the reader's words (an old job's text as it was)."""
    reasons = from_json(job.summary.get("error_reasons"))
    return sentence(render_all(reasons)) if reasons else job.error


def left_out_texts(job: ExportJob) -> list[dict[str, Any]]:
    """The left-out documents with their reasons in the reader's words."""
    return [
        {**entry, "why": sentence(render_all(from_json(entry.get("reasons"))))}
        for entry in job.summary.get("left_out") or []
    ]


def no_file_message(job: ExportJob) -> str:
    """Why a finished export offers no file, or "" when it has one."""
    why = job.summary.get("no_file")
    if why == NO_PDFS:
        return _(
            "No file: none of the selected documents has a PDF, and an empty ZIP would be of "
            "no use. Their PDFs arrive with the next sync from the source."
        )
    if why == NOTHING_EXPORTED:
        return _("No file: not one of the selected documents could be exported.")
    return ""


def _jobs(request: HttpRequest) -> QuerySet[ExportJob]:
    return ExportJob.objects.filter(organisation=scoping.organisation_of(request))


def _job_or_404(request: HttpRequest, pk: int) -> ExportJob:
    try:
        return _jobs(request).select_related("user").get(pk=pk)
    except ExportJob.DoesNotExist:
        raise Http404("No such export.") from None


@requires(Permission.VIEW_DOCUMENTS)
def job_list(request: HttpRequest) -> HttpResponse:
    recover()  # a job whose process died shows as failed, not "running" for ever
    rows, pages = paging.page(
        request, _jobs(request), PAGE_SIZE, shown=lambda jobs: jobs.select_related("user")
    )
    return render(request, "exports/job_list.html", {"jobs": rows, "pages": pages})


@requires(Permission.VIEW_DOCUMENTS)
def job_detail(request: HttpRequest, pk: int) -> HttpResponse:
    recover()
    job = _job_or_404(request, pk)
    return render(request, "exports/job_detail.html", _job_context(request, job))


def _job_context(request: HttpRequest, job: ExportJob) -> dict[str, Any]:
    again = ""
    if job.state == ExportJob.State.FAILED:
        again = f"{reverse('exports:overview')}?{_criteria_query(job.criteria)}"
    download = request.GET.get("download") == "1" and bool(job.file_path)
    return {
        "job": job,
        "running": job.state in (ExportJob.State.QUEUED, ExportJob.State.RUNNING),
        "poll": reverse("exports:job_progress", args=[job.pk])
        + ("?download=1" if request.GET.get("download") == "1" else ""),
        "again": again,
        "counts": counts_message(job) if job.state == ExportJob.State.DONE else "",
        "no_file": no_file_message(job),
        "error": error_message(job) if job.state == ExportJob.State.FAILED else "",
        "left_out": left_out_texts(job),
        "start_download": download,
    }


@requires(Permission.VIEW_DOCUMENTS)
def job_progress(request: HttpRequest, pk: int) -> HttpResponse:
    """The job page's part that htmx asks for while the export runs; once it has ended,
    the page is loaded again whole (the counts, and the download it starts)."""
    recover()
    job = _job_or_404(request, pk)
    context = _job_context(request, job)
    response = render(request, "exports/_job_progress.html", context)
    if not context["running"]:
        response["HX-Refresh"] = "true"
    return response


#: Criteria.as_json() keys → the overview's filter parameters.
_CRITERIA_PARAMS = {
    "connections": "connection",
    "date_from": "from",
    "date_to": "to",
    "state": "state",
    "kind": "kind",
    "shop": "shop",
    "tagged": "tagged",
    "search": "q",
}


def _criteria_query(criteria: dict[str, Any]) -> str:
    """The overview's query that selects again what a job selected ("try again")."""
    query = QueryDict(mutable=True)
    for key, param in _CRITERIA_PARAMS.items():
        value = criteria.get(key)
        for item in value if isinstance(value, list) else [value]:
            if item not in (None, ""):
                query.appendlist(param, str(item))
    return query.urlencode()


@requires(Permission.DATEV_FILES)
def download(request: HttpRequest, pk: int) -> FileResponse:
    job = _job_or_404(request, pk)
    if job.format != exports.ADVISOR_FORMAT:
        Actor.of(request.user).require(Permission.EXPORT)
    path = job.path
    if path is None or not path.exists():
        raise Http404("This export has no file (any more).")
    return FileResponse(path.open("rb"), as_attachment=True, filename=job.file_name)


@requires(Permission.EXPORT)
@require_http_methods(["GET", "POST"])
def format_settings(request: HttpRequest, identifier: str) -> HttpResponse:
    """The organisation's settings of one export format, with its exporter's own form."""
    try:
        exporter = registry.exporter_class(identifier)
    except registry.UnknownKind:
        raise Http404("No such export format.") from None
    form_class = adapter_form(exporter, "settings_form")
    if form_class is None:
        raise Http404("This export format has no settings.")
    actor = Actor.of(request.user)
    uses_advisor = getattr(exporter, "uses_advisor", False)
    initial = exports.format_settings(actor, identifier).model_dump()
    if uses_advisor:
        initial.update(scoping.organisation_of(request).advisor.model_dump())
    form = form_class(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        changes = dict(form.cleaned_data)
        if uses_advisor:
            # the advisor's numbers are the organisation's, for its DATEV connections too
            numbers = {name: changes.pop(name, None) for name in TaxAdvisor.model_fields}
            connection_services.set_tax_advisor(actor, TaxAdvisor.model_validate(numbers))
        exports.update_format_settings(actor, identifier, changes)
        messages.success(
            request, _("Settings of %(format)s saved.") % {"format": exporter.verbose_name}
        )
        return redirect("exports:format_settings", identifier=identifier)
    return render(
        request,
        "exports/format_settings.html",
        {"form": form, "exporter": exporter, "help": getattr(exporter, "settings_help", "")},
    )
