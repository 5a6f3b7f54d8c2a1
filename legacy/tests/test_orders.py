"""``/order``, ``/orders/status``, ``/orders/update`` and ``/orders/cancel`` (LEGACY.md 3a to 3e)."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from accounts.tests.factories import UserFactory
from catalog.models import Product
from catalog.tests.factories import CategoryFactory, ProductFactory
from conftest import bearer_client
from legacy.services import legacy_status_parse
from legacy.tests.helpers import CANCEL, ORDER, STATUS, UPDATE, message_of, unknown_id, with_order_id
from orders.models import Actor, Order, OrderStatus
from orders.tests.factories import OrderFactory
from shop.errors import InvalidInput

pytestmark = pytest.mark.django_db


@pytest.fixture
def phone(db):
    """Return the walkthrough's product: Phone in electronics, 10 in stock."""
    category = CategoryFactory(slug="electronics", name="Electronics")
    return ProductFactory(category=category, name="Phone", price="699.00", stock=10)


def stock_of(product) -> int:
    return Product.objects.get(pk=product.pk).stock


def create(client, **body):
    return client.post(ORDER, body, format="json")


# --- POST /order ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("category", "product"),
    [
        ("electronics", "Phone"),
        ("ELECTRONICS", "phone"),
        ("Electronics", "pHoNe"),
        ("  electronics ", "Phone"),
    ],
)
def test_create_finds_category_by_slug_or_name_and_product_by_name_in_any_case(
    customer_client, user, phone, category, product
):
    response = create(customer_client, type=category, products=product, Quantity=2)
    assert response.status_code == 201
    order = Order.objects.get(customer=user)
    assert response.json() == {"id": str(order.pk), "message": "Order created successfully"}
    line = order.lines.get()
    assert (line.product_id, line.quantity, line.unit_price) == (phone.pk, 2, phone.price)
    assert stock_of(phone) == 8


def test_create_accepts_lowercase_quantity_and_ignores_status(customer_client, user, phone):
    response = create(customer_client, type="electronics", products="Phone", quantity=1, status="DELIVERED")
    assert response.status_code == 201
    order = Order.objects.get(customer=user)
    assert order.status == OrderStatus.IN_PROGRESS
    assert [(h.from_status, h.to_status, h.changed_by) for h in order.history.all()] == [
        (None, OrderStatus.IN_PROGRESS, Actor.CUSTOMER)
    ]


def test_names_with_regex_characters_match_literally(customer_client, user):
    books = CategoryFactory(slug="books", name="Books & Media (new)")
    ProductFactory(category=books, name="C++ Primer (5th ed.)X")
    wanted = ProductFactory(category=books, name="C++ Primer (5th ed.)")
    body = {"type": "BOOKS & MEDIA (NEW)", "products": "c++ primer (5th ed.)", "Quantity": 1}
    assert create(customer_client, **body).status_code == 201
    assert Order.objects.get(customer=user).lines.get().product_id == wanted.pk
    assert message_of(create(customer_client, type="books", products="C++ Primer (5th ed.", Quantity=1), 400)


def test_a_category_slug_beats_another_categorys_name(customer_client, user):
    by_name = CategoryFactory(slug="mobile", name="Phones")
    by_slug = CategoryFactory(slug="phones", name="Handsets")
    ProductFactory(category=by_name, name="Phone")
    wanted = ProductFactory(category=by_slug, name="Phone")
    assert create(customer_client, type="Phones", products="Phone", Quantity=1).status_code == 201
    assert Order.objects.get(customer=user).lines.get().product_id == wanted.pk


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ({"type": "gadgets", "products": "Phone", "Quantity": 1}, "type: Unknown category 'gadgets'."),
        (
            {"type": "electronics", "products": "Pager", "Quantity": 1},
            "products: Unknown product 'Pager' in category 'electronics'.",
        ),
        ({"type": "electronics", "products": ".*", "Quantity": 1}, "products: Unknown product '.*'"),
        ({"type": "electron%", "products": "Phone", "Quantity": 1}, "type: Unknown category 'electron%'."),
    ],
)
def test_unknown_category_or_product_is_400_naming_it(customer_client, phone, body, message):
    assert message_of(create(customer_client, **body), 400).startswith(message)
    assert not Order.objects.exists()


def test_an_inactive_product_is_unknown(customer_client, phone):
    Product.objects.filter(pk=phone.pk).update(is_active=False)
    assert "Unknown product 'Phone'" in message_of(
        create(customer_client, type="electronics", products="Phone", Quantity=1), 400
    )


