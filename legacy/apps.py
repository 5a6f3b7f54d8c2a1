"""App config of legacy."""

from django.apps import AppConfig


class LegacyConfig(AppConfig):
    """The original service's routes (LEGACY.md); no models."""

    name = "legacy"
    verbose_name = "Legacy routes"
