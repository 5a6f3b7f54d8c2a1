"""The outbox on SQLite: written with the change, delivered after it, retried, leased, retried by staff."""

from __future__ import annotations

import threading
import time
from datetime import timedelta

import pytest
from django.core import mail
from django.core.exceptions import ValidationError
from django.db import connection, connections
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from notifications import services
from notifications.models import EmailKind, EmailStatus, OutboxEmail
from notifications.tests.helpers import password_reset_email, smtp_refused
from shop import transactions


def only_row() -> OutboxEmail:
    (row,) = OutboxEmail.objects.all()
    return row


# --- written with the change, sent after it ------------------------------------------------------


@pytest.mark.django_db(transaction=True)
def test_an_enqueued_email_is_claimed_by_its_process_until_the_commit_then_sent_in_process():
    seen_inside = []

    def operation():
        email = password_reset_email()
        row = OutboxEmail.objects.get(pk=email.pk)
        seen_inside.append(
            (row.status, row.attempts, row.locked_until == row.next_attempt_at, len(mail.outbox))
        )
        return email

    with CaptureQueriesContext(connection) as queries:
        email = transactions.run(operation)

    # Written sending, its lease running (no worker takes it); nothing sent before the commit.
    assert seen_inside == [(EmailStatus.SENDING, 0, True, 0)]
    # After the commit one write: marked sent (the row needs no claim of its own).
    after_commit = [q["sql"] for q in queries[[q["sql"] for q in queries].index("COMMIT") + 1 :]]
    assert [sql.split()[0] for sql in after_commit] == ["UPDATE"]
    row = only_row()
    assert row.status == EmailStatus.SENT and row.sent_at is not None and row.locked_until is None
    (message,) = mail.outbox
    assert message.to == ["ann@example.com"]
    assert message.subject == "Shop: reset your password"
    assert message.extra_headers["Message-ID"] == email.message_id
    assert message.message()["Message-ID"] == email.message_id
    assert "https://shop.example.com/reset?uid=1&token=t" in message.body
    ((html, mimetype),) = message.alternatives
    assert mimetype == "text/html"
    assert 'href="https://shop.example.com/reset?uid=1&amp;token=t"' in html


@pytest.mark.django_db(transaction=True)
def test_an_operation_that_outlasts_the_lease_leaves_its_email_to_the_worker(settings):
    """Past the lease it was written with, a worker may hold the row: the process does not send it."""
    settings.OUTBOX_LEASE_SECONDS = 1

    def operation():
        email = password_reset_email()
        time.sleep(1.1)
        return email

    transactions.run(operation)
    assert not mail.outbox
    row = only_row()
    assert (row.status, row.attempts) == (EmailStatus.SENDING, 0)
    # Due for the worker now: it counts the unfinished attempt, and sends.
    report = services.outbox_deliver()
    assert (report.sent, len(mail.outbox)) == (1, 1)


@pytest.mark.django_db(transaction=True)
def test_an_email_of_an_operation_that_fails_is_never_written_nor_sent():
    def operation():
        password_reset_email()
        raise RuntimeError("the change failed after the email was written")

    with pytest.raises(RuntimeError):
        transactions.run(operation)
    assert OutboxEmail.objects.count() == 0
    assert mail.outbox == []


@pytest.mark.django_db(transaction=True)
def test_without_a_transaction_a_failed_operation_deletes_its_email_and_sends_nothing():
    inside = []

    def operation():
        password_reset_email()
        # Visible at once without a transaction, but held: a worker pass takes nothing now.
        inside.append((OutboxEmail.objects.count(), services.outbox_deliver().claimed))
        raise RuntimeError("boom")

    with transactions.transactions_disabled(), pytest.raises(RuntimeError):
        transactions.run(operation)
    assert inside == [(1, 0)]
    assert OutboxEmail.objects.count() == 0
    assert mail.outbox == []


@pytest.mark.django_db(transaction=True)
def test_without_a_transaction_the_email_goes_out_once_the_whole_operation_succeeded():
    seen = []

    def operation():
        password_reset_email()
        seen.append(len(mail.outbox))  # not mid-operation
        transactions.run(lambda: seen.append(len(mail.outbox)))  # nor after a nested one

    with transactions.transactions_disabled():
        transactions.run(operation)
    assert seen == [0, 0]
    assert len(mail.outbox) == 1
    assert only_row().status == EmailStatus.SENT


