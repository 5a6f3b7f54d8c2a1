"""A cache server that fails is never a 500 (``shop.cache``): logged, counted, the database answers.

Redis here is "down" for real: the Redis backend points at a loopback port nothing
listens on, so every connection is refused (no server is needed for that).
"""

import socket
import time

import pytest
from prometheus_client import REGISTRY

from accounts.tests.factories import UserFactory
from catalog.tests.factories import ProductFactory
from conftest import bearer_client
from orders.models import OrderStatus
from orders.tests.factories import SHIPPING_ADDRESS, OrderFactory
from shop import cache as shop_cache
from shop.config import redis_cache

ORDERS = "/api/v1/orders/"
FRESH_PAGE_QUERIES = 2  # user + page of orders (with their details)


def closed_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.fixture
def redis_down(settings):
    settings.CACHES = {"default": redis_cache(f"redis://127.0.0.1:{closed_port()}/0")}
    yield
    shop_cache.outage_pauses_reset()


def counter(name: str, **labels) -> float:
    return REGISTRY.get_sample_value(name, labels) or 0.0


@pytest.mark.django_db
def test_with_redis_down_the_order_list_is_served_from_the_database(
    redis_down, log_lines, django_assert_num_queries
):
    customer = UserFactory()
    OrderFactory(customer=customer)
    OrderFactory(customer=customer, status=OrderStatus.SHIPPED)
    client = bearer_client(customer)
    errors_before = counter("shop_cache_errors_total", cache="order_list", operation="get")

    started = time.monotonic()
    with django_assert_num_queries(FRESH_PAGE_QUERIES):
        response = client.get(ORDERS)
    elapsed = time.monotonic() - started

    assert response.status_code == 200
    assert len(response.json()["results"]) == 2
    # One refused connection, no client-side retries with back-off (seconds each).
    assert elapsed < 2
    [warning] = log_lines.entries("shop.cache")
    assert warning["level"] == "WARNING"
    assert "serving from the database" in warning["message"]
    assert "ConnectionError" in warning["message"]
    assert counter("shop_cache_errors_total", cache="order_list", operation="get") == errors_before + 1


@pytest.mark.django_db
def test_during_an_outage_the_cache_is_left_alone_and_logged_once(redis_down, log_lines):
    client = bearer_client(UserFactory())
    unavailable = counter("shop_cache_lookups_total", cache="order_list", result="unavailable")

    statuses = [client.get(ORDERS).status_code for _ in range(3)]

    assert statuses == [200, 200, 200]
    assert len(log_lines.entries("shop.cache")) == 1
    assert counter("shop_cache_lookups_total", cache="order_list", result="unavailable") == unavailable + 3


@pytest.mark.django_db
def test_the_cache_is_tried_again_after_the_pause(redis_down, log_lines, monkeypatch):
    client = bearer_client(UserFactory())
    client.get(ORDERS)
    monkeypatch.setattr(shop_cache, "OUTAGE_PAUSE_SECONDS", 0.0)
    shop_cache.outage_pauses_reset()

    assert client.get(ORDERS).status_code == 200
    # With no pause left, the next request tried the cache again: its get, then its set.
    operations = [
        entry["message"].split(" failed on ")[1].split()[0] for entry in log_lines.entries("shop.cache")
    ]
    assert operations == ["get", "get", "set"]


def test_placing_an_order_needs_no_cache(redis_down, customer_client, db):
    product = ProductFactory(stock=3)
    response = customer_client.post(
        ORDERS,
        {"shipping_address": SHIPPING_ADDRESS, "items": [{"product": str(product.pk), "quantity": 1}]},
        format="json",
    )
    assert response.status_code == 201
