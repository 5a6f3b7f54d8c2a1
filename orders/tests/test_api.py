"""The orders API through HTTP (API.md "Orders"): shapes, status codes, visibility, pagination."""

from datetime import datetime, timedelta

import pytest
from django.utils import timezone

from accounts.tests.factories import UserFactory
from catalog.models import Product
from catalog.tests.factories import ProductFactory
from conftest import bearer_client
from orders.models import Order, OrderStatus
from orders.services import customer_orders_version_bump
from orders.tests.factories import SHIPPING_ADDRESS, OrderFactory

pytestmark = pytest.mark.django_db

ORDERS = "/api/v1/orders/"
ORDER_KEYS = {
    "id",
    "number",
    "status",
    "items",
    "total",
    "currency",
    "shipping_address",
    "note",
    "created_at",
    "updated_at",
    "history",
}
ITEM_KEYS = {"product", "sku", "name", "unit_price", "quantity", "line_total"}
HISTORY_KEYS = {"from_status", "to_status", "changed_at", "changed_by"}


def stock_of(product) -> int:
    return Product.objects.get(pk=product.pk).stock


def place(client, *items, **headers):
    body = {
        "shipping_address": SHIPPING_ADDRESS,
        "items": [{"product": str(product.pk), "quantity": quantity} for product, quantity in items],
    }
    return client.post(ORDERS, body, format="json", **headers)


def parse_time(value: str) -> datetime:
    return datetime.fromisoformat(value.replace("Z", "+00:00"))


# --- create --------------------------------------------------------------------------


def test_create_answers_201_with_the_order_representation(customer_client):
    phone = ProductFactory(price="999.00", stock=5)
    case = ProductFactory(price="12.50", stock=5)

    response = place(customer_client, (phone, 1), (case, 2))

    assert response.status_code == 201
    body = response.json()
    assert set(body) == ORDER_KEYS
    assert isinstance(body["id"], str)
    assert body["status"] == "IN_PROGRESS"
    assert body["total"] == "1024.00"
    assert body["currency"] == "USD"
    assert body["items"] == [
        {
            "product": str(phone.pk),
            "sku": phone.sku,
            "name": phone.name,
            "unit_price": "999.00",
            "quantity": 1,
            "line_total": "999.00",
        },
        {
            "product": str(case.pk),
            "sku": case.sku,
            "name": case.name,
            "unit_price": "12.50",
            "quantity": 2,
            "line_total": "25.00",
        },
    ]
    assert [set(entry) for entry in body["history"]] == [HISTORY_KEYS]
    assert body["history"][0] | {"changed_at": None} == {
        "from_status": None,
        "to_status": "IN_PROGRESS",
        "changed_by": "customer",
        "changed_at": None,
    }
    created = parse_time(body["created_at"])
    assert created.tzinfo is not None
    assert abs(timezone.now() - created) < timedelta(minutes=1)
    assert (stock_of(phone), stock_of(case)) == (4, 3)


def test_create_merges_duplicate_products(customer_client):
    product = ProductFactory(stock=10)
    pk = str(product.pk)
    body = {
        "shipping_address": SHIPPING_ADDRESS,
        "items": [{"product": pk, "quantity": 2}, {"product": pk, "quantity": 3}],
    }
    response = customer_client.post(ORDERS, body, format="json")
    assert response.status_code == 201
    assert [(i["product"], i["quantity"]) for i in response.json()["items"]] == [(str(product.pk), 5)]
    assert stock_of(product) == 5


@pytest.mark.parametrize(
    "item",
    [
        {"product": "PLACEHOLDER_INT", "quantity": 1},
        {"product": "PLACEHOLDER", "quantity": "2"},
        {"product": "PLACEHOLDER", "quantity": 2.5},
        {"product": "PLACEHOLDER", "quantity": True},
    ],
)
def test_create_takes_ids_as_strings_and_quantities_as_json_integers_only(customer_client, item):
    """Ids are strings and quantities integers in JSON (API.md); nothing is coerced."""
    product = ProductFactory(stock=10)
    fields = {"PLACEHOLDER": str(product.pk), "PLACEHOLDER_INT": product.pk}
    item = {key: fields.get(value, value) if isinstance(value, str) else value for key, value in item.items()}
    response = customer_client.post(
        ORDERS, {"shipping_address": SHIPPING_ADDRESS, "items": [item]}, format="json"
    )
    assert response.status_code == 400
    assert "items" in response.json()
    assert stock_of(product) == 10


