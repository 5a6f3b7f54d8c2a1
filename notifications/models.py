"""The email outbox: one row per email, written in the transaction of the change it reports.

Nothing but ``notifications.services`` writes these rows (STYLE.md habit 2).
"""

from django.db import models
from django.utils import timezone


class EmailKind(models.TextChoices):
    """What an email reports; each kind has its templates in ``templates/notifications/email/``."""

    ORDER_PLACED = "order_placed", "Order placed"
    ORDER_SHIPPED = "order_shipped", "Order shipped"
    ORDER_CANCELLED = "order_cancelled", "Order cancelled"
    PASSWORD_RESET = "password_reset", "Password reset"


class EmailStatus(models.TextChoices):
    """Where an email is in its delivery.

    ``pending`` waits for ``next_attempt_at``; ``sending`` is held by one worker until
    its lease (``locked_until``) ends; ``sent`` was accepted by the mail server;
    ``failed`` gave up after ``OUTBOX_MAX_ATTEMPTS`` (staff can retry it).
    """

    PENDING = "pending", "Pending"
    SENDING = "sending", "Sending"
    SENT = "sent", "Sent"
    FAILED = "failed", "Failed"


class OutboxEmail(models.Model):
    """One email to one recipient, rendered when it was enqueued, and its delivery state.

    ``next_attempt_at`` is when a worker may take the row next: the backoff's end for
    a pending row, and the lease's end (``locked_until``) for a row being sent, so
    that one index (status, next_attempt_at) finds both the due rows and the rows
    whose worker died. ``message_id`` is the Message-ID header of every delivery of
    this row: a retry after a lost acknowledgement carries the same one, so that a
    receiver can drop the duplicate.
    """

    kind = models.CharField(max_length=32, choices=EmailKind.choices)
    to_email = models.EmailField("recipient", max_length=254)
    subject = models.CharField(max_length=255)
    body_text = models.TextField()
    body_html = models.TextField()
    status = models.CharField(max_length=10, choices=EmailStatus.choices, default=EmailStatus.PENDING)
    attempts = models.PositiveIntegerField(default=0, help_text="Failed delivery attempts so far.")
    next_attempt_at = models.DateTimeField(default=timezone.now)
    locked_until = models.DateTimeField(null=True, blank=True, help_text="End of the sending worker's lease.")
    last_error = models.TextField(blank=True, default="")
    created_at = models.DateTimeField(default=timezone.now)
    sent_at = models.DateTimeField(null=True, blank=True)
    message_id = models.CharField("Message-ID", max_length=255)

    class Meta:
        verbose_name = "outbox email"
        ordering = ["-created_at", "-id"]
        indexes = [
            # The worker's claim: the due rows of one status, oldest first.
            models.Index(fields=["status", "next_attempt_at", "id"], name="notifications_outbox_due"),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} to {self.to_email} ({self.status})"
