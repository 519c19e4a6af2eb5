"""The CSV upload page: guide, file, progress, column mapping, result summary."""

from __future__ import annotations

from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import NoReverseMatch, reverse
from django.utils.translation import get_language
from django.views.decorators.http import require_http_methods

from belegsync.web import scoping

from .forms import MappingForm, UploadForm
from .importer import ImportRecord, UploadTooLarge, max_upload_bytes, save_upload
from .tasks import import_upload

#: Outcome → the document list state its documents are in.
OUTCOME_STATES = {
    "created": "waiting",
    "updated": "waiting",
    "unchanged": "",
    "already_transferred": "done",
    "failed": "failed",
}


def _afterbuy_connections(request: HttpRequest):  # type: ignore[no-untyped-def]
    return scoping.connections(request).filter(source_kind__startswith="afterbuy").order_by("name")


def _record_or_404(request: HttpRequest, import_id: str) -> ImportRecord:
    try:
        record = ImportRecord.load(import_id)
    except (FileNotFoundError, ValueError):
        raise Http404("No such import.") from None
    if record.organisation_id != scoping.organisation_of(request).pk:
        raise Http404("No such import.")
    return record


@require_http_methods(["GET", "POST"])
def upload(request: HttpRequest, pk: int | None = None) -> HttpResponse:
    connections = _afterbuy_connections(request)
    initial = {"connection": scoping.connection_or_404(request, pk)} if pk is not None else {}
    form = UploadForm(
        request.POST or None, request.FILES or None, connections=connections, initial=initial
    )
    limit_mb = max_upload_bytes() // (1024 * 1024)
    if request.method == "POST" and form.is_valid():
        upload_file = form.cleaned_data["file"]
        german = get_language().startswith("de")
        try:
            if upload_file.size > max_upload_bytes():
                raise UploadTooLarge(upload_file.size, max_upload_bytes())
            record = save_upload(
                form.cleaned_data["connection"],
                upload_file.chunks(),
                upload_file.name,
                mode=form.cleaned_data["mode"],
                actor=request.user.get_username(),
            )
        except UploadTooLarge as error:
            form.add_error("file", error.message_de if german else error.message_en)
        else:
            import_upload.enqueue(record.id)
            return redirect("afterbuy:import", import_id=record.id)
    return render(
        request,
        "afterbuy/upload.html",
        {"form": form, "limit_mb": limit_mb, "has_connections": connections.exists()},
    )


def _summary(record: ImportRecord) -> list[dict[str, object]]:
    rows = []
    for outcome, label in (
        ("created", "new"),
        ("updated", "updated"),
        ("unchanged", "unchanged"),
        ("already_transferred", "skipped"),
        ("failed", "failed"),
        ("rejected", "not imported"),
    ):
        state = OUTCOME_STATES.get(outcome)
        link = ""
        if state is not None:
            try:
                link = reverse("documents") + f"?connection={record.connection_id}"
                link += f"&state={state}" if state else ""
            except NoReverseMatch:
                link = ""
        rows.append(
            {
                "outcome": outcome,
                "label": label,
                "count": getattr(record, outcome),
                "link": link,
                "numbers": record.numbers.get(outcome, []),
            }
        )
    return rows


def _context(request: HttpRequest, record: ImportRecord) -> dict[str, object]:
    language = get_language()
    return {
        "record": record,
        "summary": _summary(record),
        "german": language.startswith("de"),
        "problems": [p["de" if language.startswith("de") else "en"] for p in record.problems],
        "file_error": (record.file_error or {}).get("de" if language.startswith("de") else "en"),
        "running": record.status in ("pending", "running"),
    }


def status(request: HttpRequest, import_id: str) -> HttpResponse:
    record = _record_or_404(request, import_id)
    if record.status == "needs_mapping":
        return redirect("afterbuy:import_mapping", import_id=record.id)
    return render(request, "afterbuy/import.html", _context(request, record))


def progress(request: HttpRequest, import_id: str) -> HttpResponse:
    record = _record_or_404(request, import_id)
    response = render(request, "afterbuy/_result.html", _context(request, record))
    if record.status == "needs_mapping":
        response["HX-Redirect"] = reverse("afterbuy:import_mapping", args=[record.id])
    return response


@require_http_methods(["GET", "POST"])
def mapping(request: HttpRequest, import_id: str) -> HttpResponse:
    record = _record_or_404(request, import_id)
    error = record.file_error or {}
    if record.status != "needs_mapping" or not error.get("missing"):
        return redirect("afterbuy:import", import_id=record.id)
    connection = scoping.connection_or_404(request, record.connection_id)
    missing = [key for key in error["missing"] if not key.startswith(("net_", "tax_"))]
    form = MappingForm(
        request.POST or None, missing=missing, headers=error["headers"], language=get_language()
    )
    if request.method == "POST" and form.is_valid() and missing:
        saved = dict(connection.settings.get("csv_mapping") or {})
        saved.update(form.cleaned_data)
        connection.settings = {**connection.settings, "csv_mapping": saved}
        connection.save(update_fields=["settings"])
        record.status = "pending"
        record.save()
        import_upload.enqueue(record.id)
        return redirect("afterbuy:import", import_id=record.id)
    context = _context(request, record)
    context.update({"form": form, "unmappable": [k for k in error["missing"] if k not in missing]})
    return render(request, "afterbuy/mapping.html", context)
