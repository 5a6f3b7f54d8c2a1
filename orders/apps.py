"""App config of orders."""

from django.apps import AppConfig


class OrdersConfig(AppConfig):
    """Orders and their history; the primary-key type comes from DEFAULT_AUTO_FIELD."""

    name = "orders"
    verbose_name = "Orders"
