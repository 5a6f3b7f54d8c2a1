"""Test helpers that create orders THROUGH ``orders.services.order_create``.

Orders are never arranged by writing rows directly: going through the service
keeps stock, lines, totals and history consistent, as in production.

    order = OrderFactory(customer=user)                       # one product, quantity 1
    order = OrderFactory(customer=user, items=[(product, 3)])  # chosen lines
    order = OrderFactory(status=OrderStatus.SHIPPED)            # moved by staff afterwards
"""

from __future__ import annotations

import factory

from accounts.tests.factories import UserFactory
from catalog.tests.factories import ProductFactory
from orders.models import Actor, Order, OrderStatus
from orders.services import order_create, order_set_status

# How to reach a status from IN_PROGRESS through legal moves.
_PATHS = {
    OrderStatus.IN_PROGRESS: [],
    OrderStatus.SHIPPED: [OrderStatus.SHIPPED],
    OrderStatus.DELIVERED: [OrderStatus.SHIPPED, OrderStatus.DELIVERED],
    OrderStatus.CANCELLED: [OrderStatus.CANCELLED],
}


class OrderFactory(factory.Factory):
    """An order placed through ``order_create``; ``items`` is a list of ``(product, quantity)``.

    Without ``items`` a fresh product (100 in stock) is ordered once. ``status``
    other than IN_PROGRESS is reached by legal moves through ``order_set_status``
    (by staff; cancellation by the customer), so history and stock are as in life.
    """

    class Meta:
        model = Order

    customer = factory.SubFactory(UserFactory)
    items = factory.LazyFunction(lambda: [(ProductFactory(), 1)])
    status = OrderStatus.IN_PROGRESS

    @classmethod
    def _create(cls, model_class, customer, items, status, **kwargs):
        order = order_create(
            customer=customer,
            items=[{"product": str(product.pk), "quantity": quantity} for product, quantity in items],
            **kwargs,
        )
        for to_status in _PATHS[status]:
            by = Actor.CUSTOMER if to_status == OrderStatus.CANCELLED else Actor.STAFF
            order = order_set_status(order=order, to_status=to_status, by=by)
        return order

    @classmethod
    def _build(cls, model_class, *args, **kwargs):
        raise NotImplementedError("Orders exist only through order_create; use OrderFactory() (create).")


# Where the test orders placed through the v1 API ship to (API.md "Orders: shipping, number, note").
SHIPPING_ADDRESS = {
    "full_name": "Ann Lee",
    "line1": "1 Market Street",
    "line2": "",
    "city": "San Francisco",
    "postal_code": "94105",
    "region": "CA",
    "country": "US",
    "phone": "",
}
