"""Delete revocation rows of expired tokens and failed-login counters past their window."""

from django.core.management.base import BaseCommand

from accounts import services


class Command(BaseCommand):
    """Purge what token revocation and login throttling no longer need (run it daily)."""

    help = "Delete revoked-token rows whose tokens have expired and stale failed-login counters."

    def handle(self, *args, **options):
        """Purge both tables and report how many rows went."""
        tokens = services.revoked_tokens_purge()
        counters = services.login_failures_purge()
        self.stdout.write(f"Purged {tokens} revoked token(s) and {counters} failed-login counter(s).")
