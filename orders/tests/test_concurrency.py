"""Concurrent requests against one database: no overselling, one winner per status move, one order per key.

Each thread makes real HTTP calls through its own ``APIClient`` and therefore uses
its own database connection (Django keeps one per thread). The SQLite test
database is a file in WAL mode with IMMEDIATE transactions (shop/settings_test.py,
shop/config.py), so writers queue for the lock instead of failing; correctness
comes from the conditional single-row updates, which is also what protects
MongoDB. ``transaction=True`` makes every write really committed and visible to
the other connections.

With ``MONGODB_URI`` naming a real replica set (``MONGODB_URI=... make test``), the
same tests race real MongoDB transactions: the buyers who lose a WriteConflict are
rerun by ``shop.transactions`` and still end as 201 or 409, never 503 or 500.
"""

from __future__ import annotations

import threading
from collections import Counter
from concurrent.futures import ThreadPoolExecutor

import pytest
from django.db import connections

from accounts.tests.factories import UserFactory
from catalog.models import Product
from catalog.tests.factories import ProductFactory
from conftest import bearer_client
from orders.models import Order, OrderLine, OrderStatus, OrderStatusChange
from orders.tests.factories import SHIPPING_ADDRESS

pytestmark = pytest.mark.django_db(transaction=True)

ORDERS = "/api/v1/orders/"


def run_together(calls):
    """Run the callables at the same moment, each in its own thread; return their results in order."""
    barrier = threading.Barrier(len(calls))

    def run(call):
        try:
            barrier.wait(timeout=30)
            return call()
        finally:
            connections.close_all()

    with ThreadPoolExecutor(max_workers=len(calls)) as pool:
        return list(pool.map(run, calls))


def test_many_simultaneous_orders_never_oversell_the_last_units():
    stock = 5
    product = ProductFactory(stock=stock)
    clients = [bearer_client(UserFactory()) for _ in range(16)]
    body = {"shipping_address": SHIPPING_ADDRESS, "items": [{"product": str(product.pk), "quantity": 1}]}

    responses = run_together([lambda c=c: c.post(ORDERS, body, format="json") for c in clients])

    codes = Counter(r.status_code for r in responses)
    assert codes == {201: stock, 409: len(clients) - stock}
    assert all(r.json()["code"] == "insufficient_stock" for r in responses if r.status_code == 409)
    assert Product.objects.get(pk=product.pk).stock == 0
    assert Order.objects.count() == stock
    assert sum(OrderLine.objects.values_list("quantity", flat=True)) == stock


def test_simultaneous_multi_line_orders_are_all_or_nothing_and_stock_adds_up():
    first = ProductFactory(stock=7)
    second = ProductFactory(stock=5)
    # Lines in both orders of appearance: reservations still meet in one fixed order.
    bodies = [
        {
            "shipping_address": SHIPPING_ADDRESS,
            "items": [{"product": str(first.pk), "quantity": 2}, {"product": str(second.pk), "quantity": 1}],
        },
        {
            "shipping_address": SHIPPING_ADDRESS,
            "items": [{"product": str(second.pk), "quantity": 1}, {"product": str(first.pk), "quantity": 1}],
        },
    ] * 6
    clients = [bearer_client(UserFactory()) for _ in bodies]

    responses = run_together(
        [lambda c=c, b=b: c.post(ORDERS, b, format="json") for c, b in zip(clients, bodies, strict=True)]
    )

    assert {r.status_code for r in responses} <= {201, 409}
    taken = Counter()
    for line in OrderLine.objects.all():
        taken[line.product_id] += line.quantity
    first_stock = Product.objects.get(pk=first.pk).stock
    second_stock = Product.objects.get(pk=second.pk).stock
    assert first_stock >= 0
    assert second_stock >= 0
    assert first_stock + taken[first.pk] == 7
    assert second_stock + taken[second.pk] == 5
    # Every order has both lines (no partial order) and second's stock is the bottleneck.
    assert all(order.lines.count() == 2 for order in Order.objects.all())
    assert Counter(r.status_code for r in responses)[201] == Order.objects.count() == 5 - second_stock


def test_simultaneous_status_moves_have_exactly_one_winner():
    customer = UserFactory()
    product = ProductFactory(stock=10)
    order_id = (
        bearer_client(customer)
        .post(
            ORDERS,
            {"shipping_address": SHIPPING_ADDRESS, "items": [{"product": str(product.pk), "quantity": 4}]},
            format="json",
        )
        .json()["id"]
    )
    staff = [bearer_client(UserFactory(is_staff=True)) for _ in range(6)]
    calls = [
        lambda c=c, s=s: c.post(f"{ORDERS}{order_id}/status/", {"status": s}, format="json")
        for c, s in zip(staff, ["SHIPPED", "CANCELLED"] * 3, strict=True)
    ]
    calls += [lambda: bearer_client(customer).post(f"{ORDERS}{order_id}/cancel/") for _ in range(2)]

    responses = run_together(calls)

    codes = Counter(r.status_code for r in responses)
    assert codes == {200: 1, 409: len(calls) - 1}
    assert all(r.json()["code"] == "invalid_transition" for r in responses if r.status_code == 409)
    order = Order.objects.get(pk=order_id)
    moves = list(OrderStatusChange.objects.filter(order=order).values_list("from_status", "to_status"))
    assert moves == [(None, "IN_PROGRESS"), ("IN_PROGRESS", order.status)]
    # Restocked once if (and only if) the winner cancelled.
    expected_stock = 10 if order.status == OrderStatus.CANCELLED else 6
    assert Product.objects.get(pk=product.pk).stock == expected_stock


def test_simultaneous_requests_with_one_key_create_one_order():
    customer = UserFactory()
    product = ProductFactory(stock=100)
    body = {"shipping_address": SHIPPING_ADDRESS, "items": [{"product": str(product.pk), "quantity": 1}]}
    clients = [bearer_client(customer) for _ in range(8)]

    responses = run_together(
        [lambda c=c: c.post(ORDERS, body, format="json", HTTP_IDEMPOTENCY_KEY="once") for c in clients]
    )

    assert Order.objects.count() == 1
    assert Product.objects.get(pk=product.pk).stock == 99
    order_id = str(Order.objects.get().pk)
    for response in responses:
        assert response.status_code in (201, 409)
        if response.status_code == 201:
            assert response.json()["id"] == order_id
        else:
            assert response.json()["code"] == "idempotency_key_in_progress"
    assert Counter(r.status_code for r in responses)[201] >= 1
