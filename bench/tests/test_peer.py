"""The bench's textbook-DRF peer renders exactly the shop's order list and places the same orders.

Otherwise its rows would compare nothing.
"""

from __future__ import annotations

import pytest
from django.core import mail
from django.test import override_settings

from catalog.models import Product
from catalog.tests.factories import ProductFactory
from orders.models import Order
from orders.tests.factories import SHIPPING_ADDRESS, OrderFactory

pytestmark = pytest.mark.django_db

ORDERS = "/api/v1/orders/"


def test_the_peers_first_page_equals_the_shops(customer_client, user, staff_client):
    OrderFactory(customer=user, shipping_address=SHIPPING_ADDRESS, note="Ring twice")
    shipped = OrderFactory(customer=user)
    staff_client.post(f"{ORDERS}{shipped.pk}/status/", {"status": "SHIPPED"}, format="json")

    shop_page = customer_client.get(ORDERS).json()
    with override_settings(ROOT_URLCONF="bench.peer.urls"):
        peer_page = customer_client.get(ORDERS).json()

    assert len(shop_page["results"]) == 2
    assert peer_page["results"] == shop_page["results"]


def test_the_peer_places_the_order_the_shop_would(customer_client, user, django_capture_on_commit_callbacks):
    lamp, desk = ProductFactory(price="19.99", stock=5), ProductFactory(price="120.00", stock=1)
    body = {
        "items": [{"product": str(lamp.pk), "quantity": 2}, {"product": str(desk.pk), "quantity": 1}],
        "shipping_address": SHIPPING_ADDRESS,
        "note": "Ring twice",
    }
    with override_settings(ROOT_URLCONF="bench.peer.urls"), django_capture_on_commit_callbacks(execute=True):
        placed = customer_client.post(ORDERS, body, format="json")

    assert placed.status_code == 201, placed.content
    order = placed.json()
    assert order == customer_client.get(f"{ORDERS}{order['id']}/").json()  # as the shop renders it
    assert (order["total"], order["status"], order["note"]) == ("159.98", "IN_PROGRESS", "Ring twice")
    assert [(line["product"], line["quantity"], line["line_total"]) for line in order["items"]] == [
        (str(lamp.pk), 2, "39.98"),
        (str(desk.pk), 1, "120.00"),
    ]
    assert [line["to_status"] for line in order["history"]] == ["IN_PROGRESS"]
    assert dict(Product.objects.values_list("pk", "stock")) == {lamp.pk: 3, desk.pk: 0}
    assert [message.to for message in mail.outbox] == [[user.email]]
    assert f"#{order['number']}" in mail.outbox[0].subject


def test_the_peer_refuses_an_order_short_of_stock_and_writes_nothing(customer_client, user):
    lamp, desk = ProductFactory(stock=5), ProductFactory(stock=0)
    body = {
        "items": [{"product": str(lamp.pk), "quantity": 2}, {"product": str(desk.pk), "quantity": 1}],
        "shipping_address": SHIPPING_ADDRESS,
    }
    with override_settings(ROOT_URLCONF="bench.peer.urls"):
        refused = customer_client.post(ORDERS, body, format="json")

    assert refused.status_code == 400
    assert refused.json() == {"items": [f"Not enough stock of {desk.pk}."]}
    assert not Order.objects.exists()
    assert dict(Product.objects.values_list("pk", "stock")) == {lamp.pk: 5, desk.pk: 0}
