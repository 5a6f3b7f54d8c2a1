"""App config of notifications: the transactional email outbox."""

from django.apps import AppConfig


class NotificationsConfig(AppConfig):
    """Emails to customers, written to an outbox with the change they report and delivered after it."""

    name = "notifications"
    verbose_name = "Notifications"
