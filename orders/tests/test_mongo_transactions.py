"""What business operations send to MongoDB: one transaction on a replica set, retried; compensation without.

Runs in ``make test``'s MongoDB pass. ``record_commands`` (shop/testing/mongo.py)
records every command django-mongodb-backend hands to pymongo, with the session and
the transaction state each carries, and raises a chosen fault instead of answering
a chosen write or commit, exactly as pymongo would raise it (a WriteConflict with
the ``TransientTransactionError`` label, a commit whose outcome is unknown). The
shop's transaction runner and the backend run unchanged above it. This shows what
would be sent and retried; behaviour against real data is proven on SQLite
(shop/tests/test_fault_injection.py) and on a real replica set wherever
``MONGODB_URI`` names one (orders/tests/test_concurrency.py).
"""

from __future__ import annotations

import logging
from datetime import UTC, datetime
from decimal import Decimal

import pytest
from bson import Decimal128, ObjectId
from rest_framework.test import APIClient

from accounts.models import User
from orders import services
from orders.models import Actor, Order, OrderStatus
from orders.tests.factories import SHIPPING_ADDRESS
from shop import errors
from shop.services import account_close
from shop.testing.mongo import (
    Answer,
    describe,
    fail_every_write,
    fail_nth_write,
    record_commands,
    server_error,
    unknown_commit_result,
    write_conflict,
)

pytestmark = pytest.mark.mongo

CUSTOMER_ID = ObjectId("65277a812b73bb530ad77307")
PRODUCTS = [ObjectId("65277a812b73bb530ad77311"), ObjectId("65277a812b73bb530ad77322")]
ORDER_ID = ObjectId("65277a812b73bb530ad77399")
NEW_ORDER_ID = ObjectId("65277a812b73bb530ad773aa")
KEY = "key-1"
# claim, two reservations, order, lines, history, binding the claim, the list version
CREATION_WRITES = [
    ("orders_idempotencyrecord", "insert_many"),
    ("catalog_product", "update_many"),
    ("catalog_product", "update_many"),
    ("orders_order", "insert_many"),
    ("orders_orderline", "insert_many"),
    ("orders_orderstatuschange", "insert_many"),
    ("orders_idempotencyrecord", "update_many"),
    ("notifications_outboxemail", "insert_many"),  # the "order placed" email, in the transaction
    ("accounts_user", "update_many"),
]


@pytest.fixture(autouse=True)
def small_retry_budget(settings):
    settings.DB_TRANSACTION_MAX_ATTEMPTS = 3


@pytest.fixture(autouse=True)
def worker_sends_the_emails(settings):
    """Leave the emails to the worker: the commands here are the operation's own.

    (The in-process attempt after the commit is compiled in notifications/tests/test_mongo.py.)
    """
    settings.OUTBOX_DELIVER_ON_COMMIT = False


def customer() -> User:
    return User(pk=CUSTOMER_ID, email="ann@example.com")


def product_document(product_id: ObjectId, position: int) -> dict:
    now = datetime.now(UTC).replace(tzinfo=None)
    return {
        "_id": product_id,
        "sku": f"SKU-{position}",
        "name": f"Product {position}",
        "category_id": "electronics",
        "description": "",
        "price": Decimal128("10.00"),
        "stock": 100,
        "is_active": True,
        "created_at": now,
        "updated_at": now,
    }


# The order's products, for the read of active products that validation makes.
ACTIVE_PRODUCTS = Answer(
    "catalog_product",
    where={"is_active": True},
    documents=tuple(product_document(pk, n) for n, pk in enumerate(PRODUCTS)),
)
ITEMS = [{"product": str(PRODUCTS[0]), "quantity": 2}, {"product": str(PRODUCTS[1]), "quantity": 1}]


def order_document(order_id: ObjectId, status: str = "IN_PROGRESS") -> dict:
    now = datetime.now(UTC).replace(tzinfo=None)
    return {
        "_id": order_id,
        "customer_id": CUSTOMER_ID,
        "status": status,
        "total": Decimal128("30.00"),
        "currency": "USD",
        "created_at": now,
        "updated_at": now,
    }


# The order the creation inserts, once it exists (Django's delete reads it before deleting).
NEW_ORDER = Answer("orders_order", where={"_id": NEW_ORDER_ID}, documents=(order_document(NEW_ORDER_ID),))


