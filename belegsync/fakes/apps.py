from django.apps import AppConfig


class FakesConfig(AppConfig):
    """Local test doubles of the remote systems; an app only for ``belegsync fake``."""

    name = "belegsync.fakes"
    label = "fakes"
