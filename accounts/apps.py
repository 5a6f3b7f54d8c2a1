"""App config of accounts."""

from django.apps import AppConfig


class AccountsConfig(AppConfig):
    """Customers and staff; the primary-key type comes from DEFAULT_AUTO_FIELD."""

    name = "accounts"
    verbose_name = "Accounts"

    def ready(self):
        """Register the OpenAPI extension of the bearer authentication."""
        from accounts import schema  # noqa: F401  (registers on import)
