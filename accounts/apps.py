"""App config of accounts."""

from django.apps import AppConfig


class AccountsConfig(AppConfig):
    """Customers and staff; the primary-key type comes from DEFAULT_AUTO_FIELD."""

    name = "accounts"
    verbose_name = "Accounts"