def test_create_needs_authentication(api_client):
    product = ProductFactory()
    response = place(api_client, (product, 1))
    assert response.status_code == 401
    assert response["WWW-Authenticate"].startswith("Bearer")
    assert stock_of(product) == 100


@pytest.mark.parametrize(
    "items",
    [
        [],
        [{"product": "PRODUCT", "quantity": 0}],
        [{"product": "PRODUCT", "quantity": -1}],
        [{"product": "PRODUCT", "quantity": 1.5}],
        [{"product": "PRODUCT", "quantity": "many"}],
        [{"product": "PRODUCT", "quantity": None}],
        [{"product": "PRODUCT", "quantity": 1001}],
        [{"product": "PRODUCT", "quantity": 600}, {"product": "PRODUCT", "quantity": 401}],
        [{"product": "not-an-id", "quantity": 1}],
        [{"product": "99999999999999999999999999", "quantity": 1}],
        [{"product": "65277a812b73bb530ad77307", "quantity": 1}],
        [{"product": "", "quantity": 1}],
        [{"product": True, "quantity": 1}],
        [{"product": ["1"], "quantity": 1}],
        [{"product": "PRODUCT"}],
        [{"quantity": 1}],
        [{"product": "PRODUCT", "quantity": 1, "unit_price": "0.01"}],
        ["PRODUCT"],
        "PRODUCT",
        {"product": "PRODUCT", "quantity": 1},
        None,
        [{"product": "PRODUCT", "quantity": 1}] * 51,
    ],
    ids=[
        "empty",
        "quantity-0",
        "negative",
        "fraction",
        "text-quantity",
        "null-quantity",
        "above-1000",
        "merged-above-1000",
        "malformed-id",
        "huge-id",
        "objectid-on-sqlite-or-unknown",
        "blank-id",
        "boolean-id",
        "list-id",
        "no-quantity",
        "no-product",
        "client-price",
        "item-not-object",
        "items-string",
        "items-object",
        "items-null",
        "51-lines",
    ],
)
def test_create_refuses_bad_items_with_400_on_items_and_reserves_nothing(customer_client, items):
    product = ProductFactory(stock=5000)

    def substitute(value):
        if value == "PRODUCT":
            return str(product.pk)
        if isinstance(value, list):
            return [substitute(v) for v in value]
        if isinstance(value, dict):
            return {k: substitute(v) for k, v in value.items()}
        return value

    response = customer_client.post(
        ORDERS, {"shipping_address": SHIPPING_ADDRESS, "items": substitute(items)}, format="json"
    )

    assert response.status_code == 400, response.content
    assert "items" in response.json()
    assert stock_of(product) == 5000
    assert not Order.objects.exists()


def test_create_refuses_an_inactive_product_with_400_on_items(customer_client):
    product = ProductFactory(is_active=False, stock=5)
    response = place(customer_client, (product, 1))
    assert response.status_code == 400
    assert str(product.pk) in response.json()["items"][0]
    assert stock_of(product) == 5


@pytest.mark.parametrize("field", ["status", "total", "customer", "currency"])
def test_create_refuses_unknown_and_server_owned_fields(customer_client, field):
    product = ProductFactory()
    body = {
        "shipping_address": SHIPPING_ADDRESS,
        "items": [{"product": str(product.pk), "quantity": 1}],
        field: "x",
    }
    response = customer_client.post(ORDERS, body, format="json")
    assert response.status_code == 400
    assert field in response.json()
    assert stock_of(product) == 100


