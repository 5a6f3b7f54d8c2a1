"""Delivery through a real SMTP server on loopback (aiosmtpd), and a real worker process killed midway.

The server is aiosmtpd's, in a thread of the test process, on a free loopback port;
Django's SMTP backend talks to it over TCP as to any mail server. What the server
acknowledged is what its handler answered ``250`` to.

The kill test runs ``manage.py deliver_outbox --loop`` as a subprocess against the
test's own SQLite file and kills it with SIGKILL twice:

1. while the server holds a message (DATA received, no reply yet): that message was
   never acknowledged, the row stays ``sending`` until its lease ends, and the next
   worker sends it again: the server then acknowledges it once;
2. right after the server acknowledged a message, before the worker could record it
   (the worker is stopped with SIGSTOP inside the server's handler, so the ``250``
   waits unread in its socket, then killed): this is the at-least-once window. The row
   is still ``sending``, the next worker sends it again, and the server receives that
   message twice, both times with the same Message-ID, which is how a receiver drops
   the copy. Nothing else is received twice, and nothing is lost.
"""

from __future__ import annotations

import email
import email.policy
import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest
from django.db import connection

from notifications.models import EmailStatus, OutboxEmail
from notifications.tests.helpers import free_port, password_reset_email
from shop import transactions

aiosmtpd_controller = pytest.importorskip("aiosmtpd.controller")

ROOT = Path(__file__).resolve().parents[2]


class RecordingHandler:
    """An aiosmtpd handler that keeps every message it acknowledged; ``policy`` may hold or stop first."""

    def __init__(self):
        self.acknowledged: list[email.message.EmailMessage] = []
        self.received = 0
        self.policy = None  # a function of the message's number (1-based, all time): may return a reply

    async def handle_DATA(self, server, session, envelope):
        self.received += 1
        message = email.message_from_bytes(envelope.original_content, policy=email.policy.default)
        if self.policy is not None:
            reply = self.policy(self.received)
            if reply is not None:
                return reply
        self.acknowledged.append(message)
        return "250 Message accepted for delivery"


@pytest.fixture
def smtp_server(settings):
    handler = RecordingHandler()
    controller = aiosmtpd_controller.Controller(handler, hostname="127.0.0.1", port=free_port())
    controller.start()  # connects to the port once to see the server answer
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST = "127.0.0.1"
    settings.EMAIL_PORT = controller.port
    settings.EMAIL_TIMEOUT = 10
    try:
        yield handler, settings.EMAIL_PORT
    finally:
        controller.stop()


@pytest.mark.django_db(transaction=True)
def test_an_email_goes_through_a_real_smtp_server_with_both_parts_and_its_message_id(smtp_server, settings):
    handler, _port = smtp_server
    settings.DEFAULT_FROM_EMAIL = "Shop <orders@shop.example.com>"
    settings.SHOP_NAME = "Ann's Shop"

    row = transactions.run(password_reset_email)

    assert OutboxEmail.objects.get(pk=row.pk).status == EmailStatus.SENT
    (message,) = handler.acknowledged
    assert message["Subject"] == "Ann's Shop: reset your password"
    assert message["From"] == "Shop <orders@shop.example.com>"
    assert message["To"] == "ann@example.com"
    assert message["Message-ID"] == row.message_id
    assert message.get_content_type() == "multipart/alternative"
    text = message.get_body(preferencelist=("plain",))
    html = message.get_body(preferencelist=("html",))
    assert "https://shop.example.com/reset?uid=1&token=t" in text.get_content()
    assert "Ann's Shop" in text.get_content()
    assert 'href="https://shop.example.com/reset?uid=1&amp;token=t"' in html.get_content()
    assert "Ann&#x27;s Shop" in html.get_content()


