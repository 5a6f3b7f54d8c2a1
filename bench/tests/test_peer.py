"""The bench's textbook-DRF peer renders exactly the shop's order list (or its row compares nothing)."""

from __future__ import annotations

import pytest
from django.test import override_settings

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
