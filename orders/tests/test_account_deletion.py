"""Account deletion and orders (API.md "Accounts"): open orders cancelled and restocked, all kept detached."""

import pytest

from accounts.models import User
from accounts.tests.factories import UserFactory
from catalog.models import Product
from catalog.tests.factories import ProductFactory
from conftest import bearer_client
from orders.models import Actor, Order, OrderStatus, OrderStatusChange
from orders.tests.factories import OrderFactory

pytestmark = pytest.mark.django_db

ME = "/api/v1/accounts/me/"


def test_deleting_the_account_cancels_open_orders_restocks_and_detaches_every_order(staff_client):
    customer = UserFactory(email="leaving@example.com")
    product = ProductFactory(stock=20)
    open_order = OrderFactory(customer=customer, items=[(product, 2)])
    shipped = OrderFactory(customer=customer, items=[(product, 3)], status=OrderStatus.SHIPPED)
    someone_elses = OrderFactory(items=[(product, 4)])
    assert Product.objects.get(pk=product.pk).stock == 11

    response = bearer_client(customer).delete(ME)

    assert response.status_code == 204
    assert not User.objects.filter(email="leaving@example.com").exists()
    assert Product.objects.get(pk=product.pk).stock == 13  # the open order's 2 units are back
    open_order = Order.objects.get(pk=open_order.pk)
    assert (open_order.status, open_order.customer_id) == (OrderStatus.CANCELLED, None)
    shipped = Order.objects.get(pk=shipped.pk)
    assert (shipped.status, shipped.customer_id) == (OrderStatus.SHIPPED, None)
    assert Order.objects.get(pk=someone_elses.pk).customer_id is not None
    last = OrderStatusChange.objects.filter(order=open_order).order_by("changed_at", "id").last()
    assert (last.from_status, last.to_status, last.changed_by) == ("IN_PROGRESS", "CANCELLED", Actor.SYSTEM)
    # The shop keeps the books: staff still see the detached orders, with their history.
    body = staff_client.get(f"/api/v1/orders/{open_order.pk}/").json()
    assert body["status"] == "CANCELLED"
    assert body["history"][-1]["changed_by"] == "system"


def test_the_same_email_can_register_again_and_sees_none_of_the_old_orders():
    customer = UserFactory(email="again@example.com")
    OrderFactory(customer=customer)
    assert bearer_client(customer).delete(ME).status_code == 204

    newcomer = UserFactory(email="again@example.com")

    assert bearer_client(newcomer).get("/api/v1/orders/").json()["results"] == []
