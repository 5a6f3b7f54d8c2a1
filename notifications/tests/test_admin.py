"""The outbox admin: the list with its backlog, filters and search, read-only rows, the retry action."""

from __future__ import annotations

import pytest
from django.contrib.messages import get_messages
from django.urls import reverse

from accounts.tests.factories import UserFactory
from notifications import services
from notifications.models import EmailStatus, OutboxEmail
from notifications.tests.helpers import password_reset_email, smtp_refused

pytestmark = pytest.mark.django_db

CHANGELIST = reverse("admin:notifications_outboxemail_changelist")


@pytest.fixture
def staff_client(client):
    client.force_login(UserFactory(is_staff=True, is_superuser=True))
    return client


@pytest.fixture
def emails(settings):
    """One failed email (ann) and one pending (bob)."""
    settings.OUTBOX_DELIVER_ON_COMMIT = False
    settings.OUTBOX_MAX_ATTEMPTS = 1
    failed = password_reset_email("ann@example.com")
    smtp_refused(settings)
    services.outbox_deliver(limit=1)
    pending = password_reset_email("bob@example.com")
    return OutboxEmail.objects.get(pk=failed.pk), pending


def listed(response) -> set:
    return {email.pk for email in response.context["cl"].result_list}


def test_the_list_shows_status_recipient_attempts_errors_and_the_backlog(staff_client, emails):
    response = staff_client.get(CHANGELIST)
    assert response.status_code == 200
    text = response.content.decode()
    for header in ("status", "kind", "recipient", "attempts", "next attempt at", "last error"):
        assert header in text.lower()
    assert "ann@example.com" in text and "bob@example.com" in text
    assert "ConnectionRefusedError" in text
    assert "Backlog:" in text and "1 pending" in text and "1 failed" in text


def test_filters_by_status_and_kind_and_search_by_recipient(staff_client, emails):
    failed, pending = emails
    assert listed(staff_client.get(CHANGELIST, {"status__exact": "failed"})) == {failed.pk}
    assert listed(staff_client.get(CHANGELIST, {"kind__exact": "password_reset"})) == {failed.pk, pending.pk}
    assert listed(staff_client.get(CHANGELIST, {"kind__exact": "order_placed"})) == set()
    assert listed(staff_client.get(CHANGELIST, {"q": "bob@"})) == {pending.pk}


def test_rows_are_read_only_and_cannot_be_added_or_deleted(staff_client, emails):
    failed, _pending = emails
    change = reverse("admin:notifications_outboxemail_change", args=[failed.pk])
    page = staff_client.get(change)
    assert page.status_code == 200
    assert page.context["adminform"].form.fields == {}  # every field read-only
    assert staff_client.get(reverse("admin:notifications_outboxemail_add")).status_code == 403
    delete = reverse("admin:notifications_outboxemail_delete", args=[failed.pk])
    assert staff_client.get(delete).status_code == 403


def test_the_retry_action_requeues_the_failed_and_names_the_others(staff_client, emails):
    failed, pending = emails
    response = staff_client.post(
        CHANGELIST, {"action": "retry_failed", "_selected_action": [str(failed.pk), str(pending.pk)]}
    )
    assert response.status_code == 302
    retried = OutboxEmail.objects.get(pk=failed.pk)
    assert (retried.status, retried.attempts) == (EmailStatus.PENDING, 0)
    assert [str(m) for m in get_messages(response.wsgi_request)] == [
        "1 failed email queued again.",
        "1 selected email was not failed and was left as it is.",
    ]


def test_customers_and_anonymous_visitors_cannot_see_the_outbox(client, emails):
    assert client.get(CHANGELIST).status_code == 302  # to the admin login
    client.force_login(UserFactory())
    assert client.get(CHANGELIST).status_code == 302
    staff_without_permission = UserFactory(is_staff=True)
    client.force_login(staff_without_permission)
    assert client.get(CHANGELIST).status_code == 403