@pytest.mark.parametrize("quantity", ["3", 3.0, 2.5, True, None, 0, -1, 1001, [3], {"n": 3}])
def test_quantity_of_the_wrong_type_or_range_is_400_and_reserves_nothing(customer_client, phone, quantity):
    message = message_of(
        create(customer_client, type="electronics", products="Phone", Quantity=quantity), 400
    )
    assert message.startswith("Quantity: ")
    assert stock_of(phone) == 10
    assert not Order.objects.exists()


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ({"type": "electronics", "products": "Phone"}, "Quantity: This field is required."),
        (
            {"type": "electronics", "products": "Phone", "Quantity": 1, "quantity": 1},
            "Quantity: Send Quantity or quantity, not both.",
        ),
        ({"products": "Phone", "Quantity": 1}, "type: This field is required."),
        ({"type": "electronics", "products": 5, "Quantity": 1}, "products: Must be a string."),
        (
            {"type": "electronics", "products": "Phone", "Quantity": 1, "price": "0.01"},
            "price: Unknown field: this endpoint does not accept it.",
        ),
    ],
)
def test_create_refuses_bad_bodies_naming_the_field(customer_client, phone, body, message):
    assert message_of(create(customer_client, **body), 400) == message


def test_create_refuses_a_body_that_is_not_an_object(customer_client, phone):
    assert message_of(customer_client.post(ORDER, [1, 2], format="json"), 400)
    assert message_of(customer_client.post(ORDER, "{", content_type="application/json"), 400)
    response = customer_client.post(ORDER, "type=x", content_type="application/x-www-form-urlencoded")
    assert message_of(response, 415)


def test_create_when_short_is_409_naming_the_product_and_reserves_nothing(customer_client, phone):
    response = create(customer_client, type="electronics", products="Phone", Quantity=11)
    assert message_of(response, 409) == "Not enough stock for 'Phone': 11 requested; nothing was reserved."
    assert stock_of(phone) == 10
    assert not Order.objects.exists()


def test_create_takes_the_last_units(customer_client, phone):
    assert create(customer_client, type="electronics", products="Phone", Quantity=10).status_code == 201
    assert stock_of(phone) == 0
    assert message_of(create(customer_client, type="electronics", products="Phone", Quantity=1), 409)


def test_create_needs_a_token(api_client, phone):
    assert message_of(create(api_client, type="electronics", products="Phone", Quantity=1), 401)


# --- GET /order -------------------------------------------------------------------------------


def test_list_shows_only_the_callers_orders_newest_first(user, staff_user, phone):
    older = OrderFactory(customer=user, items=[(phone, 1)])
    newer = OrderFactory(customer=user, items=[(phone, 2)], status=OrderStatus.SHIPPED)
    Order.objects.filter(pk=older.pk).update(created_at=timezone.now() - timedelta(days=1))
    OrderFactory(customer=UserFactory())
    OrderFactory(customer=staff_user)
    data = bearer_client(user).get(ORDER).json()["data"]
    assert [(row["_id"], row["quantity"], row["status"]) for row in data] == [
        (str(newer.pk), 2, "SHIPPED"),
        (str(older.pk), 1, "IN_PROGRESS"),
    ]
    # Staff see their own orders here too (v1 is where staff see everyone's).
    assert len(bearer_client(staff_user).get(ORDER).json()["data"]) == 1


def test_list_describes_a_multi_line_order_by_its_first_line(user, phone):
    book = ProductFactory(category=CategoryFactory(slug="books"), name="Dune", price="12.50")
    order = OrderFactory(customer=user, items=[(phone, 1), (book, 2)])
    row = bearer_client(user).get(ORDER).json()["data"][0]
    assert row == {
        "_id": str(order.pk),
        "type": "electronics",
        "products": "Phone",
        "quantity": 1,
        "status": "IN_PROGRESS",
        "customer_id": str(user.pk),
        "total": "724.00",
        "currency": "USD",
        "created_at": row["created_at"],
        "items": [
            {
                "product": str(phone.pk),
                "sku": phone.sku,
                "name": "Phone",
                "unit_price": "699.00",
                "quantity": 1,
                "line_total": "699.00",
            },
            {
                "product": str(book.pk),
                "sku": book.sku,
                "name": "Dune",
                "unit_price": "12.50",
                "quantity": 2,
                "line_total": "25.00",
            },
        ],
    }
    assert row["created_at"].endswith("Z")


def test_list_of_no_orders_is_an_empty_list(customer_client):
    assert customer_client.get(ORDER).json() == {"data": [], "message": "orders"}


