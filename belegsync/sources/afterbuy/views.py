"""Assign the columns of a Rechnungsliste that belegsync did not recognise.

The upload itself is the one upload page of every file source
(:mod:`belegsync.web.views.imports`); this page is Afterbuy's own step when a
file's headers are unknown. The choice is saved in the connection's settings
and the file is imported again.
"""

from __future__ import annotations

from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_http_methods

from belegsync.documents.roles import Permission
from belegsync.reasons import file_problem
from belegsync.services import Actor, connections
from belegsync.services import imports as services
from belegsync.services.actor import NotAllowed
from belegsync.sync.models import ImportJob
from belegsync.web.roles import requires

from .forms import MappingForm


@requires(Permission.IMPORT_FILES)
@require_http_methods(["GET", "POST"])
def mapping(request: HttpRequest, pk: int) -> HttpResponse:
    actor = Actor.of(request.user)
    try:
        job = services.job(actor, pk)
    except NotAllowed:
        raise Http404("No such import.") from None
    error = job.file_error or {}
    if job.state != ImportJob.State.NEEDS_MAPPING or not error.get("missing"):
        return redirect("import_job", pk=job.pk)
    connection = job.connection
    missing = [key for key in error["missing"] if not key.startswith(("net_", "tax_"))]
    form = MappingForm(request.POST or None, missing=missing, headers=error["headers"])
    if request.method == "POST" and form.is_valid() and missing:
        saved = connection.settings_of("source").model_dump().get("csv_mapping", {})
        connections.update_settings(
            actor, connection, "source", {"csv_mapping": {**saved, **form.cleaned_data}}
        )
        services.import_again(actor, job)
        return redirect("import_job", pk=job.pk)
    context = {
        "job": job,
        "form": form,
        "file_error": file_problem(error),
        "unmappable": [k for k in error["missing"] if k not in missing],
    }
    return render(request, "afterbuy/mapping.html", context)
