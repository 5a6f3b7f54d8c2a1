"""The order read model (``Order.details``, ``Order.rendered``) always equals what the tables say.

Every path that writes an order or moves its status is checked against a rendering
of the tables (``orders.selectors.order_details_attach``, the reads the API made
before the read model existed), through HTTP where there is a route and through
the services otherwise, and its rendering against the order's row; orders written
before the fields existed (null) render the same, and the migrations fill them in.
"""

from __future__ import annotations

import importlib
from decimal import Decimal

import orjson
import pytest
from django.apps import apps
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from accounts.tests.factories import UserFactory
from catalog.tests.factories import ProductFactory
from conftest import bearer_client
from orders import selectors, services
from orders.models import Actor, Order, OrderStatus
from orders.representation import details_render, order_fragment, order_render
from orders.serializers import OrderSerializer
from orders.tests.factories import SHIPPING_ADDRESS, OrderFactory
from shop.services import account_close

pytestmark = pytest.mark.django_db

ORDERS = "/api/v1/orders/"


def details_from_tables(order: Order) -> dict:
    """Return the order's lines and history rendered from the tables, as the API did before."""
    fresh = Order.objects.get(pk=order.pk)
    selectors.order_details_attach(orders=[fresh])
    return details_render(lines=fresh.item_rows, history=fresh.history_rows)


def run_backfill(module: str, *, batch: int) -> None:
    """Run the ``render_existing_orders`` of migration ``module`` on the models, ``batch`` orders at a time.

    A batch smaller than the orders makes it take more than one.
    """
    migration = importlib.import_module(module)
    default = migration.BATCH
    migration.BATCH = batch
    try:
        migration.render_existing_orders(apps, None)
    finally:
        migration.BATCH = default


def assert_read_model_current(order: Order) -> None:
    """The stored details equal the tables' rendering, the stored rendering the row's (both there)."""
    stored = Order.objects.get(pk=order.pk)
    assert stored.details is not None
    assert stored.details == details_from_tables(order)
    assert stored.rendered is not None
    assert order_fragment(pk=stored.pk, rendered=stored.rendered).content == orjson.dumps(
        order_render(stored)
    )


def test_placing_an_order_over_http_writes_its_details_and_reads_nothing_back(customer_client):
    phone, case = ProductFactory(price=Decimal("199.00")), ProductFactory(price=Decimal("10.50"))
    body = {
        "items": [{"product": str(phone.pk), "quantity": 1}, {"product": str(case.pk), "quantity": 3}],
        "shipping_address": SHIPPING_ADDRESS,
    }
    with CaptureQueriesContext(connection) as queries:
        response = customer_client.post(ORDERS, body, format="json")
    assert response.status_code == 201
    reads = [query["sql"] for query in queries if query["sql"].startswith("SELECT")]
    assert not [sql for sql in reads if "orders_orderline" in sql or "orders_orderstatuschange" in sql]
    order = Order.objects.get(pk=response.json()["id"])
    assert_read_model_current(order)
    assert response.json()["items"] == order.details["items"]
    assert [line["line_total"] for line in order.details["items"]] == ["199.00", "31.50"]


@pytest.mark.parametrize(
    "path",
    [
        [OrderStatus.CANCELLED],
        [OrderStatus.SHIPPED],
        [OrderStatus.SHIPPED, OrderStatus.DELIVERED],
    ],
)
def test_every_status_move_over_http_appends_to_the_details(staff_client, path):
    order = OrderFactory()
    for to_status in path:
        response = staff_client.post(f"{ORDERS}{order.pk}/status/", {"status": to_status}, format="json")
        assert response.status_code == 200
        assert_read_model_current(order)
        assert response.json()["history"] == Order.objects.get(pk=order.pk).details["history"]
    assert [move["to_status"] for move in response.json()["history"]] == [OrderStatus.IN_PROGRESS, *path]


def test_a_customer_cancelling_keeps_the_details_current(user):
    order = OrderFactory(customer=user)
    response = bearer_client(user).post(f"{ORDERS}{order.pk}/cancel/", {}, format="json")
    assert response.status_code == 200
    assert_read_model_current(order)
    assert response.json()["history"][-1]["changed_by"] == Actor.CUSTOMER


def test_closing_an_account_cancels_with_the_details_current():
    customer = UserFactory()
    order = OrderFactory(customer=customer)
    account_close(user=customer)
    assert Order.objects.get(pk=order.pk).status == OrderStatus.CANCELLED
    assert_read_model_current(order)


def test_an_imported_order_has_its_details():
    product = ProductFactory(is_active=False)
    order = services.order_import(
        customer=UserFactory(),
        product=product,
        quantity=2,
        status=OrderStatus.SHIPPED,
        created_at=timezone.now(),
        note="imported",
    )
    assert_read_model_current(order)
    assert order.details["items"][0]["line_total"] == "0.00"