@pytest.mark.django_db(transaction=True)
def test_with_delivery_on_commit_off_the_email_waits_for_the_worker(settings):
    settings.OUTBOX_DELIVER_ON_COMMIT = False
    transactions.run(password_reset_email)
    assert only_row().status == EmailStatus.PENDING
    assert mail.outbox == []

    report = services.outbox_deliver()

    assert (report.sent, report.claimed) == (1, 1)
    assert only_row().status == EmailStatus.SENT
    assert len(mail.outbox) == 1


@pytest.mark.django_db(transaction=True)
def test_a_failed_in_process_attempt_only_logs_and_leaves_the_row_to_the_worker(settings, caplog):
    smtp_refused(settings)
    email = transactions.run(password_reset_email)  # the operation itself succeeds
    row = only_row()
    assert email.pk == row.pk
    assert (row.status, row.attempts) == (EmailStatus.PENDING, 1)
    assert "ConnectionRefusedError" in row.last_error
    assert row.next_attempt_at > timezone.now() + timedelta(seconds=50)
    assert "not sent (attempt 1), will be retried" in caplog.text


# --- the worker's passes -------------------------------------------------------------------------


@pytest.fixture
def queued(db, settings):
    """One pending email written outside any delivery attempt."""
    settings.OUTBOX_DELIVER_ON_COMMIT = False
    return password_reset_email()