def test_create_when_short_is_409_naming_every_short_product_and_reserves_nothing(customer_client):
    plenty = ProductFactory(stock=10)
    short_one = ProductFactory(stock=1)
    short_two = ProductFactory(stock=0)

    response = place(customer_client, (plenty, 3), (short_one, 2), (short_two, 1))

    assert response.status_code == 409
    body = response.json()
    assert body["code"] == "insufficient_stock"
    assert body["detail"]
    assert sorted(body["products"]) == sorted([str(short_one.pk), str(short_two.pk)])
    assert (stock_of(plenty), stock_of(short_one), stock_of(short_two)) == (10, 1, 0)
    assert not Order.objects.exists()


def test_create_takes_the_last_unit_and_then_refuses(customer_client):
    product = ProductFactory(stock=2)
    assert place(customer_client, (product, 2)).status_code == 201
    assert stock_of(product) == 0
    response = place(customer_client, (product, 1))
    assert response.status_code == 409
    assert response.json()["products"] == [str(product.pk)]
    assert stock_of(product) == 0


def test_non_json_body_is_refused(customer_client):
    response = customer_client.post(ORDERS, "items=1", content_type="application/x-www-form-urlencoded")
    assert response.status_code == 415


# --- detail ------------------------------------------------------------------------


def test_detail_shows_own_order_with_lines_and_history(user, customer_client):
    order = OrderFactory(customer=user, status=OrderStatus.SHIPPED)
    response = customer_client.get(f"{ORDERS}{order.pk}/")
    assert response.status_code == 200
    body = response.json()
    assert body["id"] == str(order.pk)
    assert body["status"] == "SHIPPED"
    assert [(h["from_status"], h["to_status"], h["changed_by"]) for h in body["history"]] == [
        (None, "IN_PROGRESS", "customer"),
        ("IN_PROGRESS", "SHIPPED", "staff"),
    ]
    assert all(set(h) == HISTORY_KEYS for h in body["history"])


def test_detail_never_shows_staff_identity(user, customer_client, staff_client, staff_user):
    order = OrderFactory(customer=user)
    staff_client.post(f"{ORDERS}{order.pk}/status/", {"status": "SHIPPED"}, format="json")
    text = customer_client.get(f"{ORDERS}{order.pk}/").content.decode()
    assert staff_user.email not in text
    assert "changed_by_user" not in text
    assert '"changed_by":"staff"' in text.replace(" ", "")


def test_someone_elses_order_is_404_on_every_route(customer_client):
    order = OrderFactory(customer=UserFactory())
    for response in (
        customer_client.get(f"{ORDERS}{order.pk}/"),
        customer_client.post(f"{ORDERS}{order.pk}/cancel/"),
    ):
        assert response.status_code == 404
        assert response.json()["code"] == "not_found"
    assert Order.objects.get(pk=order.pk).status == OrderStatus.IN_PROGRESS


@pytest.mark.parametrize(
    "order_id", ["abc", "0", "99999999999999999999999", "65277a812b73bb530ad77307", "-1"]
)
def test_unknown_or_malformed_order_id_is_404(customer_client, staff_client, order_id):
    assert customer_client.get(f"{ORDERS}{order_id}/").status_code == 404
    assert customer_client.post(f"{ORDERS}{order_id}/cancel/").status_code == 404
    response = staff_client.post(f"{ORDERS}{order_id}/status/", {"status": "SHIPPED"}, format="json")
    assert response.status_code == 404


def test_staff_see_any_order(staff_client):
    order = OrderFactory()
    assert staff_client.get(f"{ORDERS}{order.pk}/").status_code == 200


def test_detached_order_is_visible_to_staff_only(user, customer_client, staff_client):
    order = OrderFactory(customer=user)
    Order.objects.filter(pk=order.pk).update(customer=None)
    assert customer_client.get(f"{ORDERS}{order.pk}/").status_code == 404
    assert staff_client.get(f"{ORDERS}{order.pk}/").status_code == 200


# --- cancel --------------------------------------------------------------------------