@pytest.mark.parametrize("count", [3, 40])
def test_list_returns_every_order_in_a_constant_number_of_queries(user, django_assert_num_queries, count):
    product = ProductFactory(stock=1000)
    other = ProductFactory()
    for _ in range(count):
        OrderFactory(customer=user, items=[(product, 1), (other, 2)])
    client = bearer_client(user)
    # user (authentication) + orders + all their lines ($in): whatever the number of orders.
    with django_assert_num_queries(3):
        response = client.get(ORDER)
    assert len(response.json()["data"]) == count
    assert all(len(row["items"]) == 2 for row in response.json()["data"])


# --- GET /orders/status -----------------------------------------------------------------------


def test_status_of_own_order(user, phone):
    order = OrderFactory(customer=user, items=[(phone, 1)], status=OrderStatus.DELIVERED)
    response = bearer_client(user).get(with_order_id(STATUS, order.pk))
    assert response.json() == {"data": "DELIVERED", "message": "status"}


def test_staff_see_the_status_of_any_order(staff_client):
    order = OrderFactory()
    assert staff_client.get(with_order_id(STATUS, order.pk)).json()["data"] == "IN_PROGRESS"


@pytest.mark.parametrize(
    ("query", "message"),
    [
        ("", "order_id: This query parameter is required."),
        ("?order_id=", "order_id: This query parameter is required."),
        ("?order_id=abc", "order_id: 'abc' is not a valid order id."),
        ("?order_id=99999999999999999999999", "order_id: '99999999999999999999999' is not a valid order id."),
        ("?other=1", "order_id: This query parameter is required."),
    ],
)
@pytest.mark.parametrize("path", [STATUS, UPDATE, CANCEL])
def test_missing_or_malformed_order_id_is_400_on_every_route(customer_client, path, query, message):
    client_call = customer_client.get if path == STATUS else customer_client.put
    body = {"status": "cancelled"} if path == UPDATE else None
    assert message_of(client_call(path + query, body, format="json"), 400) == message


@pytest.mark.parametrize("path", [STATUS, UPDATE, CANCEL])
def test_someone_elses_or_an_unknown_order_is_404_on_every_route(customer_client, path):
    others = OrderFactory()
    for order_id in (others.pk, unknown_id()):
        url = with_order_id(path, order_id)
        if path == STATUS:
            response = customer_client.get(url)
        else:
            response = customer_client.put(
                url, {"status": "cancelled"} if path == UPDATE else None, format="json"
            )
        assert message_of(response, 404) == "Order not found."
    assert Order.objects.get(pk=others.pk).status == OrderStatus.IN_PROGRESS


# --- PUT /orders/update -----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "status"),
    [
        ("Shipped", "SHIPPED"),
        ("shipped", "SHIPPED"),
        ("in progress", "IN_PROGRESS"),
        ("IN_PROGRESS", "IN_PROGRESS"),
        ("In_Progress", "IN_PROGRESS"),
        ("inprogress", "IN_PROGRESS"),
        ("Cancelled", "CANCELLED"),
        ("delivered", "DELIVERED"),
    ],
)
def test_status_text_is_matched_ignoring_case_spaces_and_underscores(text, status):
    assert legacy_status_parse(text=text) == status


@pytest.mark.parametrize("text", ["canceled", "lost", "_", "SHIPPED!", "in-progress"])
def test_status_text_that_names_no_status_is_invalid(text):
    with pytest.raises(InvalidInput) as raised:
        legacy_status_parse(text=text)
    assert raised.value.field == "status"


def test_staff_make_legal_moves_recorded_as_staff(staff_user, staff_client, phone):
    order = OrderFactory(items=[(phone, 2)])
    url = with_order_id(UPDATE, order.pk)
    assert staff_client.put(url, {"status": "shipped"}, format="json").json() == {
        "id": str(order.pk),
        "message": "order status updated",
    }
    assert staff_client.put(url, {"status": "Delivered"}, format="json").status_code == 200
    order.refresh_from_db()
    assert order.status == OrderStatus.DELIVERED
    last = order.history.order_by("changed_at", "id").last()
    assert (last.changed_by, last.changed_by_user_id) == (Actor.STAFF, staff_user.pk)
    assert stock_of(phone) == 8


def test_staff_cancel_through_update_returns_the_stock(staff_client, phone):
    order = OrderFactory(items=[(phone, 4)])
    assert (
        staff_client.put(with_order_id(UPDATE, order.pk), {"status": "CANCELLED"}, format="json").status_code
        == 200
    )
    assert stock_of(phone) == 10