def test_a_refused_move_leaves_the_details_as_they_were(staff_user):
    order = OrderFactory(status=OrderStatus.DELIVERED)
    before = Order.objects.get(pk=order.pk).details
    with pytest.raises(services.InvalidTransition):
        services.order_set_status(order=order, to_status=OrderStatus.SHIPPED, by=Actor.STAFF)
    assert Order.objects.get(pk=order.pk).details == before


def test_a_customers_list_and_details_show_each_order_as_its_row_renders(user):
    shipped, cancelled, placed = (
        OrderFactory(customer=user),
        OrderFactory(customer=user),
        OrderFactory(customer=user),
    )
    services.order_set_status(order=shipped, to_status=OrderStatus.SHIPPED, by=Actor.STAFF)
    services.order_cancel(order=cancelled, by=Actor.CUSTOMER, by_user=user)
    client = bearer_client(user)
    listed = client.get(ORDERS).json()["results"]
    assert [order["id"] for order in listed] == [str(placed.pk), str(cancelled.pk), str(shipped.pk)]
    # Both embed Order.rendered: each equals the serializer's rendering of the row read afresh.
    from_rows = [OrderSerializer(Order.objects.get(pk=order["id"])).data for order in listed]
    assert listed == from_rows
    assert [client.get(f"{ORDERS}{order['id']}/").json() for order in listed] == from_rows
    assert [order["status"] for order in listed] == [
        OrderStatus.IN_PROGRESS,
        OrderStatus.CANCELLED,
        OrderStatus.SHIPPED,
    ]


def test_the_staff_list_shows_each_order_as_its_staff_detail_does(staff_client):
    kept, closed = UserFactory(), UserFactory()
    shipped = OrderFactory(customer=kept)
    services.order_set_status(order=shipped, to_status=OrderStatus.SHIPPED, by=Actor.STAFF)
    OrderFactory(customer=closed)
    account_close(user=closed)
    listed = staff_client.get(ORDERS).json()["results"]
    assert len(listed) == 2
    assert listed == [staff_client.get(f"{ORDERS}{order['id']}/").json() for order in listed]
    assert [order["customer_email"] for order in listed] == [None, kept.email]
    assert listed[1]["links"]["self"] == f"http://testserver{ORDERS}{shipped.pk}/"


def test_the_list_as_html_and_indented_json_decodes_the_renderings(user):
    order = OrderFactory(customer=user)
    client = bearer_client(user)
    compact = client.get(ORDERS).json()
    indented = client.get(ORDERS, HTTP_ACCEPT="application/json; indent=4")
    assert b'\n    "results": [\n        {\n            "id": ' in indented.content
    assert indented.json() == compact
    page = client.get(ORDERS, HTTP_ACCEPT="text/html")
    assert page.status_code == 200
    assert f"&quot;number&quot;: &quot;{order.number}&quot;" in page.content.decode()


def test_an_order_without_details_renders_from_the_tables_and_gets_them_with_its_next_move(staff_client):
    order = OrderFactory()
    expected = staff_client.get(f"{ORDERS}{order.pk}/").json()
    Order.objects.filter(pk=order.pk).update(details=None, rendered=None)
    assert staff_client.get(f"{ORDERS}{order.pk}/").json() == expected

    response = staff_client.post(f"{ORDERS}{order.pk}/status/", {"status": "SHIPPED"}, format="json")
    assert response.status_code == 200
    # The move started from the details rendered from the tables, so it stores them complete.
    assert_read_model_current(order)
    assert response.json()["history"] == details_from_tables(order)["history"]


def test_the_migration_fills_in_the_details_of_existing_orders():
    orders = [
        OrderFactory(),
        OrderFactory(status=OrderStatus.SHIPPED),
        OrderFactory(status=OrderStatus.CANCELLED),
    ]
    expected = {order.pk: Order.objects.get(pk=order.pk).details for order in orders}
    Order.objects.update(details=None)
    run_backfill("orders.migrations.0007_order_details", batch=2)
    assert {order.pk: Order.objects.get(pk=order.pk).details for order in orders} == expected


def test_the_migration_renders_existing_orders_with_details():
    orders = [OrderFactory(), OrderFactory(status=OrderStatus.SHIPPED), OrderFactory()]
    expected = {order.pk: Order.objects.get(pk=order.pk).rendered for order in orders}
    Order.objects.update(rendered=None)
    Order.objects.filter(pk=orders[2].pk).update(details=None)  # before 0007 ran: left for the fallback
    run_backfill("orders.migrations.0008_order_rendered", batch=1)
    rendered = {order.pk: Order.objects.get(pk=order.pk).rendered for order in orders}
    assert rendered == {**expected, orders[2].pk: None}


def test_a_customers_detail_of_an_order_not_rendered_yet_is_the_same(user):
    order = OrderFactory(customer=user)
    client = bearer_client(user)
    rendered = client.get(f"{ORDERS}{order.pk}/").content
    Order.objects.filter(pk=order.pk).update(rendered=None)
    assert client.get(f"{ORDERS}{order.pk}/").content == rendered
