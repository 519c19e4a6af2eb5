from django.apps import AppConfig


class ExportsConfig(AppConfig):
    """Manual exports (DATEV, CSV, PDF ZIP) of selected documents, with their history."""

    name = "belegsync.exports"
    label = "exports"
    default_auto_field = "django.db.models.BigAutoField"
