from django.apps import AppConfig


class BillbeeConfig(AppConfig):
    """Installed so that the connection pages find their templates (billbee/...)."""

    name = "belegsync.sources.billbee"
    label = "billbee"
    verbose_name = "Billbee"
