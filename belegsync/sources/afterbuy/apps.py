from __future__ import annotations

from django.apps import AppConfig


class AfterbuyConfig(AppConfig):
    """Installed so that its templates and the ``import`` command are found."""

    name = "belegsync.sources.afterbuy"
    label = "afterbuy"
    verbose_name = "Afterbuy"
