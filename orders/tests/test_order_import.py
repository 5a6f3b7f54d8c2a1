"""``orders.services.order_import``: an order of the original service, written all or nothing."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal

import pytest

from catalog.tests.factories import ProductFactory
from orders.models import Actor, Order, OrderLine, OrderStatus, OrderStatusChange
from orders.services import order_cancel, order_import, order_set_status
from shop.errors import InvalidInput

pytestmark = pytest.mark.django_db

PLACED = datetime(2021, 6, 1, 12, 0, tzinfo=UTC)


def imported(user, product, **overrides) -> Order:
    values = {
        "quantity": 2,
        "status": OrderStatus.IN_PROGRESS,
        "created_at": PLACED,
        "note": "from the old service",
    }
    values.update(overrides)
    return order_import(customer=user, product=product, **values)


def test_it_writes_one_unpriced_line_and_one_system_history_entry(user):
    product = ProductFactory(price="9.99", stock=5, is_active=False)
    order = imported(user, product)
    assert (order.customer, order.status, order.total, order.created_at) == (
        user,
        OrderStatus.IN_PROGRESS,
        Decimal("0.00"),
        PLACED,
    )
    line = OrderLine.objects.get(order=order)
    assert (line.product, line.quantity, line.unit_price, line.stock_reserved) == (
        product,
        2,
        Decimal("0.00"),
        False,
    )
    entry = OrderStatusChange.objects.get(order=order)
    assert (entry.from_status, entry.to_status, entry.changed_by, entry.note) == (
        None,
        OrderStatus.IN_PROGRESS,
        Actor.SYSTEM,
        "from the old service",
    )
    product.refresh_from_db()
    assert product.stock == 5


def test_an_imported_order_moves_like_any_order_but_gives_back_no_stock(user, staff_user):
    product = ProductFactory(stock=5)
    shipped = imported(user, product)
    order_set_status(order=shipped, to_status=OrderStatus.SHIPPED, by=Actor.STAFF, by_user=staff_user)
    cancelled = imported(user, product)
    order_cancel(order=cancelled, by=Actor.CUSTOMER)
    product.refresh_from_db()
    assert product.stock == 5
    assert list(cancelled.history.values_list("to_status", flat=True)) == ["IN_PROGRESS", "CANCELLED"]


@pytest.mark.parametrize(
    ("overrides", "field"),
    [({"status": "LOST"}, "status"), ({"quantity": 0}, "quantity"), ({"quantity": True}, "quantity")],
)
def test_bad_values_are_refused_before_anything_is_written(user, overrides, field):
    with pytest.raises(InvalidInput) as error:
        imported(user, ProductFactory(), **overrides)
    assert error.value.field == field
    assert not Order.objects.exists()


def test_the_customers_cached_order_pages_are_invalidated(user, customer_client):
    product = ProductFactory()
    assert customer_client.get("/api/v1/orders/").json()["results"] == []  # now cached
    order = imported(user, product)
    assert [row["id"] for row in customer_client.get("/api/v1/orders/").json()["results"]] == [str(order.pk)]