def create(**options) -> tuple[object, Order | BaseException]:
    """Place the order with the key under a recorder; return (recorder, order or the error raised)."""
    with record_commands(
        [ACTIVE_PRODUCTS, NEW_ORDER], ids={"orders_order": NEW_ORDER_ID}, **options
    ) as recorder:
        try:
            result = services.order_create(customer=customer(), items=ITEMS, idempotency_key=KEY)
        except Exception as exc:
            result = exc
    return recorder, result


def kinds(commands) -> list[tuple[str, str]]:
    return [(command.collection, command.method) for command in commands]


# --- Replica set: one transaction, retried ---------------------------------------------------------


def test_order_creation_is_one_transaction_with_majority_and_snapshot():
    recorder, order = create()
    assert isinstance(order, Order)
    assert kinds(recorder.writes) == CREATION_WRITES
    (session,) = recorder.sessions
    # The catalog is read first, outside the transaction; everything after runs in it.
    catalog_read, *operation = recorder.log
    assert catalog_read.collection == "catalog_product" and catalog_read.session is None
    assert all(command.session is session and command.in_transaction for command in operation)
    assert recorder.events() == ["start_transaction", "commit_transaction", "end_session"]
    options = recorder.transaction_events[0][2]
    assert options["read_concern"].level == "snapshot"
    assert options["write_concern"].document == {"w": "majority"}


def test_a_write_conflict_reruns_the_whole_creation_in_a_new_transaction():
    # The second reservation loses a write conflict to a concurrent order of the same product.
    recorder, order = create(fault=fail_nth_write(3, write_conflict))
    assert isinstance(order, Order)
    assert recorder.events() == [
        "start_transaction",
        "abort_transaction",
        "end_session",
        "start_transaction",
        "commit_transaction",
        "end_session",
    ]
    first, second = recorder.attempts
    assert kinds(first) == CREATION_WRITES[:3] and first[-1].error is not None
    assert kinds(second) == CREATION_WRITES
    assert first[0].session is recorder.sessions[0] and second[0].session is recorder.sessions[1]
    assert all(command.in_transaction for command in recorder.writes)


def test_write_conflicts_on_every_attempt_end_in_transaction_conflict_with_nothing_committed(settings):
    recorder, result = create(fault=fail_every_write(write_conflict, collection="catalog_product"))
    assert isinstance(result, errors.TransactionConflict)
    assert recorder.events().count("start_transaction") == settings.DB_TRANSACTION_MAX_ATTEMPTS
    assert "commit_transaction" not in recorder.events()
    assert recorder.events().count("abort_transaction") == settings.DB_TRANSACTION_MAX_ATTEMPTS
    # Everything was sent inside a transaction that was then aborted: nothing outside it.
    assert all(command.in_transaction for command in recorder.writes)


def test_through_http_exhausted_retries_are_a_503_with_retry_after():
    client = APIClient()
    client.force_authenticate(customer())
    with record_commands(
        [ACTIVE_PRODUCTS], fault=fail_every_write(write_conflict, collection="catalog_product")
    ):
        response = client.post(
            "/api/v1/orders/", {"shipping_address": SHIPPING_ADDRESS, "items": ITEMS}, format="json"
        )
    assert response.status_code == 503
    assert response.json()["code"] == "transaction_conflict"
    assert response["Retry-After"] == "1"


def test_a_commit_with_an_unknown_outcome_is_retried_as_a_commit():
    recorder, order = create(commit_fault=lambda n: unknown_commit_result() if n == 1 else None)
    assert isinstance(order, Order)
    assert recorder.events() == [
        "start_transaction",
        "commit_transaction",
        "commit_transaction",
        "end_session",
    ]
    assert len(recorder.sessions) == 1 and kinds(recorder.writes) == CREATION_WRITES


def test_a_commit_that_stays_unknown_says_so():
    recorder, result = create(commit_fault=lambda n: unknown_commit_result())
    assert isinstance(result, errors.CommitOutcomeUnknown)
    assert kinds(recorder.writes) == CREATION_WRITES  # sent once: a commit retry never reruns the writes


def test_a_transient_commit_error_reruns_the_operation():
    recorder, order = create(commit_fault=lambda n: write_conflict() if n == 1 else None)
    assert isinstance(order, Order)
    assert len(recorder.sessions) == 2
    assert [kinds(attempt) for attempt in recorder.attempts] == [CREATION_WRITES, CREATION_WRITES]


def test_a_non_transient_error_aborts_once_without_a_rerun():
    recorder, result = create(fault=fail_nth_write(4, server_error))
    assert isinstance(result, Exception) and not isinstance(result, errors.ShopError)
    assert recorder.events() == ["start_transaction", "abort_transaction", "end_session"]
    # The abort is the compensation: nothing is written after the failure.
    assert kinds(recorder.writes) == CREATION_WRITES[:4]