def start_worker(port: int, database: str) -> subprocess.Popen:
    """Start ``deliver_outbox --loop`` (production settings) on ``database``, sending to ``port``."""
    env = {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "DJANGO_SETTINGS_MODULE": "shop.settings",
        "DJANGO_SECRET_KEY": "worker-" + "k" * 50,
        "SQLITE_PATH": database,
        "LOG_FORMAT": "text",
        "DJANGO_EMAIL_BACKEND": "django.core.mail.backends.smtp.EmailBackend",
        "EMAIL_HOST": "127.0.0.1",
        "EMAIL_PORT": str(port),
        "DEFAULT_FROM_EMAIL": "shop@shop.example.com",
        "OUTBOX_LEASE_SECONDS": "2",
    }
    return subprocess.Popen(
        [sys.executable, "manage.py", "deliver_outbox", "--loop", "--interval", "0.2"],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def statuses(rows) -> list[str]:
    found = dict(OutboxEmail.objects.values_list("pk", "status"))
    return [found[row.pk] for row in rows]


def wait_for(condition, *, seconds: float = 30, what: str = "") -> None:
    deadline = time.monotonic() + seconds
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        time.sleep(0.05)


@pytest.mark.django_db(transaction=True)
def test_a_worker_killed_midway_loses_nothing_and_resends_only_what_it_could_not_record(
    smtp_server, settings
):
    handler, port = smtp_server
    settings.OUTBOX_DELIVER_ON_COMMIT = False
    rows = [transactions.run(lambda n=n: password_reset_email(f"c{n}@example.com")) for n in range(6)]
    ids = [row.message_id for row in rows]
    database = connection.settings_dict["NAME"]

    # 1. The server holds the third message (DATA received, no answer) and the worker is killed.
    holding, release = threading.Event(), threading.Event()

    def hold_third(number):
        if number == 3:
            holding.set()
            release.wait(30)
            return "451 Not accepted (the client is gone)"
        return None

    handler.policy = hold_third
    worker = start_worker(port, database)
    try:
        assert holding.wait(60), "the worker never reached the third message"
        worker.kill()
        worker.wait(10)
    finally:
        release.set()
    assert [m["Message-ID"] for m in handler.acknowledged] == ids[:2]
    # What the server acknowledged was recorded; the held message's row waits for its lease to end.
    assert statuses(rows) == ["sent", "sent", "sending", "pending", "pending", "pending"]

    # 2. The server acknowledges the fifth row's message, but the worker is stopped before it can
    #    read the 250 and record it, then killed: the at-least-once window.
    stopped = threading.Event()
    second = start_worker(port, database)
    first_of_phase = handler.received + 1

    def stop_after_second_of_phase(number):
        if number == first_of_phase + 1:
            os.kill(second.pid, signal.SIGSTOP)
            stopped.set()
        return None  # acknowledged (250)

    handler.policy = stop_after_second_of_phase
    try:
        assert stopped.wait(60), "the second worker never sent two messages"
    finally:
        second.kill()
        second.wait(10)
    assert [m["Message-ID"] for m in handler.acknowledged][2:] == [ids[3], ids[4]]
    assert statuses(rows)[3:5] == ["sent", "sending"]  # acknowledged, but never recorded

    # 3. A third worker finishes: the held message, the unrecorded one (again) and the last one.
    handler.policy = None
    third = start_worker(port, database)
    try:
        wait_for(lambda: set(statuses(rows)) == {"sent"}, what="every row sent")
    finally:
        third.send_signal(signal.SIGTERM)
        out, err = third.communicate(timeout=30)
    assert third.returncode == 0, err
    assert out.splitlines()[-1] == "Stopped."

    received = [m["Message-ID"] for m in handler.acknowledged]
    counts = {message_id: received.count(message_id) for message_id in ids}
    # Nothing lost; the one message acknowledged but not recorded was sent twice, same Message-ID.
    assert counts == {ids[0]: 1, ids[1]: 1, ids[2]: 1, ids[3]: 1, ids[4]: 2, ids[5]: 1}
    assert set(received) == set(ids)
    attempts = dict(OutboxEmail.objects.values_list("pk", "attempts"))
    # The two unfinished attempts (held, unrecorded) count as attempts; the others took one each.
    assert [attempts[row.pk] for row in rows] == [0, 0, 1, 0, 1, 0]
