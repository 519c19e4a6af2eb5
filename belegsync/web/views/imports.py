"""The one upload page for every file source, and an import's progress and result."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_http_methods, require_POST

from belegsync.documents.models import Connection
from belegsync.documents.roles import Permission
from belegsync.reasons import file_problem
from belegsync.reasons.words import delimiter_label
from belegsync.services import Actor
from belegsync.services import connections as connection_services
from belegsync.services import imports as services
from belegsync.services.actor import NotAllowed
from belegsync.sync.models import ImportJob, ImportOutcome
from belegsync.web import scoping
from belegsync.web.roles import requires

from .common import is_htmx

#: Outcome → the document list state its documents are in ("" for any).
OUTCOME_STATES = {
    ImportOutcome.CREATED: "waiting",
    ImportOutcome.UPDATED: "waiting",
    ImportOutcome.SKIPPED: "skipped",
    ImportOutcome.ALREADY_TRANSFERRED: "done",
    ImportOutcome.FAILED: "failed",
}


class UploadForm(forms.Form):
    connection = forms.ModelChoiceField(
        queryset=Connection.objects.none(), label=gettext_lazy("Connection")
    )
    file = forms.FileField(label=gettext_lazy("File"))
    mode = forms.ChoiceField(
        label=gettext_lazy("When some rows have problems"),
        choices=ImportJob.Mode.choices,
        initial=ImportJob.Mode.VALID,
        widget=forms.RadioSelect,
    )

    def __init__(self, *args: Any, connections: list[Connection], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field = self.fields["connection"]
        assert isinstance(field, forms.ModelChoiceField)
        field.queryset = Connection.objects.filter(pk__in=[c.pk for c in connections])
        if len(connections) == 1:
            field.initial = connections[0]


def _guides(connections: list[Connection]) -> list[str]:
    """The upload guides (templates) of the sources these connections read, once each."""
    guides: list[str] = []
    for connection in connections:
        cls = services.file_source_class(connection)
        guide = getattr(cls, "upload_guide", "")
        if guide and guide not in guides:
            guides.append(guide)
    return guides


def _file_label(connection: Connection) -> str:
    return str(getattr(services.file_source_class(connection), "file_label", ""))


@requires(Permission.IMPORT_FILES)
@require_http_methods(["GET", "POST"])
def upload(request: HttpRequest, pk: int | None = None) -> HttpResponse:
    actor = Actor.of(request.user)
    connections = services.importable_connections(actor)
    initial = {"connection": scoping.connection_or_404(request, pk)} if pk is not None else {}
    form = UploadForm(
        request.POST or None, request.FILES or None, connections=connections, initial=initial
    )
    if request.method == "POST" and form.is_valid():
        upload_file = form.cleaned_data["file"]
        try:
            if upload_file.size > services.max_upload_bytes():
                raise services.UploadRefused(services.too_large_message())
            job = services.start_import(
                actor,
                form.cleaned_data["connection"],
                upload_file.chunks(),
                upload_file.name,
                mode=form.cleaned_data["mode"],
            )
        except services.UploadRefused as error:
            form.add_error("file", str(error))
        else:
            return redirect("import_job", pk=job.pk)
    chosen = [c for c in connections if pk is None or c.pk == pk] or connections
    return render(
        request,
        "web/import_upload.html",
        {
            "form": form,
            "limit_mb": services.max_upload_bytes() // (1024 * 1024),
            "has_connections": bool(connections),
            "guides": _guides(chosen),
            "labels": sorted(
                {str(getattr(services.file_source_class(c), "file_label", "")) for c in chosen}
            ),
        },
    )


def _job_or_404(request: HttpRequest, pk: int) -> ImportJob:
    try:
        return services.job(Actor.of(request.user), pk)
    except NotAllowed:
        raise Http404("No such import.") from None


def _summary(job: ImportJob) -> list[dict[str, object]]:
    rows = []
    documents = reverse("documents")
    for outcome in ImportOutcome:
        count = job.count(outcome)
        if not count and outcome not in (ImportOutcome.CREATED, ImportOutcome.REJECTED):
            continue
        state = OUTCOME_STATES.get(outcome)
        link = f"{documents}?connection={job.connection_id}&state={state}" if state else ""
        rows.append(
            {
                "outcome": outcome.value,
                "label": outcome.label,
                "count": count,
                "link": link,
                "numbers": job.numbers.get(outcome.value, []),
            }
        )
    return rows


def _context(request: HttpRequest, job: ImportJob) -> dict[str, object]:
    connection = job.connection
    return {
        "job": job,
        "summary": _summary(job),
        "details": _details(job),
        "problems": [file_problem(p) for p in job.problems[:200]],
        "file_error": file_problem(job.file_error) if job.file_error else "",
        "running": not job.finished,
        "transfers": job.state == ImportJob.State.DONE and not job.nothing_imported,
        "connection": connection,
        "connection_active": connection.is_active,
    }


def _details(job: ImportJob) -> list[str]:
    """What was detected about the file (encoding, separator), in the reader's words."""
    details = job.details or {}
    shown = []
    if details.get("encoding"):
        shown.append(_("read as %(encoding)s") % {"encoding": details["encoding"]})
    if details.get("delimiter"):
        separator = delimiter_label(str(details["delimiter"]))
        shown.append(_("separator: %(separator)s") % {"separator": separator})
    return shown


@requires(Permission.IMPORT_FILES)
def job_page(request: HttpRequest, pk: int) -> HttpResponse:
    job = _job_or_404(request, pk)
    mapping = _mapping_url(job)
    if mapping:
        return redirect(mapping)
    return render(request, "web/import_job.html", _context(request, job))


@requires(Permission.IMPORT_FILES)
def progress(request: HttpRequest, pk: int) -> HttpResponse:
    job = _job_or_404(request, pk)
    response = render(request, "web/_import_result.html", _context(request, job))
    mapping = _mapping_url(job)
    if mapping:
        response["HX-Redirect"] = mapping
    return response


def _mapping_url(job: ImportJob) -> str:
    """The source's own page to assign the file's columns, when that is what is missing."""
    if job.state != ImportJob.State.NEEDS_MAPPING:
        return ""
    name = getattr(services.file_source_class(job.connection), "mapping_url_name", "")
    return reverse(name, args=[job.pk]) if name else ""


@requires(Permission.IMPORT_FILES)
@require_POST
def try_again(request: HttpRequest, pk: int) -> HttpResponse:
    """A failed import, queued again (resumed where its worker was lost)."""
    job = _job_or_404(request, pk)
    if job.state == ImportJob.State.FAILED:
        services.import_again(Actor.of(request.user), job)
        messages.success(request, _("The import starts again."))
    return redirect("import_job", pk=job.pk)


@requires(Permission.IMPORT_FILES)
@require_POST
def transfer_now(request: HttpRequest, pk: int) -> HttpResponse:
    job = _job_or_404(request, pk)
    if connection_services.sync_now(Actor.of(request.user), job.connection):
        messages.success(request, _("Transfer requested; it starts within a few seconds."))
    else:
        messages.warning(
            request, _("The connection transfers as soon as it is enabled and not paused.")
        )
    if is_htmx(request):
        return render(request, "web/_import_result.html", _context(request, job))
    return redirect("import_job", pk=job.pk)
