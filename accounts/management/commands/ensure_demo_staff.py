"""Create the demo staff user for local development (``make run``), never in production."""

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from accounts.models import User

DEMO_STAFF_EMAIL = "staff@example.com"
DEMO_STAFF_PASSWORD = "demo-staff-Passw0rd"


class Command(BaseCommand):
    """Create a staff superuser with a known password if no staff user exists yet."""

    help = "Create a demo staff user (development only: refuses to run with DEBUG off)."

    def handle(self, *args, **options):
        """Create the user if needed and print how to log in."""
        if not settings.DEBUG:
            raise CommandError("ensure_demo_staff only runs with DJANGO_DEBUG=1 (development).")
        demo = User.objects.filter(email=DEMO_STAFF_EMAIL).first()
        if demo is None and User.objects.filter(is_staff=True).exists():
            self.stdout.write("A staff user already exists; no demo staff user created.")
            return
        if demo is None:
            User.objects.create_superuser(DEMO_STAFF_EMAIL, DEMO_STAFF_PASSWORD)
            self.stdout.write(self.style.SUCCESS("Created the demo staff user."))
        self.stdout.write(
            f"Demo staff login (development only): {DEMO_STAFF_EMAIL} / {DEMO_STAFF_PASSWORD} "
            "(log in at /admin/)"
        )
