"""App config of ``shop.ops``: registers the start-up checks and the metric signal handlers."""

from django.apps import AppConfig


def cache_settings_changed(setting: str, **kwargs) -> None:
    """Forget the page caches' outage pauses when ``CACHES`` changes (a new cache server)."""
    if setting == "CACHES":
        from shop.cache import outage_pauses_reset

        outage_pauses_reset()


class OpsConfig(AppConfig):
    """Operations support: checks (``shop.ops.checks``) and metrics (``shop.ops.metrics``)."""

    name = "shop.ops"
    label = "shop_ops"
    verbose_name = "Operations"

    def ready(self):
        """Register the system checks and the signal handlers that count business events."""
        from django.core.signals import setting_changed

        from shop.ops import checks, metrics

        checks.register()
        metrics.connect_signals()
        setting_changed.connect(cache_settings_changed, dispatch_uid="shop.ops.cache_settings_changed")
