"""``manage.py deliver_outbox``: one pass, its arguments, and the worker loop stopped by a signal."""

from __future__ import annotations

import io
import os
import signal
import threading

import pytest
from django.core import mail
from django.core.management import CommandError, call_command

from notifications.models import EmailStatus, OutboxEmail
from notifications.tests.helpers import password_reset_email, smtp_refused

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def worker_only(settings):
    settings.OUTBOX_DELIVER_ON_COMMIT = False


def run(*args) -> str:
    out = io.StringIO()
    call_command("deliver_outbox", *args, stdout=out, stderr=io.StringIO())
    return out.getvalue()


def test_one_pass_sends_what_is_due_and_says_so():
    for n in range(3):
        password_reset_email(f"c{n}@example.com")
    assert run("--limit", "2") == (
        "Outbox: sent 2, to retry 0, failed 0, taken by another worker 0, lease lost 0.\n"
    )
    assert len(mail.outbox) == 2
    assert "sent 1," in run()
    assert "sent 0," in run()


def test_a_failing_server_is_reported_as_retries(settings):
    password_reset_email()
    smtp_refused(settings)
    assert "to retry 1," in run()
    assert OutboxEmail.objects.get().status == EmailStatus.PENDING


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--interval", "0"], "--interval must be more than 0"),
        (["--interval", "soon"], "--interval must be a number"),
        (["--limit", "0"], "--limit must be at least 1"),
        (["--limit", "x"], "--limit must be a whole number"),
    ],
)
def test_bad_arguments_are_refused(args, message):
    with pytest.raises(CommandError, match=message):
        run(*args)


@pytest.mark.parametrize("signum", [signal.SIGTERM, signal.SIGINT])
def test_the_loop_sends_then_stops_cleanly_on_a_signal(signum):
    password_reset_email()
    # The signal arrives while the loop waits for its next pass (the handler runs in this thread).
    timer = threading.Timer(1.0, os.kill, args=(os.getpid(), signum))
    timer.start()
    try:
        output = run("--loop", "--interval", "0.2")
    finally:
        timer.cancel()
    lines = output.splitlines()
    assert lines[0] == "Delivering the outbox every 0.2 s; SIGTERM or SIGINT stops."
    assert lines[1].startswith("Outbox: sent 1,")
    assert lines[-1] == "Stopped."
    assert len(mail.outbox) == 1
    assert signal.getsignal(signum) is not None  # the previous handler is back
