"""The email outbox: write an email with the change it reports, deliver it after, retry until accepted.

A business operation that must tell a customer something calls :func:`email_enqueue`
*inside* the operation (``shop.transactions.run``): the rendered email is one pending
row of :class:`~notifications.models.OutboxEmail`, written in the same transaction as
the change, so it commits with it or rolls back with it. Delivery happens after:

* right after the operation succeeded, in the same process, best effort
  (``shop.transactions.after_success``; off with ``OUTBOX_DELIVER_ON_COMMIT``), and in
  a request once its response has been sent (``shop.after_response``: the client
  never waits for the mail server): the row is then written already claimed by this
  process (sending, its lease running), so the delivery needs no claim of its own
  (one write fewer per email) and no worker takes the row before its lease ends;
* and by the worker, ``manage.py deliver_outbox --loop`` (:func:`outbox_deliver`),
  which takes every due row, including the ones whose in-process attempt failed or
  never happened (the process died after the commit).

Claims are conditional single-row updates (pending and due, or sending with an
expired lease, becomes sending with a new lease), so two workers never send one row
at once; marking sent or failed is conditional on still holding that lease. Delivery
is at least once: a process killed after the mail server accepted a message and
before the row was marked sent leaves the row to be sent again when its lease ends.
Every delivery of a row carries the row's Message-ID, so receivers can drop the copy.

Without a transaction (a standalone MongoDB server, ``transactions_disabled()``), the
row is visible at once: it is written *held* (due only after one lease), so that no
worker sends it while the operation may still fail, its delete is registered with
``transactions.on_failure``, and the in-process attempt takes it as soon as the whole
operation has succeeded.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from email.utils import parseaddr

from django.conf import settings
from django.core.mail import EmailMultiAlternatives, get_connection, make_msgid
from django.core.validators import validate_email
from django.db.models import Count, Min, Q
from django.template.loader import render_to_string
from django.utils import timezone

from notifications.models import EmailKind, EmailStatus, OutboxEmail
from shop import transactions
from shop.after_response import after_response
from shop.db import to_milliseconds

logger = logging.getLogger(__name__)

# Backoff after the n-th failed attempt: 1 minute, doubling, at most 1 hour.
BACKOFF_FIRST_SECONDS = 60
BACKOFF_MAX_SECONDS = 3600
# How much of a delivery error is kept on the row.
LAST_ERROR_MAX_LENGTH = 2000
SUBJECT_MAX_LENGTH = 255
# The statuses of emails not delivered yet: what outbox_backlog() counts.
BACKLOG_STATUSES = (EmailStatus.PENDING, EmailStatus.SENDING, EmailStatus.FAILED)
# The in-process attempt runs inside a request (after its commit): a mail server that does
# not answer may cost it this long at most, not EMAIL_TIMEOUT; the worker waits longer.
IN_PROCESS_TIMEOUT_SECONDS = 5
LEASE_LOST_ERROR = "the previous delivery attempt did not finish before its lease ended (worker stopped?)"


# --- Writing -------------------------------------------------------------------------------------


@dataclass(frozen=True)
class RenderedEmail:
    """An email's subject and bodies, rendered from its kind's templates."""

    subject: str
    body_text: str
    body_html: str


def email_render(*, kind: str, context: dict) -> RenderedEmail:
    """Render the templates of ``kind`` with ``context`` plus ``shop_name``; return the email.

    The templates are ``notifications/email/<kind>_subject.txt``, ``<kind>.txt`` and
    ``<kind>.html`` (HTML autoescaped). The subject is one line of at most 255 characters.
    """
    if kind not in EmailKind.values:
        raise ValueError(f"unknown email kind {kind!r}; one of {', '.join(EmailKind.values)}")
    full_context = {**context, "shop_name": settings.SHOP_NAME}
    base = f"notifications/email/{kind}"
    subject = " ".join(render_to_string(f"{base}_subject.txt", full_context).split())
    if len(subject) > SUBJECT_MAX_LENGTH:
        subject = subject[: SUBJECT_MAX_LENGTH - 1] + "\u2026"
    return RenderedEmail(
        subject=subject,
        body_text=render_to_string(f"{base}.txt", full_context),
        body_html=render_to_string(f"{base}.html", full_context),
    )


def email_enqueue(*, kind: str, to_email: str, context: dict) -> OutboxEmail:
    """Render an email of ``kind`` for ``to_email`` and write it to the outbox as one pending row; return it.

    Call it inside the business operation that makes the change the email reports
    (``shop.transactions.run``), so that the row commits or rolls back with the
    change. Context keys per kind: see ``notifications/templates/notifications/email/``
    and the README ("Emails"). Delivery is attempted right after the operation
    succeeded (unless ``OUTBOX_DELIVER_ON_COMMIT`` is off); the worker retries.
    Raises ValueError for an unknown kind and ValidationError for a bad address.
    """
    validate_email(to_email)
    rendered = email_render(kind=kind, context=context)
    now = timezone.now()
    lease_end = to_milliseconds(now + timedelta(seconds=settings.OUTBOX_LEASE_SECONDS))
    held = transactions.in_operation_without_transaction()
    # Delivered by this process once the operation has succeeded: written claimed by it,
    # unless there is no transaction (the row is visible at once: see _deliver_after_success).
    claimed = settings.OUTBOX_DELIVER_ON_COMMIT and not held
    email = OutboxEmail.objects.create(
        kind=kind,
        to_email=to_email,
        subject=rendered.subject,
        body_text=rendered.body_text,
        body_html=rendered.body_html,
        status=EmailStatus.SENDING if claimed else EmailStatus.PENDING,
        locked_until=lease_end if claimed else None,
        # Without a transaction the row is visible at once: no worker may take it before
        # the operation has had time to finish (or fail and delete it).
        next_attempt_at=lease_end if claimed or held else now,
        created_at=now,
        message_id=message_id_new(),
    )
    transactions.on_failure(
        f"outbox email {email.pk} ({kind})", lambda: OutboxEmail.objects.filter(pk=email.pk).delete()
    )
    if settings.OUTBOX_DELIVER_ON_COMMIT:
        # Once the operation has succeeded; in a request, once its response has been sent.
        transactions.after_success(lambda: after_response(lambda: _deliver_after_success(email)))
    return email


def message_id_new() -> str:
    """Return a new Message-ID (``<...@domain>``), in the domain of ``DEFAULT_FROM_EMAIL``."""
    domain = parseaddr(settings.DEFAULT_FROM_EMAIL)[1].rpartition("@")[2] or "localhost"
    return make_msgid(idstring="outbox", domain=domain)


# --- Delivering ----------------------------------------------------------------------------------


@dataclass
class DeliveryReport:
    """What one delivery pass did.

    ``sent``: accepted by the mail server and marked sent; ``retrying``: failed, tried
    again after a backoff; ``failed``: failed for the last time (``OUTBOX_MAX_ATTEMPTS``);
    ``contended``: taken by another worker first; ``lease_lost``: sent, but the lease had
    ended meanwhile, so another worker may send it again (same Message-ID).
    """

    sent: int = 0
    retrying: int = 0
    failed: int = 0
    contended: int = 0
    lease_lost: int = 0
    errors: list[str] = field(default_factory=list)

    @property
    def claimed(self) -> int:
        """Return how many rows this pass took (and tried to send)."""
        return self.sent + self.retrying + self.failed + self.lease_lost

    def __str__(self) -> str:
        return (
            f"sent {self.sent}, to retry {self.retrying}, failed {self.failed}, "
            f"taken by another worker {self.contended}, lease lost {self.lease_lost}"
        )


def _due(now: datetime) -> Q:
    """Rows a worker may take at ``now``: pending and due, or sending with an ended lease.

    A sending row's ``next_attempt_at`` is its lease's end, so both branches are
    served by the (status, next_attempt_at) index.
    """
    return Q(status=EmailStatus.PENDING, next_attempt_at__lte=now) | Q(
        status=EmailStatus.SENDING, next_attempt_at__lte=now
    )


def backoff(*, attempts: int) -> timedelta:
    """Return the wait after the ``attempts``-th failure: 1 minute doubling, at most 1 hour."""
    return timedelta(seconds=min(BACKOFF_FIRST_SECONDS * 2 ** (attempts - 1), BACKOFF_MAX_SECONDS))


def outbox_deliver(
    *, limit: int = 100, now: datetime | None = None, stop: Callable[[], bool] | None = None
) -> DeliveryReport:
    """Send up to ``limit`` due emails, oldest due first, one claim at a time; return what happened.

    ``now`` fixes the clock (tests); ``stop`` is asked before each email and ends the
    pass early when it says so (the worker's SIGTERM). Errors of the mail server are
    recorded on the row; database errors propagate.
    """
    clock = (lambda: now) if now is not None else timezone.now
    report = DeliveryReport()
    candidates = list(OutboxEmail.objects.filter(_due(clock())).order_by("next_attempt_at", "id")[:limit])
    if not candidates:
        return report
    with _MailConnection() as connection:
        for email in candidates:
            if stop is not None and stop():
                break
            lease = _claim(email, now=clock(), condition=_due(clock()), report=report)
            if lease is not None:
                _send_and_record(email, lease=lease, clock=clock, connection=connection, report=report)
    return report


def _deliver_after_success(email: OutboxEmail) -> None:
    """Try one email just enqueued, once its operation succeeded; a failure is left to the worker.

    A row written claimed (:func:`email_enqueue`) is sent under the lease it was written
    with, unless that has ended (a very long operation: a worker may hold it now). A row
    written held (no transaction) is claimed first: not due yet, but its operation has
    now succeeded.
    """
    try:
        report = DeliveryReport()
        now = timezone.now()
        if email.status == EmailStatus.SENDING:
            lease = email.locked_until if email.locked_until > now else None
        else:
            # Untouched since (_claim adds attempts=0), or a worker has taken it meanwhile.
            lease = _claim(email, now=now, condition=Q(status=EmailStatus.PENDING), report=report)
        if lease is not None:
            timeout = min(settings.EMAIL_TIMEOUT or IN_PROCESS_TIMEOUT_SECONDS, IN_PROCESS_TIMEOUT_SECONDS)
            with _MailConnection(timeout=timeout) as connection:
                _send_and_record(email, lease=lease, clock=timezone.now, connection=connection, report=report)
    except Exception:
        logger.exception("in-process delivery of outbox email %s failed; the worker will retry it", email.pk)


def _claim(email: OutboxEmail, *, now: datetime, condition: Q, report: DeliveryReport) -> datetime | None:
    """Take ``email`` with a conditional update; return the lease's end, or None if another worker has it.

    The condition includes the attempts the caller saw, so a row retried and
    re-scheduled by another worker meanwhile is not taken on stale information. A row
    whose previous lease ended unfinished counts that as a failed attempt; past
    ``OUTBOX_MAX_ATTEMPTS`` it is marked failed instead of sent again.
    """
    lease_end = to_milliseconds(now + timedelta(seconds=settings.OUTBOX_LEASE_SECONDS))
    mine = OutboxEmail.objects.filter(condition, pk=email.pk, attempts=email.attempts)
    if email.status == EmailStatus.SENDING:
        attempts = email.attempts + 1
        if attempts >= settings.OUTBOX_MAX_ATTEMPTS:
            if mine.update(
                status=EmailStatus.FAILED, attempts=attempts, locked_until=None, last_error=LEASE_LOST_ERROR
            ):
                report.failed += 1
                logger.error("outbox email %s failed for good: %s", email.pk, LEASE_LOST_ERROR)
            else:
                report.contended += 1
            return None
        claimed = mine.update(
            status=EmailStatus.SENDING,
            locked_until=lease_end,
            next_attempt_at=lease_end,
            attempts=attempts,
            last_error=LEASE_LOST_ERROR,
        )
    else:
        attempts = email.attempts
        claimed = mine.update(status=EmailStatus.SENDING, locked_until=lease_end, next_attempt_at=lease_end)
    if not claimed:
        report.contended += 1
        return None
    email.status, email.attempts, email.locked_until = EmailStatus.SENDING, attempts, lease_end
    return lease_end


def _send_and_record(
    email: OutboxEmail, *, lease: datetime, clock: Callable[[], datetime], connection, report: DeliveryReport
) -> None:
    """Send a claimed email, then mark it sent or record the failure and backoff (if the lease holds)."""
    held = OutboxEmail.objects.filter(pk=email.pk, status=EmailStatus.SENDING, locked_until=lease)
    try:
        connection.send(email)
    except Exception as exc:
        error = f"{type(exc).__name__}: {exc}"[:LAST_ERROR_MAX_LENGTH]
        attempts = email.attempts + 1
        now = clock()
        if attempts >= settings.OUTBOX_MAX_ATTEMPTS:
            recorded = held.update(
                status=EmailStatus.FAILED, attempts=attempts, locked_until=None, last_error=error
            )
            outcome, level = "failed for good", logging.ERROR
            report.failed += 1
        else:
            recorded = held.update(
                status=EmailStatus.PENDING,
                attempts=attempts,
                locked_until=None,
                next_attempt_at=now + backoff(attempts=attempts),
                last_error=error,
            )
            outcome, level = "will be retried", logging.WARNING
            report.retrying += 1
        report.errors.append(error)
        logger.log(level, "outbox email %s not sent (attempt %d), %s: %s", email.pk, attempts, outcome, error)
        if not recorded:
            logger.warning("outbox email %s: its lease ended before the failure was recorded", email.pk)
        return
    sent_at = clock()
    if held.update(status=EmailStatus.SENT, sent_at=sent_at, locked_until=None):
        email.status, email.sent_at, email.locked_until = EmailStatus.SENT, sent_at, None
        report.sent += 1
        return
    report.lease_lost += 1
    logger.warning(
        "outbox email %s was sent after its lease ended; another worker may send it again "
        "(same Message-ID %s)",
        email.pk,
        email.message_id,
    )


class _MailConnection:
    """One connection of the email backend for a pass: opened at the first email, reopened after an error."""

    def __init__(self, *, timeout: float | None = None):
        self.backend = None
        # Django's SMTP backend takes it; the others accept and ignore it.
        self.options = {"timeout": timeout} if timeout is not None else {}

    def __enter__(self) -> _MailConnection:
        return self

    def __exit__(self, *exc_info) -> None:
        self._close()

    def _close(self) -> None:
        backend, self.backend = self.backend, None
        if backend is not None:
            try:
                backend.close()
            except Exception:
                logger.warning("closing the mail connection failed", exc_info=True)

    def send(self, email: OutboxEmail) -> None:
        """Send ``email`` (text and HTML, with its Message-ID); raise whatever the backend raises."""
        if self.backend is None:
            self.backend = get_connection(fail_silently=False, **self.options)
            self.backend.open()
        message = EmailMultiAlternatives(
            subject=email.subject,
            body=email.body_text,
            from_email=settings.DEFAULT_FROM_EMAIL,
            to=[email.to_email],
            headers={"Message-ID": email.message_id},
            connection=self.backend,
        )
        message.attach_alternative(email.body_html, "text/html")
        try:
            if message.send() != 1:
                raise RuntimeError("the email backend did not send the message")
        except Exception:
            self._close()  # the connection may be broken: the next email opens a new one
            raise


# --- Staff -----------------------------------------------------------------------------------------


def outbox_retry(*, ids: Iterable) -> int:
    """Put the failed emails among ``ids`` back to pending, due now, with no attempts; return how many.

    Emails that are not failed are left as they are. The last error stays on the row
    until the next attempt replaces it.
    """
    pks = list(ids)
    if not pks:
        return 0
    return OutboxEmail.objects.filter(pk__in=pks, status=EmailStatus.FAILED).update(
        status=EmailStatus.PENDING, attempts=0, next_attempt_at=timezone.now(), locked_until=None
    )


@dataclass(frozen=True)
class OutboxBacklog:
    """The emails not delivered yet: counts by status and the age of the oldest pending one."""

    counts: dict[str, int]
    oldest_pending_age: timedelta | None

    def __str__(self) -> str:
        parts = [f"{self.counts[status]} {status}" for status in BACKLOG_STATUSES]
        if self.oldest_pending_age is not None:
            parts.append(f"oldest pending {int(self.oldest_pending_age.total_seconds())} s old")
        return ", ".join(parts)


def outbox_backlog(*, now: datetime | None = None) -> OutboxBacklog:
    """Return the backlog: emails pending, sending and failed, and the oldest pending one's age.

    Sent emails are not counted (they only grow): two queries on the status index,
    cheap enough for every metrics scrape.
    """
    now = now or timezone.now()
    counts = dict.fromkeys((str(status) for status in BACKLOG_STATUSES), 0)
    rows = (
        OutboxEmail.objects.filter(status__in=BACKLOG_STATUSES)
        .order_by()
        .values("status")
        .annotate(count=Count("pk"))
    )
    for row in rows:
        counts[row["status"]] = row["count"]
    pending = OutboxEmail.objects.filter(status=EmailStatus.PENDING)
    oldest = pending.aggregate(oldest=Min("created_at"))["oldest"]
    return OutboxBacklog(
        counts=counts, oldest_pending_age=max(now - oldest, timedelta(0)) if oldest else None
    )
