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

<<<<<<< HEAD
from belegsync.documents.roles import Permission
=======
from belegsync.reasons import file_problem
>>>>>>> f1ea608 (An upload's problems as reason codes: every bad row of a Rechnungsliste and every file that cannot be read is stored as a code with its parameters and where it is (line, column as headed, value), rendered in the reader's language with what to do (du) on the result page, the mapping page, belegsync import and preview; no more German/English text pairs in code (RowProblem, UnreadableFile). Separator and missing columns named in the reader's words; old import jobs keep their texts (sync 0003); the import job and mapping pages join the German check)
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
