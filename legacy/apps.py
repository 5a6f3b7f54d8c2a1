"""App config of legacy."""

from django.apps import AppConfig


class LegacyConfig(AppConfig):
    """The original service's routes (LEGACY.md) and the import of its data (``import_legacy``)."""

    name = "legacy"
    verbose_name = "Legacy routes"