LINES = Answer(
    "orders_orderline",
    where={"order_id": ORDER_ID},
    documents=(
        {"product_id": PRODUCTS[0], "quantity": 2, "stock_reserved": True},
        {"product_id": PRODUCTS[1], "quantity": 1, "stock_reserved": True},
    ),
)
CANCEL_WRITES = [
    ("orders_order", "update_many"),
    ("orders_orderstatuschange", "insert_many"),
    ("catalog_product", "update_many"),
    ("catalog_product", "update_many"),
    ("accounts_user", "update_many"),
]


def cancel(**options):
    order = Order(pk=ORDER_ID, customer_id=CUSTOMER_ID, status=OrderStatus.IN_PROGRESS)
    with record_commands([LINES], **options) as recorder:
        try:
            result = services.order_cancel(order=order, by=Actor.CUSTOMER)
        except Exception as exc:
            result = exc
    return recorder, result


def test_a_conflict_in_a_cancellation_reruns_it_status_and_restock_together():
    recorder, order = cancel(fault=fail_nth_write(3, write_conflict))
    assert order.status == OrderStatus.CANCELLED
    first, second = recorder.attempts
    assert kinds(first) == CANCEL_WRITES[:3]
    assert kinds(second) == CANCEL_WRITES
    assert recorder.events()[-3:] == ["start_transaction", "commit_transaction", "end_session"]


def test_account_deletion_is_one_transaction_with_its_cancellations():
    user_document = {"_id": CUSTOMER_ID, "email": "ann@example.com", "password": "!", "token_version": 1}
    answers = [
        Answer("orders_order", where={"status": "IN_PROGRESS"}, documents=(order_document(ORDER_ID),)),
        LINES,
        Answer("accounts_user", where={"_id": CUSTOMER_ID}, documents=(user_document,)),
    ]
    with record_commands(answers) as recorder:
        account_close(user=customer())
    (session,) = recorder.sessions
    assert all(command.session is session and command.in_transaction for command in recorder.log)
    assert recorder.events() == ["start_transaction", "commit_transaction", "end_session"]
    sent = kinds(recorder.writes)
    assert sent[0] == ("accounts_user", "update_many")  # tokens die first
    assert sent[1:6] == CANCEL_WRITES
    assert sent[-1] == ("accounts_user", "delete_many")


# --- Standalone server (allowed explicitly): compensation, never a half-written order --------------


def stock_deltas(writes) -> dict[ObjectId, int]:
    """Sum the stock changes of the product updates that were applied (not the failed one)."""
    deltas: dict[ObjectId, int] = {}
    for command in writes:
        if command.collection != "catalog_product" or command.error is not None:
            continue
        criteria, update = command.args
        stock = update[0]["$set"]["stock"]
        operator, (_field, amount) = next(iter(stock.items()))
        product_id = next(
            condition["_id"] for condition in criteria.get("$and", [criteria]) if "_id" in condition
        )
        amount = amount["$literal"] if isinstance(amount, dict) else amount
        deltas[product_id] = deltas.get(product_id, 0) + (amount if operator == "$add" else -amount)
    return deltas


def sent_again(failed, again) -> bool:
    """Return whether ``again`` repeats the write ``failed`` (new ids and timestamps aside)."""
    if (failed.collection, failed.method) != (again.collection, again.method):
        return False
    if failed.method == "insert_many":
        strip = [{key: value for key, value in doc.items() if key != "_id"} for doc in failed.args[0]]
        return strip == [{key: value for key, value in doc.items() if key != "_id"} for doc in again.args[0]]
    (failed_criteria, failed_update), (criteria, update) = failed.args, again.args
    unstamped = [{key: value for key, value in update[0]["$set"].items() if key != "updated_at"}]
    return failed_criteria == criteria and unstamped == [
        {key: value for key, value in failed_update[0]["$set"].items() if key != "updated_at"}
    ]


def deleted_later(writes, index: int, collection: str, value: ObjectId) -> bool:
    """Return whether a delete on ``collection`` naming ``value`` was sent after write ``index``."""
    return any(
        command.collection == collection
        and command.method == "delete_many"
        and str(value) in describe(command.args)
        for command in writes[index + 1 :]
    )


