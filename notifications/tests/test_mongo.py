"""MongoDB contract of the outbox: every query site of the services, the admin and the scrape compiles.

Runs in ``make test``'s MongoDB pass (``MONGODB_URI`` points at a host where no
server listens). ``shop.testing.mongo.record_commands`` replaces only
django-mongodb-backend's seam to pymongo (``get_collection()``, its client and
database) and records every command the backend would send, with the session and
transaction each carries; the compilers, ``execute_sql``, the transaction runner and
the outbox's services run as in production. Reads get documents only when an
``Answer`` names them. It shows what would be sent and never stands in for a
database: the outbox's behaviour is tested on SQLite (``test_services.py``).
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from bson import Decimal128, ObjectId
from django.core import mail
from django.test import Client
from django.urls import reverse

from notifications import services
from notifications.tests.helpers import password_reset_email, smtp_refused
from shop import transactions
from shop.testing.mongo import (
    Answer,
    assert_index_friendly,
    conjuncts,
    describe,
    first_match,
    record_commands,
    session_answers,
    user_document,
)
from shop.testing.mongo_indexes import assert_served_by_index

pytestmark = pytest.mark.mongo

COLLECTION = "notifications_outboxemail"
NOW = datetime(2026, 12, 2, 12, 0, 0, 123000, tzinfo=UTC)
EMAIL_ID = ObjectId("65277a812b73bb530ad77501")
STAFF = user_document(ObjectId("65277a812b73bb530ad775ff"))
SESSION_KEY = "n" * 32


def email_document(status: str = "pending", attempts: int = 0, **fields) -> dict:
    naive = NOW.replace(tzinfo=None)
    return {
        "_id": EMAIL_ID,
        "kind": "password_reset",
        "to_email": "ann@example.com",
        "subject": "Shop: reset your password",
        "body_text": "text",
        "body_html": "<p>html</p>",
        "status": status,
        "attempts": attempts,
        "next_attempt_at": naive - timedelta(minutes=1),
        "locked_until": None,
        "last_error": "",
        "created_at": naive - timedelta(minutes=2),
        "sent_at": None,
        "message_id": "<1.outbox@localhost>",
        **fields,
    }


def writes_of(recorder) -> list[tuple[str, str]]:
    return [(command.collection, command.method) for command in recorder.writes]


# --- enqueue: inside the operation, delivery after it -----------------------------------------------


def test_enqueue_is_one_insert_in_the_transaction_and_delivery_follows_the_commit():
    with record_commands() as recorder:
        email = transactions.run(password_reset_email)
    insert, sent = recorder.writes
    assert (insert.collection, insert.method) == (COLLECTION, "insert_many")
    assert insert.in_transaction and insert.session is recorder.sessions[0]
    document = insert.args[0][0]
    # Written claimed by this process (its lease running): the delivery needs no claim.
    assert document["status"] == "sending" and document["message_id"] == email.message_id
    assert document["locked_until"] is not None and document["locked_until"] == document["next_attempt_at"]
    assert recorder.events() == ["start_transaction", "commit_transaction", "end_session"]
    # The in-process attempt ran after the commit, outside the transaction, under that lease.
    assert (sent.method, sent.session) == ("update_many", None)
    assert sorted(map(describe, conjuncts(sent.args[0]))) == sorted(
        map(describe, [{"_id": email.pk}, {"status": "sending"}, {"locked_until": document["locked_until"]}])
    )
    assert len(mail.outbox) == 1


def test_on_a_standalone_server_a_failed_operation_deletes_its_email(settings):
    settings.MONGODB_ALLOW_STANDALONE = True

    def operation():
        password_reset_email()
        raise RuntimeError("boom")

    with record_commands(topology="standalone") as recorder, pytest.raises(RuntimeError):
        transactions.run(operation)
    assert writes_of(recorder) == [(COLLECTION, "insert_many"), (COLLECTION, "delete_many")]
    held = recorder.writes[0].args[0][0]["next_attempt_at"]
    assert held > datetime.now(UTC).replace(tzinfo=None) + timedelta(seconds=60)  # no worker takes it yet
    assert mail.outbox == []


def test_on_a_standalone_server_a_succeeded_operation_sends_after_it(settings):
    settings.MONGODB_ALLOW_STANDALONE = True
    with record_commands(topology="standalone") as recorder:
        transactions.run(password_reset_email)
    assert writes_of(recorder) == [
        (COLLECTION, "insert_many"),
        (COLLECTION, "update_many"),
        (COLLECTION, "update_many"),
    ]
    assert recorder.sessions == []
    assert len(mail.outbox) == 1


# --- the worker -----------------------------------------------------------------------------------


def due_read() -> list:
    """Return the pipeline of the worker's read of due rows at NOW (captured from outbox_deliver)."""
    with record_commands() as recorder:
        services.outbox_deliver(now=NOW)
    ((collection, pipeline),) = recorder.reads
    assert collection == COLLECTION
    return pipeline