def test_failures_back_off_one_minute_doubling_up_to_an_hour(queued, settings):
    smtp_refused(settings)
    settings.OUTBOX_MAX_ATTEMPTS = 10
    now = timezone.now()
    waits = []
    for attempt in range(1, 9):
        report = services.outbox_deliver(now=now)
        assert (report.retrying, report.claimed) == (1, 1), attempt
        row = only_row()
        assert (row.status, row.attempts) == (EmailStatus.PENDING, attempt)
        wait = row.next_attempt_at - now
        waits.append(int(wait.total_seconds() // 60))
        # Not due a moment before its time, due at it.
        assert services.outbox_deliver(now=now + wait - timedelta(seconds=1)).claimed == 0
        now += wait
    assert waits == [1, 2, 4, 8, 16, 32, 60, 60]
    assert mail.outbox == []


def test_after_the_last_attempt_the_email_is_failed_and_no_longer_taken(queued, settings):
    smtp_refused(settings)
    settings.OUTBOX_MAX_ATTEMPTS = 3
    now = timezone.now()
    reports = []
    for _ in range(3):
        reports.append(services.outbox_deliver(now=now))
        now += timedelta(hours=2)
    assert [(r.retrying, r.failed) for r in reports] == [(1, 0), (1, 0), (0, 1)]
    row = only_row()
    assert (row.status, row.attempts) == (EmailStatus.FAILED, 3)
    assert "ConnectionRefusedError" in row.last_error
    assert services.outbox_deliver(now=now + timedelta(days=30)).claimed == 0


def test_a_row_whose_worker_died_is_taken_again_once_its_lease_ended(queued, settings):
    settings.OUTBOX_LEASE_SECONDS = 300
    now = timezone.now()
    # A worker claims the row and dies before sending (its claim is the only trace).
    dead = services.DeliveryReport()
    lease = services._claim(queued, now=now, condition=services._due(now), report=dead)
    assert lease is not None and only_row().status == EmailStatus.SENDING

    assert services.outbox_deliver(now=now + timedelta(seconds=299)).claimed == 0  # still leased
    report = services.outbox_deliver(now=now + timedelta(seconds=301))

    assert report.sent == 1
    row = only_row()
    assert (row.status, row.attempts) == (EmailStatus.SENT, 1)  # the unfinished attempt counts
    assert "did not finish" in row.last_error
    assert len(mail.outbox) == 1


def test_a_late_worker_cannot_mark_a_row_it_no_longer_holds(queued, settings):
    now = timezone.now()
    first = services.DeliveryReport()
    old_lease = services._claim(queued, now=now, condition=services._due(now), report=first)
    later = now + timedelta(seconds=settings.OUTBOX_LEASE_SECONDS + 1)
    assert services.outbox_deliver(now=later).sent == 1  # the second worker took it and sent it

    stale = OutboxEmail.objects.get(pk=queued.pk)
    stale.status, stale.attempts = EmailStatus.SENDING, 1
    with services._MailConnection() as connection:
        services._send_and_record(
            stale, lease=old_lease, clock=lambda: later, connection=connection, report=first
        )

    assert first.lease_lost == 1  # sent again (same Message-ID), but the row is not touched
    assert only_row().status == EmailStatus.SENT
    assert {message.extra_headers["Message-ID"] for message in mail.outbox} == {queued.message_id}


def test_two_claims_of_one_row_one_wins(queued):
    now = timezone.now()
    first, second = OutboxEmail.objects.get(pk=queued.pk), OutboxEmail.objects.get(pk=queued.pk)
    report = services.DeliveryReport()
    assert services._claim(first, now=now, condition=services._due(now), report=report) is not None
    assert services._claim(second, now=now, condition=services._due(now), report=report) is None
    assert report.contended == 1


@pytest.mark.django_db(transaction=True)
def test_parallel_workers_send_every_email_exactly_once(settings):
    settings.OUTBOX_DELIVER_ON_COMMIT = False
    emails = [password_reset_email(f"customer{n}@example.com") for n in range(24)]
    reports = []
    start = threading.Barrier(4)

    def worker():
        try:
            start.wait()
            reports.append(services.outbox_deliver(limit=24))
        finally:
            connections.close_all()

    threads = [threading.Thread(target=worker) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    sent = [message.extra_headers["Message-ID"] for message in mail.outbox]
    assert sorted(sent) == sorted(email.message_id for email in emails)
    assert sum(report.sent for report in reports) == 24
    assert set(OutboxEmail.objects.values_list("status", flat=True)) == {EmailStatus.SENT}


# --- staff ---------------------------------------------------------------------------------------


def test_retry_puts_failed_emails_back_and_leaves_the_others(queued, settings):
    settings.OUTBOX_MAX_ATTEMPTS = 1
    other = password_reset_email("bob@example.com")
    smtp_refused(settings)
    services.outbox_deliver(limit=1)  # the oldest due first: ``queued`` fails for good
    assert OutboxEmail.objects.get(pk=queued.pk).status == EmailStatus.FAILED
    assert OutboxEmail.objects.get(pk=other.pk).status == EmailStatus.PENDING

    assert services.outbox_retry(ids=[queued.pk, other.pk]) == 1
    retried = OutboxEmail.objects.get(pk=queued.pk)
    assert (retried.status, retried.attempts) == (EmailStatus.PENDING, 0)
    assert retried.next_attempt_at <= timezone.now()
    assert services.outbox_retry(ids=[]) == 0


def test_backlog_counts_undelivered_emails_and_the_oldest_pending_age(queued, settings):
    assert services.outbox_backlog(now=queued.created_at + timedelta(minutes=5)) == services.OutboxBacklog(
        counts={"pending": 1, "sending": 0, "failed": 0}, oldest_pending_age=timedelta(minutes=5)
    )
    services.outbox_deliver()
    backlog = services.outbox_backlog()
    assert backlog.counts == {"pending": 0, "sending": 0, "failed": 0}
    assert backlog.oldest_pending_age is None
    assert str(backlog) == "0 pending, 0 sending, 0 failed"


# --- rendering -----------------------------------------------------------------------------------


def test_an_unknown_kind_or_a_bad_address_is_refused(db):
    with pytest.raises(ValueError, match="unknown email kind"):
        services.email_enqueue(kind="newsletter", to_email="ann@example.com", context={})
    with pytest.raises(ValidationError):
        services.email_enqueue(
            kind=EmailKind.PASSWORD_RESET, to_email="ann@example.com\nBcc: x@y", context={}
        )
    assert OutboxEmail.objects.count() == 0


def test_message_ids_are_unique_and_in_the_senders_domain(settings):
    settings.DEFAULT_FROM_EMAIL = "Shop <orders@shop.example.com>"
    first, second = services.message_id_new(), services.message_id_new()
    assert first != second
    assert first.startswith("<") and first.endswith("@shop.example.com>")


@pytest.mark.django_db(transaction=True)
def test_a_mail_server_that_never_answers_costs_the_request_the_short_timeout_only(settings):
    import socket
    import time

    silent = socket.socket()  # accepts connections (the kernel does) but never greets
    silent.bind(("127.0.0.1", 0))
    silent.listen(8)
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT = "127.0.0.1", silent.getsockname()[1]
    settings.EMAIL_TIMEOUT = 30
    try:
        started = time.monotonic()
        transactions.run(password_reset_email)
        elapsed = time.monotonic() - started
    finally:
        silent.close()
    assert services.IN_PROCESS_TIMEOUT_SECONDS - 1 < elapsed < services.IN_PROCESS_TIMEOUT_SECONDS + 5
    row = only_row()
    assert (row.status, row.attempts) == (EmailStatus.PENDING, 1)
    assert "timed out" in row.last_error
