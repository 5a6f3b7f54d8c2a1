"""Fault injection: fail the k-th write of every multi-write operation, for every k, in both modes.

The fault is raised at the database layer (``shop.testing.faults.FailNthWrite``, a
Django ``execute_wrapper`` that refuses the k-th INSERT/UPDATE/DELETE the backend
sends), never by patching a service. Each operation runs against a real SQLite
database in two modes:

* ``transaction``: as in production on SQL and on a MongoDB replica set, the
  operation is one transaction; a failure rolls everything back.
* ``no transaction``: ``shop.transactions.transactions_disabled()`` switches the
  transaction runner off, so the code a standalone MongoDB server runs
  (compensation for order creation, finishing writes for status moves, resumable
  steps for account deletion) runs here against a real database.

After every failure the shop's invariants are checked, then the operation is retried
without a fault and checked again:

* stock conservation: starting stock = current stock + units in orders that are not
  CANCELLED (so a cancelled order's stock came back exactly once);
* every order has its lines, its creation history entry, and a last history entry
  equal to its status;
* each (user, Idempotency-Key) maps to at most one order, and a retry with the key
  makes exactly one.

The number of writes of each operation is pinned: a new write in an operation shows
up here and must be covered by its failure mode.
"""

from __future__ import annotations

import contextlib
import itertools
from collections.abc import Callable
from dataclasses import dataclass, field

import pytest
from django.db import DatabaseError, connection
from django.db.models import Sum
from django.urls import reverse

from accounts import services as account_services
from accounts.models import User
from accounts.tests.factories import DEFAULT_PASSWORD, UserFactory
from catalog.models import Product
from catalog.tests.factories import ProductFactory
from conftest import bearer_client
from notifications.models import EmailKind, OutboxEmail
from orders import services as order_services
from orders.models import Actor, IdempotencyRecord, Order, OrderLine, OrderStatus
from orders.services import STATUS_EMAILS
from orders.tests.factories import SHIPPING_ADDRESS, OrderFactory
from shop import services as shop_services
from shop import transactions
from shop.testing.faults import FailNthWrite

# Real autocommit and real transactions: no test-wide transaction around the operations.
pytestmark = pytest.mark.django_db(transaction=True)

ORDERS = "/api/v1/orders/"
MODES = {
    "transaction": contextlib.nullcontext,
    "no transaction": transactions.transactions_disabled,
}
_unique = itertools.count()


@dataclass
class Case:
    """The data one run of an operation works on, and what its stock started at."""

    customer: User
    products: list[Product]
    starting_stock: dict = field(default_factory=dict)
    orders: list[Order] = field(default_factory=list)
    extra: dict = field(default_factory=dict)


def new_case(*, stock: int = 10, products: int = 2) -> Case:
    tag = next(_unique)
    items = [
        ProductFactory(sku=f"FI-{tag}-{n}", name=f"Fault {tag} {n}", stock=stock) for n in range(products)
    ]
    return Case(
        customer=UserFactory(email=f"fault-{tag}@example.com"),
        products=items,
        starting_stock={product.pk: stock for product in items},
    )


def assert_invariants(case: Case) -> None:
    """Check stock conservation and the shape of every order touching the case's products."""
    for product in Product.objects.filter(pk__in=case.starting_stock):
        held = (
            OrderLine.objects.filter(product=product)
            .exclude(order__status=OrderStatus.CANCELLED)
            .aggregate(units=Sum("quantity"))["units"]
            or 0
        )
        assert product.stock + held == case.starting_stock[product.pk], (
            f"stock of {product.sku}: {product.stock} left + {held} held != {case.starting_stock[product.pk]}"
        )
    lines = OrderLine.objects.filter(product_id__in=case.starting_stock)
    order_ids = lines.values_list("order_id", flat=True)
    touched = Order.objects.filter(pk__in=order_ids) | Order.objects.filter(customer=case.customer)
    for order in touched.distinct():
        assert order.lines.exists(), f"order {order.pk} has no lines"
        history = list(order.history.order_by("changed_at", "id"))
        assert history and history[0].from_status is None, f"order {order.pk} has no creation entry"
        assert history[-1].to_status == order.status, f"order {order.pk}: status and history disagree"
    for key in IdempotencyRecord.objects.filter(user=case.customer).values_list("key", flat=True):
        assert IdempotencyRecord.objects.filter(user=case.customer, key=key).count() == 1


def current_stock(case: Case) -> dict:
    return {product.pk: product.stock for product in Product.objects.filter(pk__in=case.starting_stock)}