def test_customer_cancels_own_order_and_stock_returns(user, customer_client):
    product = ProductFactory(stock=10)
    order = OrderFactory(customer=user, items=[(product, 4)])
    assert stock_of(product) == 6

    response = customer_client.post(f"{ORDERS}{order.pk}/cancel/")

    assert response.status_code == 200
    body = response.json()
    assert body["status"] == "CANCELLED"
    assert [(h["from_status"], h["to_status"], h["changed_by"]) for h in body["history"]][-1] == (
        "IN_PROGRESS",
        "CANCELLED",
        "customer",
    )
    assert parse_time(body["updated_at"]) >= parse_time(body["created_at"])
    assert stock_of(product) == 10


def test_cancelling_twice_is_409_and_restocks_once(user, customer_client):
    product = ProductFactory(stock=10)
    order = OrderFactory(customer=user, items=[(product, 4)])
    assert customer_client.post(f"{ORDERS}{order.pk}/cancel/").status_code == 200
    response = customer_client.post(f"{ORDERS}{order.pk}/cancel/")
    assert response.status_code == 409
    assert response.json()["code"] == "invalid_transition"
    assert stock_of(product) == 10


@pytest.mark.parametrize("status", [OrderStatus.SHIPPED, OrderStatus.DELIVERED])
def test_cancelling_a_shipped_or_delivered_order_is_409(user, customer_client, status):
    product = ProductFactory(stock=10)
    order = OrderFactory(customer=user, items=[(product, 4)], status=status)
    response = customer_client.post(f"{ORDERS}{order.pk}/cancel/")
    assert response.status_code == 409
    assert response.json()["code"] == "invalid_transition"
    assert stock_of(product) == 6


def test_staff_cancel_any_in_progress_order_recorded_as_staff(staff_client):
    product = ProductFactory(stock=10)
    order = OrderFactory(items=[(product, 4)])
    response = staff_client.post(f"{ORDERS}{order.pk}/cancel/")
    assert response.status_code == 200
    assert response.json()["history"][-1]["changed_by"] == "staff"
    assert stock_of(product) == 10


def test_cancel_refuses_a_body_with_keys(user, customer_client):
    order = OrderFactory(customer=user)
    response = customer_client.post(f"{ORDERS}{order.pk}/cancel/", {"reason": "x"}, format="json")
    assert response.status_code == 400
    assert "reason" in response.json()
    assert Order.objects.get(pk=order.pk).status == OrderStatus.IN_PROGRESS


# --- staff status change -------------------------------------------------------------


def test_staff_move_an_order_along_the_pipeline(staff_client):
    order = OrderFactory()
    url = f"{ORDERS}{order.pk}/status/"
    shipped = staff_client.post(url, {"status": "SHIPPED"}, format="json")
    assert shipped.status_code == 200
    assert shipped.json()["status"] == "SHIPPED"
    delivered = staff_client.post(url, {"status": "DELIVERED"}, format="json")
    assert delivered.status_code == 200
    assert [(h["from_status"], h["to_status"], h["changed_by"]) for h in delivered.json()["history"]] == [
        (None, "IN_PROGRESS", "customer"),
        ("IN_PROGRESS", "SHIPPED", "staff"),
        ("SHIPPED", "DELIVERED", "staff"),
    ]


def test_staff_status_cancel_restocks(staff_client):
    product = ProductFactory(stock=10)
    order = OrderFactory(items=[(product, 4)])
    response = staff_client.post(f"{ORDERS}{order.pk}/status/", {"status": "CANCELLED"}, format="json")
    assert response.status_code == 200
    assert stock_of(product) == 10


@pytest.mark.parametrize(
    ("start", "target"),
    [
        (OrderStatus.IN_PROGRESS, "DELIVERED"),
        (OrderStatus.IN_PROGRESS, "IN_PROGRESS"),
        (OrderStatus.SHIPPED, "CANCELLED"),
        (OrderStatus.SHIPPED, "IN_PROGRESS"),
        (OrderStatus.DELIVERED, "SHIPPED"),
        (OrderStatus.CANCELLED, "IN_PROGRESS"),
        (OrderStatus.CANCELLED, "CANCELLED"),
    ],
)
def test_staff_illegal_move_is_409_invalid_transition(staff_client, start, target):
    order = OrderFactory(status=start)
    response = staff_client.post(f"{ORDERS}{order.pk}/status/", {"status": target}, format="json")
    assert response.status_code == 409
    assert response.json()["code"] == "invalid_transition"
    assert Order.objects.get(pk=order.pk).status == start