@pytest.mark.parametrize("k", range(1, len(CREATION_WRITES) + 1))
def test_without_transactions_a_failure_at_write_k_is_undone_by_what_follows(settings, k):
    settings.MONGODB_ALLOW_STANDALONE = True
    recorder, result = create(topology="standalone", fault=fail_nth_write(k))
    assert isinstance(result, Exception)
    writes = recorder.writes
    assert recorder.sessions == [] and all(command.session is None for command in writes)
    assert kinds(writes[:k]) == CREATION_WRITES[:k] and writes[k - 1].error is not None
    # Every unit taken came back.
    assert all(delta == 0 for delta in stock_deltas(writes).values())
    # Every document inserted before the failure was deleted after it.
    for index, command in enumerate(writes[: k - 1]):
        if command.method == "insert_many":
            for document in command.args[0]:
                by_order = command.collection in ("orders_orderline", "orders_orderstatuschange")
                owner = document["order_id"] if by_order else document["_id"]
                assert deleted_later(writes, index, command.collection, owner), (command.collection, k)
    if k > 4:
        # Once the order existed, the list version moves after it is gone (a page may have shown it).
        sent = kinds(writes)
        erased = max(i for i, kind in enumerate(sent) if kind == ("orders_order", "delete_many"))
        assert ("accounts_user", "update_many") in sent[erased + 1 :]


@pytest.mark.parametrize("k", range(2, len(CANCEL_WRITES) + 1))
def test_without_transactions_a_cancellation_finishes_by_sending_the_failed_write_again(settings, k):
    settings.MONGODB_ALLOW_STANDALONE = True
    recorder, order = cancel(topology="standalone", fault=fail_nth_write(k))
    assert order.status == OrderStatus.CANCELLED
    writes = recorder.writes
    failed, again = writes[k - 1], writes[k]
    assert failed.error is not None and again.error is None
    assert sent_again(failed, again)
    assert kinds([command for command in writes if command.error is None]) == CANCEL_WRITES
    assert stock_deltas(writes) == {PRODUCTS[0]: 2, PRODUCTS[1]: 1}


def test_without_transactions_a_failed_deciding_update_changes_nothing(settings):
    settings.MONGODB_ALLOW_STANDALONE = True
    recorder, result = cancel(topology="standalone", fault=fail_nth_write(1))
    assert isinstance(result, Exception)
    assert len(recorder.writes) == 1


# --- Topology and readiness ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("topology", "label"),
    [
        ("replica set", "mongodb (replica set, transactions)"),
        ("sharded cluster", "mongodb (sharded cluster, transactions)"),
    ],
)
def test_readyz_names_the_mode_learned_from_the_server(topology, label):
    with record_commands(topology=topology) as recorder:
        response = APIClient().get("/readyz")
    assert response.status_code == 200
    assert response.json() == {"status": "ok", "database": label}
    assert ("database", "ping") in recorder.commands and ("admin", "hello") in recorder.commands


def test_a_standalone_server_is_not_ready_in_production_and_names_the_setting():
    with record_commands([ACTIVE_PRODUCTS], topology="standalone"):
        response = APIClient().get("/readyz")
        order = APIClient()
        order.force_authenticate(customer())
        placed = order.post(
            "/api/v1/orders/", {"shipping_address": SHIPPING_ADDRESS, "items": ITEMS}, format="json"
        )
    assert response.status_code == 503
    body = response.json()
    assert body["code"] == "database_misconfigured" and "MONGODB_ALLOW_STANDALONE" in body["detail"]
    assert body["database"] == "mongodb (standalone, no transactions)"
    assert placed.status_code == 503 and placed.json()["code"] == "database_misconfigured"


def test_an_allowed_standalone_server_is_ready_and_warned_about_once(settings, caplog):
    settings.MONGODB_ALLOW_STANDALONE = True
    with caplog.at_level(logging.WARNING, logger="shop.transactions"), record_commands(topology="standalone"):
        first = APIClient().get("/readyz")
        second = APIClient().get("/readyz")
    assert (
        first.json() == second.json() == {"status": "ok", "database": "mongodb (standalone, no transactions)"}
    )
    warnings = [record for record in caplog.records if "standalone" in record.getMessage()]
    assert len(warnings) == 1 and "MONGODB_ALLOW_STANDALONE" in warnings[0].getMessage()


def test_the_total_of_an_order_is_a_decimal128_on_the_order_document():
    recorder, _order = create()
    (order_document,) = recorder.writes[3].args[0]
    assert order_document["total"] == Decimal128(Decimal("30.00"))


