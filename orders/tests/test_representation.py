"""The hand-written order rendering equals what DRF's own field-by-field rendering gives.

``orders.serializers`` renders orders in one pass for speed; this pins it to DRF's
formats (money, timestamps, ids) so the two can never drift apart.
"""

from datetime import UTC, datetime, timedelta, timezone
from decimal import Decimal

import pytest
from django.test import RequestFactory
from rest_framework import serializers

# The straightforward ModelSerializer the fast path replaces is the bench's textbook peer:
# one textbook rendering is both the bench's yardstick and this test's reference.
from bench.peer.views import OrderSerializer as DRFOrderSerializer
from catalog.tests.factories import ProductFactory
from orders import selectors
from orders.models import Actor, Order, OrderStatus
from orders.representation import ADDRESS_FIELDS
from orders.serializers import OrderSerializer, ShippingAddressSerializer, order_links, order_links_builder
from orders.services import order_cancel
from orders.tests.factories import SHIPPING_ADDRESS, OrderFactory
from shop.api.serializers import money, timestamp

pytestmark = pytest.mark.django_db


def test_fast_rendering_equals_drf_rendering_for_real_orders(user):
    cheap = ProductFactory(price="0.10", stock=50)
    dear = ProductFactory(price="9999.99", stock=50)
    placed = OrderFactory(
        customer=user,
        items=[(cheap, 3), (dear, 1)],
        shipping_address=SHIPPING_ADDRESS,
        note="Leave it <b>next</b> door",
    )
    order_cancel(order=placed, by=Actor.CUSTOMER, by_user=user)
    OrderFactory(customer=user, items=[(dear, 2)])

    orders = list(selectors.order_list(user=user))
    selectors.order_details_attach(orders=orders)
    fast = OrderSerializer(orders, many=True).data
    drf = DRFOrderSerializer(
        Order.objects.filter(customer=user)
        .order_by("-created_at", "-id")
        .prefetch_related("lines", "history"),
        many=True,
    ).data
    assert fast == drf
    assert fast[1]["status"] == OrderStatus.CANCELLED
    assert [move["to_status"] for move in fast[1]["history"]] == ["IN_PROGRESS", "CANCELLED"]


@pytest.mark.parametrize("amount", ["0.01", "1", "999.00", "12.5", "9999999999.99"])
def test_money_has_two_places_like_drf(amount):
    field = serializers.DecimalField(max_digits=12, decimal_places=2)
    assert money(Decimal(amount)) == field.to_representation(Decimal(amount))


@pytest.mark.parametrize(
    "moment",
    [
        datetime(2026, 11, 29, 14, 5, tzinfo=UTC),
        datetime(2026, 11, 29, 14, 5, 0, 123000, tzinfo=UTC),
        datetime(2026, 11, 29, 16, 5, 0, 123456, tzinfo=UTC).astimezone(timezone(timedelta(hours=2))),
    ],
)
def test_timestamps_are_utc_with_z_like_drf(moment):
    assert timestamp(moment) == serializers.DateTimeField().to_representation(moment)


def test_the_read_model_renders_the_address_fields_the_schema_declares():
    assert tuple(ShippingAddressSerializer._declared_fields) == ADDRESS_FIELDS


@pytest.mark.parametrize("order_id", [17, "65277a812b73bb530ad77307"])
def test_a_pages_links_are_those_reversed_for_each_order(settings, order_id):
    settings.ALLOWED_HOSTS = ["shop.example.com"]
    request = RequestFactory().get("/api/v1/orders/", HTTP_HOST="shop.example.com")
    links = order_links_builder(request=request)
    assert links(order_id) == order_links(order_id=order_id, request=request)
    assert links(order_id)["cancel"] == f"http://shop.example.com/api/v1/orders/{order_id}/cancel/"
