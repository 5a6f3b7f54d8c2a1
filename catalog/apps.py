"""App config of catalog."""

from django.apps import AppConfig


class CatalogConfig(AppConfig):
    """Categories, products and stock; the primary-key type comes from DEFAULT_AUTO_FIELD."""

    name = "catalog"
    verbose_name = "Catalog"