@pytest.mark.parametrize(
    "body", [{"status": "LOST"}, {"status": "shipped"}, {}, {"status": None}, {"status": 3}]
)
def test_staff_unknown_status_is_400(staff_client, body):
    order = OrderFactory()
    response = staff_client.post(f"{ORDERS}{order.pk}/status/", body, format="json")
    assert response.status_code == 400
    assert "status" in response.json()
    assert Order.objects.get(pk=order.pk).status == OrderStatus.IN_PROGRESS


def test_staff_status_refuses_unknown_keys(staff_client):
    order = OrderFactory()
    response = staff_client.post(
        f"{ORDERS}{order.pk}/status/", {"status": "SHIPPED", "by": "x"}, format="json"
    )
    assert response.status_code == 400
    assert "by" in response.json()
    assert Order.objects.get(pk=order.pk).status == OrderStatus.IN_PROGRESS


def test_customers_may_not_use_the_status_endpoint(user, customer_client):
    order = OrderFactory(customer=user)
    response = customer_client.post(f"{ORDERS}{order.pk}/status/", {"status": "SHIPPED"}, format="json")
    assert response.status_code == 403
    assert response.json()["code"] == "permission_denied"
    assert Order.objects.get(pk=order.pk).status == OrderStatus.IN_PROGRESS


# --- list ----------------------------------------------------------------------------


def test_customer_list_shows_own_orders_newest_first(user, customer_client):
    first = OrderFactory(customer=user)
    OrderFactory(customer=UserFactory())
    second = OrderFactory(customer=user)
    response = customer_client.get(ORDERS)
    assert response.status_code == 200
    body = response.json()
    assert {"next", "previous", "results"} <= set(body)
    assert [o["id"] for o in body["results"]] == [str(second.pk), str(first.pk)]
    assert all(set(o) == ORDER_KEYS for o in body["results"])


def test_list_needs_authentication(api_client):
    assert api_client.get(ORDERS).status_code == 401


def test_staff_list_shows_every_order(staff_client):
    orders = [OrderFactory() for _ in range(3)]
    body = staff_client.get(ORDERS).json()
    assert [o["id"] for o in body["results"]] == [str(o.pk) for o in reversed(orders)]


def test_list_filters_by_status(user, customer_client):
    OrderFactory(customer=user)
    shipped = OrderFactory(customer=user, status=OrderStatus.SHIPPED)
    body = customer_client.get(ORDERS, {"status": "SHIPPED"}).json()
    assert [o["id"] for o in body["results"]] == [str(shipped.pk)]


def test_list_with_unknown_status_is_400(customer_client):
    response = customer_client.get(ORDERS, {"status": "LOST"})
    assert response.status_code == 400
    assert "status" in response.json()


def test_staff_filter_by_customer_email_in_any_case(staff_client):
    ann = UserFactory(email="ann@example.com")
    mine = OrderFactory(customer=ann)
    OrderFactory()
    body = staff_client.get(ORDERS, {"customer": "ANN@example.com"}).json()
    assert [o["id"] for o in body["results"]] == [str(mine.pk)]
    assert staff_client.get(ORDERS, {"customer": "nobody@example.com"}).json()["results"] == []


def test_customer_parameter_is_ignored_for_customers(user, customer_client):
    other = UserFactory(email="other@example.com")
    OrderFactory(customer=other)
    mine = OrderFactory(customer=user)
    body = customer_client.get(ORDERS, {"customer": "other@example.com"}).json()
    assert [o["id"] for o in body["results"]] == [str(mine.pk)]


