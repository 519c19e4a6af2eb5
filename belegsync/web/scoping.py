"""Organisation scoping: every query of a view starts here, so another organisation's
documents and connections answer 404, never 403 (which would confirm they exist)."""

from __future__ import annotations

from collections.abc import Iterable

from django.db.models import QuerySet
from django.http import Http404, HttpRequest

from belegsync.documents.models import Connection, Document, Organisation


def organisation_of(request: HttpRequest) -> Organisation:
    membership = getattr(request.user, "membership", None)
    if membership is None:
        raise Http404("No organisation for this user.")
    return membership.organisation


def connections(request: HttpRequest) -> QuerySet[Connection]:
    return Connection.objects.filter(organisation=organisation_of(request))


def documents(request: HttpRequest) -> QuerySet[Document]:
    return Document.objects.filter(connection__organisation=organisation_of(request))


def connection_or_404(request: HttpRequest, pk: int) -> Connection:
    try:
        return connections(request).get(pk=pk)
    except Connection.DoesNotExist:
        raise Http404("No such connection.") from None


def connection_among_or_404(read: Iterable[Connection], pk: int) -> Connection:
    """:func:`connection_or_404` among the organisation's connections a view has read
    already (from :func:`connections`), without another query."""
    found = next((c for c in read if c.pk == pk), None)
    if found is None:
        raise Http404("No such connection.")
    return found


def document_or_404(request: HttpRequest, pk: int) -> Document:
    try:
        return documents(request).select_related("connection").get(pk=pk)
    except Document.DoesNotExist:
        raise Http404("No such document.") from None
