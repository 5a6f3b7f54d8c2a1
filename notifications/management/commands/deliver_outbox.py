"""Deliver the email outbox: one pass, or a worker loop until SIGTERM or SIGINT."""

from __future__ import annotations

import signal
import threading

from django.core.management.base import BaseCommand, CommandError
from django.db import DatabaseError

from notifications.services import outbox_deliver


def positive_float(value: str) -> float:
    """Parse a number of seconds greater than zero."""
    try:
        seconds = float(value)
    except ValueError:
        raise CommandError(f"--interval must be a number of seconds, got {value!r}") from None
    if not seconds > 0:
        raise CommandError(f"--interval must be more than 0 seconds, got {value!r}")
    return seconds


def positive_int(value: str) -> int:
    """Parse a whole number of at least 1."""
    try:
        number = int(value)
    except ValueError:
        raise CommandError(f"--limit must be a whole number, got {value!r}") from None
    if number < 1:
        raise CommandError(f"--limit must be at least 1, got {value!r}")
    return number


class Command(BaseCommand):
    """Send the due outbox emails once, or keep doing so (``--loop``) as the outbox worker."""

    help = (
        "Send the emails of the outbox that are due (new ones, retries after a backoff, and ones "
        "whose worker stopped mid-send); with --loop, keep doing so every --interval seconds until "
        "SIGTERM or SIGINT, finishing the email in progress first."
    )

    def add_arguments(self, parser):
        """Declare --loop, --interval and --limit."""
        parser.add_argument("--loop", action="store_true", help="Run as a worker until SIGTERM or SIGINT.")
        parser.add_argument(
            "--interval", type=positive_float, default=5.0, help="Seconds between passes with --loop (5)."
        )
        parser.add_argument("--limit", type=positive_int, default=100, help="Emails per pass at most (100).")

    def handle(self, *args, loop: bool, interval: float, limit: int, **options):
        """Run one pass, or passes until a stop signal; print what each pass did."""
        if not loop:
            self.stdout.write(f"Outbox: {outbox_deliver(limit=limit)}.")
            return
        stopping = threading.Event()

        def stop(signum, frame):
            stopping.set()

        previous = {sig: signal.signal(sig, stop) for sig in (signal.SIGTERM, signal.SIGINT)}
        self.stdout.write(f"Delivering the outbox every {interval:g} s; SIGTERM or SIGINT stops.")
        self.stdout.flush()
        try:
            while not stopping.is_set():
                try:
                    report = outbox_deliver(limit=limit, stop=stopping.is_set)
                except DatabaseError as exc:
                    self.stderr.write(f"Outbox pass failed, trying again in {interval:g} s: {exc}")
                    stopping.wait(interval)
                    continue
                if report.claimed or report.contended:
                    self.stdout.write(f"Outbox: {report}.")
                    self.stdout.flush()
                if report.claimed < limit:
                    stopping.wait(interval)
        finally:
            for sig, handler in previous.items():
                signal.signal(sig, handler)
        self.stdout.write("Stopped.")
        self.stdout.flush()