def test_list_pages_by_cursor_without_gaps_or_repeats(user, customer_client):
    product = ProductFactory(stock=1000)
    orders = [OrderFactory(customer=user, items=[(product, 1)]) for _ in range(7)]
    seen = []
    response = customer_client.get(ORDERS, {"page_size": 3})
    pages = 0
    while True:
        body = response.json()
        assert len(body["results"]) <= 3
        seen += [o["id"] for o in body["results"]]
        pages += 1
        if not body["next"]:
            break
        assert "cursor=" in body["next"]
        response = customer_client.get(body["next"])
    assert pages == 3
    assert seen == [str(o.pk) for o in reversed(orders)]


def test_page_size_defaults_to_20_and_is_clamped_to_100(user, customer_client):
    product = ProductFactory(stock=1000)
    for _ in range(101):
        OrderFactory(customer=user, items=[(product, 1)])
    assert len(customer_client.get(ORDERS).json()["results"]) == 20
    assert len(customer_client.get(ORDERS, {"page_size": 1000}).json()["results"]) == 100


def test_orders_created_in_the_same_instant_page_stably(user, customer_client):
    product = ProductFactory(stock=1000)
    orders = [OrderFactory(customer=user, items=[(product, 1)]) for _ in range(5)]
    same = timezone.now()
    Order.objects.filter(pk__in=[o.pk for o in orders]).update(created_at=same)
    seen = []
    url, params = ORDERS, {"page_size": 2}
    while url:
        body = customer_client.get(url, params).json()
        seen += [o["id"] for o in body["results"]]
        url, params = body["next"], None
    assert sorted(seen) == sorted(str(o.pk) for o in orders)
    assert len(seen) == len(set(seen))


@pytest.mark.parametrize("page_size", [5, 50])
def test_list_query_count_is_pinned_and_independent_of_page_size(user, django_assert_num_queries, page_size):
    product = ProductFactory(stock=1000)
    for _ in range(60):
        OrderFactory(customer=user, items=[(product, 1), (ProductFactory(), 2)], status=OrderStatus.SHIPPED)
    client = bearer_client(user)
    # user (authentication) + one page of orders, each with its lines and history (Order.details).
    with django_assert_num_queries(2):
        response = client.get(ORDERS, {"page_size": page_size})
    assert len(response.json()["results"]) == page_size
    assert all(len(o["items"]) == 2 and len(o["history"]) == 2 for o in response.json()["results"])
    # Orders written before their rendering (Order.rendered): + the orders in full ($in).
    before = response.content
    Order.objects.update(rendered=None)
    customer_orders_version_bump(customer_id=user.pk)  # what a real write would do after its change
    with django_assert_num_queries(3):
        response = client.get(ORDERS, {"page_size": page_size})
    assert response.content == before
    # ... and before the read model: + lines ($in) + history ($in), still constant.
    Order.objects.update(details=None)
    customer_orders_version_bump(customer_id=user.pk)
    with django_assert_num_queries(5):
        response = client.get(ORDERS, {"page_size": page_size})
    assert response.content == before


@pytest.mark.parametrize("page_size", [5, 50])
def test_staff_list_filtered_by_customer_query_count_is_pinned(
    staff_user, django_assert_num_queries, page_size
):
    ann = UserFactory(email="ann@example.com")
    for _ in range(60):
        OrderFactory(customer=ann)
    client = bearer_client(staff_user)
    # user + customer lookup by email + page + the customers' emails.
    with django_assert_num_queries(4):
        response = client.get(ORDERS, {"page_size": page_size, "customer": "ann@example.com"})
    assert len(response.json()["results"]) == page_size


def test_the_created_order_is_answered_as_a_later_read_shows_it(customer_client):
    """The 201 renders the order as written (not read again): it must equal the stored order."""
    product = ProductFactory(stock=5)
    placed = place(customer_client, (product, 2))
    assert placed.status_code == 201
    assert customer_client.get(f"{ORDERS}{placed.json()['id']}/").json() == placed.json()
    assert placed.json()["created_at"].endswith("000Z")  # milliseconds, as every backend stores them
