"""The outbox backlog on ``/metrics``: gauges by status and the oldest pending email's age."""

from __future__ import annotations

import pytest
from prometheus_client.parser import text_string_to_metric_families

from notifications import services
from notifications.tests.helpers import password_reset_email, smtp_refused

pytestmark = pytest.mark.django_db


def gauges(api_client) -> dict:
    response = api_client.get("/metrics")
    assert response.status_code == 200
    return {
        (sample.name, tuple(sorted(sample.labels.items()))): sample.value
        for family in text_string_to_metric_families(response.content.decode())
        for sample in family.samples
        if sample.name.startswith("shop_outbox_")
    }


def test_the_backlog_is_a_gauge_by_status_with_the_oldest_pending_age(api_client, settings):
    settings.OUTBOX_DELIVER_ON_COMMIT = False
    assert gauges(api_client) == {
        ("shop_outbox_emails", (("status", "pending"),)): 0,
        ("shop_outbox_emails", (("status", "sending"),)): 0,
        ("shop_outbox_emails", (("status", "failed"),)): 0,
        ("shop_outbox_oldest_pending_age_seconds", ()): 0,
    }
    settings.OUTBOX_MAX_ATTEMPTS = 1
    password_reset_email("ann@example.com")
    smtp_refused(settings)
    services.outbox_deliver()  # ann's fails for good
    password_reset_email("bob@example.com")
    password_reset_email("cy@example.com")

    found = gauges(api_client)

    assert found[("shop_outbox_emails", (("status", "pending"),))] == 2
    assert found[("shop_outbox_emails", (("status", "failed"),))] == 1
    assert found[("shop_outbox_emails", (("status", "sending"),))] == 0
    assert 0 <= found[("shop_outbox_oldest_pending_age_seconds", ())] < 60
