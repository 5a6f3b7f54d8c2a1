"""Helpers of the outbox tests: real orders to render, a port where no mail server listens."""

from __future__ import annotations

import socket

from notifications import services
from notifications.models import EmailKind, OutboxEmail

ADDRESS = {
    "full_name": "Ann Example",
    "line1": "1 Main Street",
    "line2": "Flat 2",
    "city": "Springfield",
    "postal_code": "12345",
    "region": "OR",
    "country": "US",
    "phone": "+15035550100",
}


def free_port() -> int:
    """Return a loopback port where nothing listens (bound, then released): connecting is refused."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def smtp_refused(settings) -> None:
    """Point Django's SMTP backend at a loopback port with no server: every send fails for real."""
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST = "127.0.0.1"
    settings.EMAIL_PORT = free_port()
    settings.EMAIL_TIMEOUT = 2


def password_reset_email(to_email: str = "ann@example.com") -> OutboxEmail:
    """Enqueue a password-reset email (no order needed) and return its row."""

    class User:
        email = to_email

    return services.email_enqueue(
        kind=EmailKind.PASSWORD_RESET,
        to_email=to_email,
        context={
            "user": User(),
            "reset_url": "https://shop.example.com/reset?uid=1&token=t",
            "expires_in_minutes": 60,
        },
    )