@pytest.mark.parametrize(
    ("start", "text"),
    [
        (OrderStatus.IN_PROGRESS, "delivered"),
        (OrderStatus.IN_PROGRESS, "in progress"),
        (OrderStatus.SHIPPED, "cancelled"),
        (OrderStatus.CANCELLED, "shipped"),
        (OrderStatus.DELIVERED, "shipped"),
    ],
)
def test_illegal_moves_are_409_and_change_nothing(staff_client, start, text):
    order = OrderFactory(status=start)
    response = staff_client.put(with_order_id(UPDATE, order.pk), {"status": text}, format="json")
    assert "cannot become" in message_of(response, 409)
    assert Order.objects.get(pk=order.pk).status == start


def test_customer_cancels_own_order_through_update_and_the_stock_returns(user, phone):
    order = OrderFactory(customer=user, items=[(phone, 3)])
    response = bearer_client(user).put(
        with_order_id(UPDATE, order.pk), {"status": "canCelled"}, format="json"
    )
    assert response.json() == {"id": str(order.pk), "message": "order status updated"}
    order.refresh_from_db()
    assert order.status == OrderStatus.CANCELLED
    assert order.history.order_by("changed_at", "id").last().changed_by == Actor.CUSTOMER
    assert stock_of(phone) == 10


@pytest.mark.parametrize("text", ["Shipped", "delivered", "in progress"])
def test_customer_asking_for_any_other_status_is_403(user, text):
    own = OrderFactory(customer=user)
    someone_elses = OrderFactory()
    client = bearer_client(user)
    for order in (own, someone_elses):
        response = client.put(with_order_id(UPDATE, order.pk), {"status": text}, format="json")
        assert message_of(response, 403).startswith("Customers may only cancel")
        assert Order.objects.get(pk=order.pk).status == OrderStatus.IN_PROGRESS


def test_customer_cancelling_a_shipped_order_through_update_is_409(user):
    order = OrderFactory(customer=user, status=OrderStatus.SHIPPED)
    response = bearer_client(user).put(
        with_order_id(UPDATE, order.pk), {"status": "cancelled"}, format="json"
    )
    assert message_of(response, 409)


@pytest.mark.parametrize(
    ("body", "message"),
    [
        (
            {"status": "lost"},
            "status: Unknown status 'lost'; use one of IN_PROGRESS, SHIPPED, DELIVERED, CANCELLED.",
        ),
        ({}, "status: This field is required."),
        ({"status": 3}, "status: Must be a string."),
        ({"status": ""}, "status: This field may not be blank."),
        ({"status": "shipped", "id": "1"}, "id: Unknown field: this endpoint does not accept it."),
    ],
)
def test_update_refuses_bad_bodies_naming_the_field(staff_client, body, message):
    order = OrderFactory()
    assert message_of(staff_client.put(with_order_id(UPDATE, order.pk), body, format="json"), 400) == message


# --- PUT /orders/cancel -----------------------------------------------------------------------


def test_cancel_returns_the_stock_and_twice_is_409(user, phone):
    order = OrderFactory(customer=user, items=[(phone, 5)])
    client = bearer_client(user)
    response = client.put(with_order_id(CANCEL, order.pk))
    assert response.json() == {"id": str(order.pk), "message": "order canceled"}
    assert stock_of(phone) == 10
    assert "cannot become" in message_of(client.put(with_order_id(CANCEL, order.pk)), 409)
    assert stock_of(phone) == 10


@pytest.mark.parametrize("status", [OrderStatus.SHIPPED, OrderStatus.DELIVERED])
def test_cancel_after_shipping_is_409(user, status):
    order = OrderFactory(customer=user, status=status)
    assert message_of(bearer_client(user).put(with_order_id(CANCEL, order.pk)), 409)


def test_staff_cancel_any_order_recorded_as_staff(staff_client):
    order = OrderFactory()
    assert staff_client.put(with_order_id(CANCEL, order.pk)).status_code == 200
    assert order.history.order_by("changed_at", "id").last().changed_by == Actor.STAFF


def test_cancel_refuses_a_body_with_keys(customer_client, user):
    order = OrderFactory(customer=user)
    response = customer_client.put(with_order_id(CANCEL, order.pk), {"status": "x"}, format="json")
    assert message_of(response, 400) == "status: Unknown field: this endpoint does not accept it."
    assert Order.objects.get(pk=order.pk).status == OrderStatus.IN_PROGRESS


@pytest.mark.parametrize(("method", "path"), [("post", STATUS), ("get", UPDATE), ("delete", CANCEL)])
def test_other_methods_are_405(customer_client, method, path):
    assert message_of(getattr(customer_client, method)(path), 405)