@pytest.fixture(autouse=True)
def worker_sends_the_emails(settings):
    """Leave delivery to the worker: what is counted is the operations' own writes.

    (The outbox email each operation writes is one of them; delivery after the commit,
    and its failures, are tested in notifications/tests.)
    """
    settings.OUTBOX_DELIVER_ON_COMMIT = False


def emails_to(case: Case, kind: str) -> int:
    """Return how many emails of ``kind`` the outbox holds for the case's customer."""
    return OutboxEmail.objects.filter(to_email=case.customer.email, kind=kind).count()


def run_matrix(
    *,
    mode: str,
    expected_writes: int,
    setup: Callable[[], Case],
    act: Callable[[Case], object],
    after_fault: Callable[[Case, int], None],
    retry: Callable[[Case], None],
    after_retry: Callable[[Case], None],
) -> None:
    """Run ``act`` once to count its writes, then once per k with the k-th write failing."""
    counting = FailNthWrite(0)
    case = setup()
    with MODES[mode](), connection.execute_wrapper(counting):
        act(case)
    assert counting.writes == expected_writes, counting.statements
    assert_invariants(case)

    for k in range(1, expected_writes + 1):
        case = setup()
        fault = FailNthWrite(k)
        # The services let the database's error through (the API maps it to 503).
        with MODES[mode](), connection.execute_wrapper(fault), contextlib.suppress(DatabaseError):
            act(case)
        assert fault.fired, f"write {k} was never attempted"
        assert_invariants(case)
        after_fault(case, k)
        with MODES[mode]():
            retry(case)
        assert_invariants(case)
        after_retry(case)


# --- Order creation, through HTTP, with an Idempotency-Key -----------------------------------------


def order_body(case: Case) -> dict:
    first, second = case.products
    return {
        "shipping_address": SHIPPING_ADDRESS,
        "items": [{"product": str(first.pk), "quantity": 2}, {"product": str(second.pk), "quantity": 3}],
    }


def place(case: Case):
    response = bearer_client(case.customer).post(
        ORDERS, order_body(case), format="json", HTTP_IDEMPOTENCY_KEY="fault-key"
    )
    case.extra.setdefault("responses", []).append(response)
    return response


@pytest.mark.parametrize("mode", MODES)
def test_order_creation_leaves_nothing_behind_after_a_failure_at_any_write(mode):
    def after_fault(case, k):
        response = case.extra["responses"][-1]
        assert response.status_code == 503, (k, response.content)
        assert response.json()["code"] == "database_unavailable"
        assert response["Retry-After"] == "1"
        assert not Order.objects.filter(customer=case.customer).exists()
        assert not IdempotencyRecord.objects.filter(user=case.customer).exists()  # the key is free
        assert current_stock(case) == case.starting_stock
        assert emails_to(case, EmailKind.ORDER_PLACED) == 0  # no email for an order that is not there

    def after_retry(case):
        first = case.extra["responses"][-1]
        assert first.status_code == 201, first.content
        again = place(case)  # and once more: the replay, not a second order
        assert again.status_code == 201 and again.json()["id"] == first.json()["id"]
        (order,) = Order.objects.filter(customer=case.customer)
        assert IdempotencyRecord.objects.get(user=case.customer, key="fault-key").order_id == order.pk
        assert order.lines.count() == 2
        assert emails_to(case, EmailKind.ORDER_PLACED) == 1  # the replay mails nothing

    # claim, 2 reservations, order, lines, history, bind the claim, the email, bump the list version
    run_matrix(
        mode=mode,
        expected_writes=9,
        setup=new_case,
        act=place,
        after_fault=after_fault,
        retry=place,
        after_retry=after_retry,
    )


# --- Status moves ------------------------------------------------------------------------------------


def case_with_open_order() -> Case:
    case = new_case()
    first, second = case.products
    case.orders.append(OrderFactory(customer=case.customer, items=[(first, 2), (second, 3)]))
    return case


def reloaded(order: Order) -> Order:
    return Order.objects.get(pk=order.pk)


def assert_as_was_or_completed(case: Case, *, moved_to: str, k: int, mode: str) -> None:
    order = reloaded(case.orders[0])
    entries = order.history.count()
    emails = emails_to(case, STATUS_EMAILS[moved_to])
    if mode == "transaction" or k == 1:
        # Rolled back, or the deciding conditional update itself failed: as it was, nothing mailed.
        assert (order.status, entries, emails) == (OrderStatus.IN_PROGRESS, 1, 0), k
    else:
        # Without a transaction the move was decided by its conditional update and then finished.
        assert (order.status, entries, emails) == (moved_to, 2, 1), k


