"""Django admin for the outbox: what was sent, what waits, what failed and why; retry the failed.

Rows are written by ``notifications.services`` only: nothing is added, edited or
deleted here. The list shows the backlog (``outbox_backlog``) above the rows, and
"Retry selected failed emails" puts failed rows back through ``outbox_retry``.
"""

from __future__ import annotations

from django.contrib import admin, messages
from django.utils.text import Truncator
from django.utils.translation import ngettext

from notifications.models import OutboxEmail
from notifications.services import outbox_backlog, outbox_retry


@admin.register(OutboxEmail)
class OutboxEmailAdmin(admin.ModelAdmin):
    """Outbox emails for staff: status, recipient, attempts, next attempt, last error; retry failed ones."""

    list_display = (
        "created_at",
        "status",
        "kind",
        "to_email",
        "attempts",
        "next_attempt_at",
        "last_error_short",
    )
    list_filter = ("status", "kind")
    search_fields = ("to_email",)
    search_help_text = "Recipient's email address (or part of it)."
    ordering = ("-created_at", "-id")
    fields = (
        "kind",
        "to_email",
        "subject",
        "status",
        "attempts",
        "next_attempt_at",
        "locked_until",
        "last_error",
        "created_at",
        "sent_at",
        "message_id",
        "body_text",
        "body_html",
    )
    readonly_fields = fields
    actions = ("retry_failed",)
    show_full_result_count = False

    @admin.display(description="last error")
    def last_error_short(self, email: OutboxEmail) -> str:
        """Return the start of the last delivery error (the change page shows all of it)."""
        return Truncator(email.last_error).chars(80)

    def has_add_permission(self, request):
        """Refuse: emails are written by the business operations (``email_enqueue``) only."""
        return False

    def has_delete_permission(self, request, obj=None):
        """Refuse: the outbox is the record of what was sent."""
        return False

    def changelist_view(self, request, extra_context=None):
        """Show the list with the backlog (pending, sending, failed, oldest pending) above it."""
        return super().changelist_view(request, {**(extra_context or {}), "outbox_backlog": outbox_backlog()})

    @admin.action(description="Retry selected failed emails", permissions=["change"])
    def retry_failed(self, request, queryset):
        """Put the selected failed emails back to pending through ``outbox_retry``; others are left alone."""
        selected = list(queryset.values_list("pk", flat=True))
        retried = outbox_retry(ids=selected)
        self.message_user(
            request,
            ngettext("%d failed email queued again.", "%d failed emails queued again.", retried) % retried,
            messages.SUCCESS if retried else messages.WARNING,
        )
        skipped = len(selected) - retried
        if skipped:
            self.message_user(
                request,
                ngettext(
                    "%d selected email was not failed and was left as it is.",
                    "%d selected emails were not failed and were left as they are.",
                    skipped,
                )
                % skipped,
                messages.WARNING,
            )