def deliver(document: dict) -> object:
    answer = Answer(COLLECTION, where=first_match(due_read()), documents=(document,))
    with record_commands([answer]) as recorder:
        report = services.outbox_deliver(now=NOW)
    return recorder, report


def test_the_due_read_is_an_indexed_or_of_two_statuses_sorted_by_next_attempt():
    pipeline = due_read()
    assert_index_friendly(pipeline)
    (index,) = {index.name for index in assert_served_by_index(COLLECTION, pipeline)}
    assert index == "notifications_outbox_due"
    text = describe(first_match(pipeline))
    assert '"status": "pending"' in text and '"status": "sending"' in text and "$lte" in text
    assert pipeline[1] == {"$sort": {"next_attempt_at": 1, "_id": 1}}
    assert pipeline[2] == {"$limit": 100}


def test_a_pending_row_is_claimed_conditionally_sent_and_marked_while_the_lease_holds():
    recorder, report = deliver(email_document())
    assert report.sent == 1
    claim, sent = recorder.writes
    assert all(command.session is None for command in recorder.writes)  # single-document updates
    criteria = describe(claim.args[0])
    assert str(EMAIL_ID) in criteria and '"attempts": 0' in criteria and "$or" in criteria
    claim_set = describe(claim.args[1])
    assert '"sending"' in claim_set and "locked_until" in claim_set and "next_attempt_at" in claim_set
    mark = describe(sent.args[0])
    assert str(EMAIL_ID) in mark and '"status": "sending"' in mark and "locked_until" in mark
    assert '"sent"' in describe(sent.args[1])
    assert mail.outbox[0].extra_headers["Message-ID"] == "<1.outbox@localhost>"


def test_a_failed_send_is_recorded_with_its_backoff_or_as_failed(settings):
    smtp_refused(settings)
    recorder, report = deliver(email_document())
    assert report.retrying == 1
    retry = describe(recorder.writes[1].args[1])
    assert '"pending"' in retry and "last_error" in retry and "next_attempt_at" in retry

    settings.OUTBOX_MAX_ATTEMPTS = 1
    recorder, report = deliver(email_document())
    assert report.failed == 1
    assert '"failed"' in describe(recorder.writes[1].args[1])


def test_a_row_whose_lease_ended_is_claimed_again_or_given_up(settings):
    lapsed = email_document(
        "sending", attempts=0, locked_until=NOW.replace(tzinfo=None) - timedelta(seconds=5)
    )
    recorder, report = deliver(lapsed)
    assert report.sent == 1
    assert recorder.writes[0].args[1][0]["$set"]["attempts"] == {"$literal": 1}

    settings.OUTBOX_MAX_ATTEMPTS = 1
    recorder, report = deliver(lapsed)
    assert report.failed == 1
    (give_up,) = recorder.writes
    assert '"failed"' in describe(give_up.args[1])


def test_a_claim_lost_to_another_worker_sends_nothing():
    answer = Answer(COLLECTION, where=first_match(due_read()), documents=(email_document(),))
    with record_commands([answer], matched=0) as recorder:
        report = services.outbox_deliver(now=NOW)
    assert (report.contended, report.claimed) == (1, 0)
    assert len(recorder.writes) == 1
    assert mail.outbox == []


# --- staff: retry, backlog, admin, metrics -------------------------------------------------------------


def test_retry_is_one_conditional_update_of_the_failed_among_the_ids():
    other = ObjectId()
    with record_commands() as recorder:
        services.outbox_retry(ids=[EMAIL_ID, other])
    (update,) = recorder.writes
    criteria = describe(update.args[0])
    assert str(EMAIL_ID) in criteria and str(other) in criteria and '"status": "failed"' in criteria
    assert update.args[1][0]["$set"]["attempts"] == {"$literal": 0}
    assert describe(update.args[1][0]["$set"]["status"]) == describe({"$literal": "pending"})