@pytest.mark.parametrize("mode", MODES)
def test_cancellation_is_all_or_nothing_after_a_failure_at_any_write(mode):
    def act(case):
        order_services.order_cancel(order=reloaded(case.orders[0]), by=Actor.CUSTOMER)

    def retry(case):
        if reloaded(case.orders[0]).status == OrderStatus.IN_PROGRESS:
            act(case)

    def after_retry(case):
        order = reloaded(case.orders[0])
        assert order.status == OrderStatus.CANCELLED
        assert order.history.filter(to_status=OrderStatus.CANCELLED).count() == 1
        assert current_stock(case) == case.starting_stock
        assert emails_to(case, EmailKind.ORDER_CANCELLED) == 1

    # status, history, 2 restocks, the email, bump
    run_matrix(
        mode=mode,
        expected_writes=6,
        setup=case_with_open_order,
        act=act,
        after_fault=lambda case, k: assert_as_was_or_completed(
            case, moved_to=OrderStatus.CANCELLED, k=k, mode=mode
        ),
        retry=retry,
        after_retry=after_retry,
    )


@pytest.mark.parametrize("mode", MODES)
def test_staff_status_move_is_all_or_nothing_after_a_failure_at_any_write(mode):
    def act(case):
        order_services.order_set_status(
            order=reloaded(case.orders[0]), to_status=OrderStatus.SHIPPED, by=Actor.STAFF
        )

    def retry(case):
        if reloaded(case.orders[0]).status == OrderStatus.IN_PROGRESS:
            act(case)

    def after_retry(case):
        order = reloaded(case.orders[0])
        assert order.status == OrderStatus.SHIPPED
        assert order.history.filter(to_status=OrderStatus.SHIPPED).count() == 1
        assert emails_to(case, EmailKind.ORDER_SHIPPED) == 1

    # status, history, the email, bump
    run_matrix(
        mode=mode,
        expected_writes=4,
        setup=case_with_open_order,
        act=act,
        after_fault=lambda case, k: assert_as_was_or_completed(
            case, moved_to=OrderStatus.SHIPPED, k=k, mode=mode
        ),
        retry=retry,
        after_retry=after_retry,
    )


# --- Account deletion ------------------------------------------------------------------------------


def case_with_orders_to_close() -> Case:
    case = case_with_open_order()
    first, second = case.products
    case.orders.append(OrderFactory(customer=case.customer, items=[(first, 1)]))
    case.orders.append(OrderFactory(customer=case.customer, items=[(second, 1)], status=OrderStatus.SHIPPED))
    return case


@pytest.mark.parametrize("mode", MODES)
def test_account_deletion_leaves_a_consistent_account_after_a_failure_at_any_write(mode):
    def act(case):
        shop_services.account_close(user=User.objects.get(pk=case.customer.pk))

    def after_fault(case, k):
        if mode == "transaction":
            assert User.objects.filter(pk=case.customer.pk).exists()
            statuses = sorted(reloaded(order).status for order in case.orders)
            assert statuses == sorted([OrderStatus.IN_PROGRESS, OrderStatus.IN_PROGRESS, OrderStatus.SHIPPED])
            assert all(reloaded(order).customer_id == case.customer.pk for order in case.orders)

    def retry(case):
        if User.objects.filter(pk=case.customer.pk).exists():
            act(case)

    def after_retry(case):
        assert not User.objects.filter(pk=case.customer.pk).exists()
        orders = [reloaded(order) for order in case.orders]
        assert [order.status for order in orders] == [
            OrderStatus.CANCELLED,
            OrderStatus.CANCELLED,
            OrderStatus.SHIPPED,
        ]
        assert all(order.customer_id is None for order in orders)  # kept for the books, detached
        assert all(
            order.history.filter(to_status=OrderStatus.CANCELLED, changed_by=Actor.SYSTEM).count() == 1
            for order in orders[:2]
        )

    # Token version; two cancellations (status, history, restocks, bump: 4 + 5); detach;
    # idempotency records; then the row with Django's collector (admin log, sessions,
    # groups, permissions, idempotency records, orders, history authorship, the legacy
    # import's record, the saved addresses, the user).
    run_matrix(
        mode=mode,
        expected_writes=22,
        setup=case_with_orders_to_close,
        act=act,
        after_fault=after_fault,
        retry=retry,
        after_retry=after_retry,
    )


