"""The payment-account mapping page of any connection whose target books payments on
accounts (:mod:`belegsync.web.accounts`)."""

from __future__ import annotations

from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from belegsync.documents.roles import Permission
from belegsync.services import Actor
from belegsync.services import connections as services
from belegsync.web import accounts, scoping
from belegsync.web.roles import requires


@requires(Permission.MANAGE_CONNECTIONS)
@require_http_methods(["GET", "POST"])
def payment_accounts(request: HttpRequest, pk: int) -> HttpResponse:
    connection = scoping.connection_or_404(request, pk)
    if not accounts.maps_payment_accounts(connection.adapter_class("target")):
        raise Http404("This connection's target books no payments on accounts.")
    data = request.POST if request.method == "POST" else None
    page = accounts.mapping_page(connection, data)
    if data is not None and page["form"].is_valid():
        # the policy's mapping only: every other setting stays as it is
        services.update_connection(
            Actor.of(request.user),
            connection,
            policy={"payment_accounts": {"by_method": page["form"].mapping()}},
            check=(),
        )
        messages.success(request, _("Accounts saved."))
        return redirect("connection_accounts", pk=connection.pk)
    return render(request, "web/connection_accounts.html", {"connection": connection, **page})