def test_the_backlog_is_two_reads_on_the_status_index():
    with record_commands() as recorder:
        backlog = services.outbox_backlog(now=NOW)
    assert backlog.counts == {"pending": 0, "sending": 0, "failed": 0}
    (_, grouped), (_, oldest) = recorder.reads
    for pipeline in (grouped, oldest):
        assert_index_friendly(pipeline)
        assert_served_by_index(COLLECTION, pipeline)
    assert describe(grouped[0]) == describe({"$match": {"status": {"$in": ["pending", "sending", "failed"]}}})
    assert "$group" in describe(grouped)
    assert describe(oldest[0]) == describe({"$match": {"status": "pending"}})


ADMIN_ANSWERS = [
    *session_answers(STAFF, session_key=SESSION_KEY),
    Answer(COLLECTION, where=None, documents=(email_document("failed", attempts=8, last_error="refused"),)),
    Answer(COLLECTION, where={"_id": EMAIL_ID}, documents=(email_document("failed", attempts=8),)),
    Answer(
        COLLECTION, where={"_id": {"$in": (EMAIL_ID,)}}, documents=(email_document("failed", attempts=8),)
    ),
]


def admin() -> Client:
    client = Client()
    client.cookies["sessionid"] = SESSION_KEY
    return client


def test_the_admin_list_filters_search_change_page_and_retry_action_compile():
    changelist = reverse("admin:notifications_outboxemail_changelist")
    client = admin()
    with record_commands(ADMIN_ANSWERS) as recorder:
        assert client.get(changelist).status_code == 200
        assert client.get(changelist, {"status__exact": "failed"}).status_code == 200
        assert client.get(changelist, {"kind__exact": "order_placed"}).status_code == 200
        assert client.get(changelist, {"q": "ann@"}).status_code == 200
        change = reverse("admin:notifications_outboxemail_change", args=[EMAIL_ID])
        assert client.get(change).status_code == 200
        assert client.get(reverse("admin:notifications_outboxemail_add")).status_code == 403
        delete = reverse("admin:notifications_outboxemail_delete", args=[EMAIL_ID])
        assert client.get(delete).status_code == 403
        response = client.post(changelist, {"action": "retry_failed", "_selected_action": [str(EMAIL_ID)]})
    assert response.status_code == 302
    (retry,) = [command for command in recorder.writes if command.collection == COLLECTION]
    assert '"status": "failed"' in describe(retry.args[0])


def test_a_metrics_scrape_reads_the_backlog():
    with record_commands() as recorder:
        response = Client().get("/metrics")
    assert response.status_code == 200
    assert 'shop_outbox_emails{status="pending"} 0.0' in response.content.decode()
    assert [collection for collection, _ in recorder.reads] == [COLLECTION, COLLECTION]


def test_a_backlog_read_that_fails_leaves_the_gauges_out_of_the_scrape():
    # No MongoDB server listens: outside the recorder the read fails as in an outage.
    response = Client().get("/metrics")
    assert response.status_code == 200
    text = response.content.decode()
    assert "shop_http_request_duration_seconds" in text
    assert "shop_outbox_emails" not in text


def test_order_emails_read_the_lines_with_one_plain_match_on_the_order():
    from decimal import Decimal

    from orders.models import Order
    from orders.services import order_email_context

    # Without its details (an order written before the read model): the lines are read.
    order = Order(pk=ObjectId(), total=Decimal("20.00"), currency="USD", status="IN_PROGRESS")
    line = {
        "_id": ObjectId(),
        "order_id": order.pk,
        "product_id": ObjectId(),
        "position": 1,
        "sku": "EL-1",
        "name": "Phone",
        "category_slug": "electronics",
        "unit_price": Decimal128("10.00"),
        "quantity": 2,
        "line_total": Decimal128("20.00"),
        "stock_reserved": True,
    }
    answer = Answer("orders_orderline", where={"order_id": order.pk}, documents=(line,))
    with record_commands([answer]) as recorder:
        context = order_email_context(order=order, customer_name="Ann")
        email = services.email_render(kind="order_placed", context=context)
    assert "2 x Phone (EL-1)" in email.body_text and "Phone" in email.body_html
    assert {collection for collection, _ in recorder.reads} == {"orders_orderline"}
    for _collection, pipeline in recorder.reads:
        assert_index_friendly(pipeline)
        assert pipeline[0] == {"$match": {"order_id": order.pk}}