# --- Password change and logout-all ----------------------------------------------------------------

NEW_PASSWORD = "another-Long-passphrase-2026"


@pytest.mark.parametrize("mode", MODES)
def test_password_change_is_all_or_nothing(mode):
    def setup():
        case = new_case(products=0)
        case.extra["version"] = case.customer.token_version
        return case

    def retry(case):
        if User.objects.get(pk=case.customer.pk).check_password(DEFAULT_PASSWORD):
            act(case)

    def act(case):
        account_services.user_password_change(
            user=User.objects.get(pk=case.customer.pk),
            current_password=DEFAULT_PASSWORD,
            new_password=NEW_PASSWORD,
            client_address="127.0.0.1",
        )

    def after_fault(case, k):
        user = User.objects.get(pk=case.customer.pk)
        if mode == "transaction" or k == 1:
            assert user.check_password(DEFAULT_PASSWORD) and user.token_version == case.extra["version"]
        else:
            # The deciding write (hash and version) went through: the session delete was finished.
            assert user.check_password(NEW_PASSWORD) and user.token_version == case.extra["version"] + 1

    def after_retry(case):
        user = User.objects.get(pk=case.customer.pk)
        assert user.check_password(NEW_PASSWORD) and user.token_version == case.extra["version"] + 1

    # The hash and the token version in one write, then the user's sessions.
    run_matrix(
        mode=mode,
        expected_writes=2,
        setup=setup,
        act=act,
        after_fault=after_fault,
        retry=retry,
        after_retry=after_retry,
    )


@pytest.mark.parametrize("mode", MODES)
def test_logout_all_is_all_or_nothing(mode):
    def act(case):
        account_services.logout_all(user=User.objects.get(pk=case.customer.pk))

    def token_version(case) -> int:
        return User.objects.get(pk=case.customer.pk).token_version

    def after_fault(case, k):
        # The version bump decides; without a transaction the session delete is then finished.
        assert token_version(case) == (0 if mode == "transaction" or k == 1 else 1)

    def retry(case):
        if token_version(case) == 0:
            act(case)

    def after_retry(case):
        assert token_version(case) == 1

    # The token version, then the user's sessions.
    run_matrix(
        mode=mode,
        expected_writes=2,
        setup=lambda: new_case(products=0),
        act=act,
        after_fault=after_fault,
        retry=retry,
        after_retry=after_retry,
    )


# --- Staff stock edits of several products at once (the admin's editable list) -----------------------


@pytest.mark.parametrize("mode", MODES)
def test_admin_list_edit_of_several_products_is_one_operation(mode, client, staff_user):
    staff_user.is_superuser = True
    staff_user.save()
    client.force_login(staff_user)
    changelist = reverse("admin:catalog_product_changelist")

    def act(case):
        tag = case.products[0].sku.rsplit("-", 1)[0]
        data = {
            "form-TOTAL_FORMS": "2",
            "form-INITIAL_FORMS": "2",
            "form-MIN_NUM_FORMS": "0",
            "form-MAX_NUM_FORMS": "1000",
            "_save": "Save",
        }
        for index, product in enumerate(case.products):  # the list is ordered by name
            data |= {
                f"form-{index}-id": str(product.pk),
                f"form-{index}-price": str(product.price),
                f"form-{index}-stock": "4",
                f"initial-form-{index}-stock": "10",
            }
        response = client.post(f"{changelist}?q={tag}", data)
        case.extra["response"] = response

    def stocks(case):
        products = Product.objects.filter(pk__in=[product.pk for product in case.products])
        return [product.stock for product in products.order_by("name")]

    def after_fault(case, k):
        if mode == "transaction":
            assert stocks(case) == [10, 10]
        else:
            # Without a transaction each row stands alone: an edit is applied whole or not at all.
            assert stocks(case) in ([10, 10], [4, 10], [4, 4])

    def retry(case):
        if stocks(case) != [4, 4]:
            act(case)

    def after_retry(case):
        assert stocks(case) == [4, 4]

    def setup():
        case = new_case()
        case.starting_stock = {}  # staff edits change the stock itself: conservation starts after them
        return case

    # Per product: its stock difference, then the admin's change-log entry.
    run_matrix(
        mode=mode,
        expected_writes=4,
        setup=setup,
        act=act,
        after_fault=after_fault,
        retry=retry,
        after_retry=after_retry,
    )
