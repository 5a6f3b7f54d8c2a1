"""The benchmark's data-set command writes orders the API reads like placed ones."""

import itertools
from decimal import Decimal
from io import StringIO

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from rest_framework.test import APIClient

from accounts.models import User
from accounts.tests.factories import UserFactory
from bench.constants import (
    BENCH_CATALOG_CATEGORY_SLUG,
    BENCH_CATEGORY_SLUG,
    BENCH_CUSTOMER_EMAIL,
    BENCH_PASSWORD,
    BENCH_PRODUCT_STOCK,
    BENCH_SEARCH_EVERY,
    BENCH_SEARCH_TERM,
    BENCH_WRITER_EMAIL,
)
from bench.dataset import CATALOG_ADJECTIVES, Command
from catalog.models import Product
from catalog.selectors import catalog_version
from orders.models import Order, OrderLine, OrderStatusChange
from orders.tests.factories import SHIPPING_ADDRESS

pytestmark = pytest.mark.django_db

LEGAL_MOVES = {("IN_PROGRESS", "SHIPPED"), ("IN_PROGRESS", "CANCELLED"), ("SHIPPED", "DELIVERED")}


def seed(**sizes):
    out, err = StringIO(), StringIO()
    call_command(Command(), stdout=out, stderr=err, **sizes)
    return out.getvalue(), err.getvalue()


def logged_in(email):
    client = APIClient()
    response = client.post("/api/v1/auth/token/", {"email": email, "password": BENCH_PASSWORD}, format="json")
    assert response.status_code == 200, response.content
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {response.json()['access']}")
    return client


def test_seeded_orders_render_through_the_api_with_consistent_lines_totals_and_history():
    seed(customers=3, orders=20)
    client = logged_in(BENCH_CUSTOMER_EMAIL)

    page = client.get("/api/v1/orders/?page_size=100").json()

    # The bench customer owns min(100, orders) orders: all 20 here.
    assert len(page["results"]) == 20
    for order in page["results"]:
        assert 1 <= len(order["items"]) <= 4
        assert len({item["product"] for item in order["items"]}) == len(order["items"])
        for item in order["items"]:
            assert Decimal(item["unit_price"]) * item["quantity"] == Decimal(item["line_total"])
        assert sum(Decimal(item["line_total"]) for item in order["items"]) == Decimal(order["total"])
        history = order["history"]
        assert history[0] == {
            "from_status": None,
            "to_status": "IN_PROGRESS",
            "changed_at": order["created_at"],
            "changed_by": "customer",
        }
        for before, after in itertools.pairwise(history):
            assert (after["from_status"], after["to_status"]) in LEGAL_MOVES
            assert after["from_status"] == before["to_status"]
            assert after["changed_at"] >= before["changed_at"]
        assert order["status"] == history[-1]["to_status"]
        assert order["updated_at"] == history[-1]["changed_at"]
        detail = client.get(f"/api/v1/orders/{order['id']}/")
        assert detail.status_code == 200
        assert detail.json() == order
    created = [order["created_at"] for order in page["results"]]
    assert created == sorted(created, reverse=True)


def test_seed_writes_the_requested_sizes_and_reports_rows_per_second():
    out, err = seed(customers=3, orders=20)

    assert Order.objects.count() == 20
    assert OrderStatusChange.objects.count() >= 20
    assert OrderLine.objects.count() >= 20
    # Three customers plus the bench reader, writer and staff member.
    assert User.objects.count() == 6
    # Written around the order services, so every customer's cached pages are retired.
    assert not User.objects.filter(orders_version=0).exists()
    # And around the catalog services: cached product pages are retired too.
    assert catalog_version() >= 1
    assert "rows/s" in out
    assert "seeding orders" in err and "100%" in err


def test_bench_products_have_huge_stock_and_take_new_orders_through_the_api():
    seed(customers=3, orders=5)
    product = Product.objects.filter(category_id=BENCH_CATEGORY_SLUG).first()
    assert product.stock == BENCH_PRODUCT_STOCK
    client = logged_in(BENCH_WRITER_EMAIL)

    response = client.post(
        "/api/v1/orders/",
        {"shipping_address": SHIPPING_ADDRESS, "items": [{"product": str(product.pk), "quantity": 3}]},
        format="json",
    )

    assert response.status_code == 201, response.content
    product.refresh_from_db()
    assert product.stock == BENCH_PRODUCT_STOCK - 3


def test_catalog_products_fill_a_search_page_at_one_in_twenty_and_leave_orders_alone():
    _, err = seed(customers=1, orders=4, catalog_products=400, batch_size=150)

    assert Product.objects.filter(category_id=BENCH_CATALOG_CATEGORY_SLUG).count() == 400
    assert "seeding catalog" in err and "100%" in err
    # Orders draw their lines from the demo and bench products only.
    assert not OrderLine.objects.filter(product__category_id=BENCH_CATALOG_CATEGORY_SLUG).exists()
    page = APIClient().get(f"/api/v1/products/?search={BENCH_SEARCH_TERM}").json()
    assert page["count"] == 400 // BENCH_SEARCH_EVERY
    assert all(BENCH_SEARCH_TERM in product["name"] for product in page["results"])
    # The matches spread over the name order (under most adjectives), not in one run of it.
    adjectives = {product["name"].split()[0] for product in page["results"]}
    assert len(adjectives) >= len(CATALOG_ADJECTIVES) - 2, adjectives


def test_seed_refuses_a_database_that_already_has_users():
    UserFactory()

    with pytest.raises(CommandError, match="fresh"):
        seed(customers=3, orders=5)

    assert not Order.objects.exists()
