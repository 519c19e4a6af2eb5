"""Who in an organisation may do what: the members' roles and what each one allows.

A member has one role. The owner may do everything; the bookkeeper runs the
bookkeeping (documents, connections' settings, imports, exports, sync) but
neither manages members nor sees or changes credentials; the tax advisor
reads: documents with their PDFs, the month report, and DATEV files.

Every interface asks the same table: the services through
``Actor.require(Permission…)``, the web through the rule each URL declares
(``belegsync.web.roles``), the REST API through the actor it builds.
"""

from __future__ import annotations

from enum import StrEnum

from django.db import models
from django.utils.translation import gettext_lazy as _


class Role(models.TextChoices):
    OWNER = "owner", _("Owner")
    BOOKKEEPER = "bookkeeper", _("Bookkeeper")
    TAX_ADVISOR = "tax_advisor", _("Tax advisor")


class Permission(StrEnum):
    #: The dashboard, document lists and details with their PDFs, the month report,
    #: the export overview and history.
    VIEW_DOCUMENTS = "view_documents"
    #: Export in the DATEV format without marking documents, and download DATEV files.
    DATEV_FILES = "datev_files"
    #: Reset, mark as manually imported, re-upload.
    ACT_ON_DOCUMENTS = "act_on_documents"
    #: See connections and change their settings, sync now, the switches, "check again".
    MANAGE_CONNECTIONS = "manage_connections"
    #: Upload files (Rechnungsliste) and follow their import jobs.
    IMPORT_FILES = "import_files"
    #: Every export format, marking with tags, the DATEV settings.
    EXPORT = "export"
    #: Enter or change a connection's credentials; create a connection.
    MANAGE_CREDENTIALS = "manage_credentials"
    #: Invite members, change their roles, remove them.
    MANAGE_MEMBERS = "manage_members"


_BOOKKEEPER = frozenset(Permission) - {Permission.MANAGE_CREDENTIALS, Permission.MANAGE_MEMBERS}

GRANTS: dict[Role, frozenset[Permission]] = {
    Role.OWNER: frozenset(Permission),
    Role.BOOKKEEPER: _BOOKKEEPER,
    Role.TAX_ADVISOR: frozenset({Permission.VIEW_DOCUMENTS, Permission.DATEV_FILES}),
}


def allows(role: Role | str, permission: Permission | str) -> bool:
    """Whether a member with ``role`` may do what ``permission`` names."""
    return Permission(permission) in GRANTS[Role(role)]