def test_a_duplicate_key_inside_a_transaction_reruns_instead_of_writing_on():
    """A lost race for the Idempotency-Key aborts the transaction; the rerun's checks meet the winner."""
    from pymongo.errors import DuplicateKeyError

    duplicate = lambda: DuplicateKeyError("E11000 duplicate key error", code=11000)  # noqa: E731
    recorder, order = create(fault=fail_nth_write(1, duplicate))
    assert isinstance(order, Order)
    first, second = recorder.attempts
    assert kinds(first) == CREATION_WRITES[:1]  # nothing more was sent in the aborted transaction
    assert kinds(second) == CREATION_WRITES
    assert recorder.events()[:3] == ["start_transaction", "abort_transaction", "end_session"]


def test_on_commit_callbacks_run_after_the_commit_even_inside_djangos_atomic():
    """The admin opens Django's atomic() around its views; on MongoDB it does nothing, ours commits."""
    from django.db import transaction

    from shop import transactions

    ran = []

    def operation():
        transaction.on_commit(lambda: ran.append("after commit"))
        assert ran == []
        return "done"

    with record_commands() as recorder, transaction.atomic():
        assert transactions.run(operation) == "done"
    assert ran == ["after commit"]
    assert recorder.events() == ["start_transaction", "commit_transaction", "end_session"]


def test_on_commit_callbacks_are_dropped_when_the_transaction_aborts():
    from django.db import transaction

    from shop import transactions

    ran = []

    def operation():
        transaction.on_commit(lambda: ran.append("after commit"))
        raise RuntimeError("boom")

    with record_commands(), pytest.raises(RuntimeError):
        transactions.run(operation)
    assert ran == []


def test_a_replica_set_without_a_writable_primary_is_not_ready():
    with record_commands(topology="replica set without a primary"):
        response = APIClient().get("/readyz")
    assert response.status_code == 503
    assert response.json()["code"] == "database_unavailable"


# --- Order numbers --------------------------------------------------------------------------------


def duplicate_order_number(command):
    """Refuse the first order insert with the duplicate key a concurrent order's number causes."""
    from pymongo.errors import DuplicateKeyError

    if (
        command.collection == "orders_order"
        and command.method == "insert_many"
        and not duplicate_order_number.sent
    ):
        duplicate_order_number.sent = True
        return DuplicateKeyError("E11000 duplicate key error: number", code=11000)
    return None


def test_the_number_is_the_highest_plus_one_read_in_the_transaction():
    highest = Answer("orders_order", where=None, documents=({"number": 1041},))
    with record_commands(
        [ACTIVE_PRODUCTS, NEW_ORDER, highest], ids={"orders_order": NEW_ORDER_ID}
    ) as recorder:
        services.order_create(customer=customer(), items=ITEMS)
    number_reads = [
        pipeline for name, pipeline in recorder.reads if name == "orders_order" and "$sort" in str(pipeline)
    ]
    assert number_reads[0][:2] == [{"$sort": {"number": -1}}, {"$limit": 1}]
    (inserted,) = [command for command in recorder.writes if command.collection == "orders_order"]
    assert inserted.args[0][0]["number"] == 1042
    assert inserted.in_transaction


def test_a_number_taken_meanwhile_reruns_the_transaction():
    duplicate_order_number.sent = False
    recorder, order = create(fault=duplicate_order_number)
    assert isinstance(order, Order)
    first, second = recorder.attempts
    assert kinds(first)[-1] == ("orders_order", "insert_many")  # nothing more was sent in the aborted one
    assert kinds(second) == CREATION_WRITES


def test_without_transactions_a_number_taken_meanwhile_takes_the_next(settings):
    settings.MONGODB_ALLOW_STANDALONE = True
    duplicate_order_number.sent = False
    taken = Answer("orders_order", where={"number": 1001}, documents=({"_id": ObjectId(), "number": 1001},))
    with record_commands(
        [ACTIVE_PRODUCTS, NEW_ORDER, taken],
        ids={"orders_order": NEW_ORDER_ID},
        topology="standalone",
        fault=duplicate_order_number,
    ) as recorder:
        services.order_create(customer=customer(), items=ITEMS)
    inserts = [command for command in recorder.writes if command.collection == "orders_order"]
    assert len(inserts) == 2 and not any(command.in_transaction for command in inserts)


def test_the_order_is_written_with_millisecond_times_as_mongodb_keeps_them():
    recorder, _order = create()
    (order_document,) = next(c for c in recorder.writes if c.collection == "orders_order").args[0]
    assert order_document["created_at"].microsecond % 1000 == 0
    assert order_document["updated_at"] == order_document["created_at"]
