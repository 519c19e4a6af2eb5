"""URLs of the web shell, and the integrations' pages included under their prefix."""

from __future__ import annotations

from django.contrib.auth.decorators import login_not_required
from django.urls import URLPattern, URLResolver, include, path
from django.views.i18n import set_language

from belegsync.connectors import registry

from .views import (
    accounts,
    auth,
    connections,
    dashboard,
    documents,
    health,
    imports,
    members,
    report,
    tokens,
    webhooks,
)

urlpatterns: list[URLPattern | URLResolver] = [
    path("", dashboard.dashboard, name="dashboard"),
    path("login/", auth.LoginView.as_view(), name="login"),
    path("logout/", auth.LogoutView.as_view(), name="logout"),
    path("account/password/", auth.PasswordChangeView.as_view(), name="password_change"),
    path("account/tokens/", tokens.token_list, name="api_tokens"),
    path("account/tokens/<int:pk>/revoke/", tokens.revoke, name="api_token_revoke"),
    path("account/webhooks/", webhooks.webhook_list, name="webhooks"),
    path("account/webhooks/<int:pk>/remove/", webhooks.remove, name="webhook_remove"),
    path("members/", members.member_list, name="members"),
    path("members/<int:pk>/role/", members.member_role, name="member_role"),
    path("members/<int:pk>/remove/", members.member_remove, name="member_remove"),
    path(
        "members/invitations/<int:pk>/withdraw/",
        members.invitation_withdraw,
        name="invitation_withdraw",
    ),
    path("invite/<str:token>/", members.invitation, name="invitation"),
    # the language switch works on the login page too
    path("i18n/setlang/", login_not_required(set_language), name="set_language"),
    path("healthz", health.healthz, name="healthz"),
    path("organisation/sync/", dashboard.toggle_organisation_sync, name="organisation_sync"),
    path("documents/", documents.document_list, name="documents"),
    path("documents/bulk/", documents.bulk_action, name="documents_bulk"),
    path("documents/<int:pk>/", documents.document_detail, name="document"),
    path("documents/<int:pk>/pdf/", documents.document_pdf, name="document_pdf"),
    path("documents/<int:pk>/keep/", documents.keep_for_number, name="document_keep"),
    path("documents/<int:pk>/<str:action>/", documents.document_action, name="document_action"),
    path("reports/month/", report.month, name="month_report"),
    path("connections/", connections.connection_list, name="connections"),
    path("connections/new/", connections.connection_new, name="connection_new"),
    path("connections/<int:pk>/", connections.connection_edit, name="connection_edit"),
    path("connections/<int:pk>/enabled/", connections.toggle_enabled, name="connection_enabled"),
    path("connections/<int:pk>/sync-now/", connections.sync_now, name="connection_sync_now"),
    path("connections/<int:pk>/check/", connections.check_again, name="connection_check"),
    path("connections/<int:pk>/archive/", connections.archive, name="connection_archive"),
    path("connections/<int:pk>/restore/", connections.restore, name="connection_restore"),
    path("connections/<int:pk>/import/", imports.upload, name="connection_import"),
    path("connections/<int:pk>/accounts/", accounts.payment_accounts, name="connection_accounts"),
    path(
        "connections/<int:pk>/files/<int:file_pk>/",
        connections.month_file,
        name="connection_month_file",
    ),
    path("imports/new/", imports.upload, name="import_new"),
    path("imports/<int:pk>/", imports.job_page, name="import_job"),
    path("imports/<int:pk>/progress/", imports.progress, name="import_progress"),
    path("imports/<int:pk>/transfer-now/", imports.transfer_now, name="import_transfer_now"),
    path("imports/<int:pk>/again/", imports.try_again, name="import_again"),
    # each adapter's own pages under /<its folder>/ (connectors/registry.py)
    *[path(f"{prefix}/", include(module)) for prefix, module in registry.url_packages()],
    path("exports/", include("belegsync.exports.urls")),
]
