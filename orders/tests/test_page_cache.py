"""Cached pages of a customer's order list (``orders.page_cache``): served when nothing
changed, never after a change, never across customers, never for staff or HTML.

A page served from the cache costs one query (the user row, which authentication
loads and which carries ``orders_version``); a page built afresh costs four.
"""

import pytest
from django.test import override_settings

from accounts.models import User
from accounts.tests.factories import UserFactory
from catalog.tests.factories import ProductFactory
from conftest import bearer_client
from orders import services
from orders.errors import InsufficientStock, InvalidTransition
from orders.models import Actor, OrderStatus
from orders.tests.factories import SHIPPING_ADDRESS, OrderFactory

pytestmark = pytest.mark.django_db

ORDERS = "/api/v1/orders/"
FRESH_PAGE_QUERIES = 2  # user + page of orders (with their details)
CACHED_PAGE_QUERIES = 1  # user
STAFF_PAGE_QUERIES = FRESH_PAGE_QUERIES + 1  # + the customers' emails
# + the product the order form's example orders: the demo's Phone (none here), then the first in stock.
BROWSABLE_PAGE_QUERIES = FRESH_PAGE_QUERIES + 2


def orders_version(user) -> int:
    return User.objects.values_list("orders_version", flat=True).get(pk=user.pk)


def list_with_query_count(client, django_assert_num_queries, queries, **params):
    with django_assert_num_queries(queries):
        response = client.get(ORDERS, params)
    assert response.status_code == 200
    return response


@pytest.fixture
def ann(db):
    customer = UserFactory(email="ann@example.com")
    OrderFactory(customer=customer)
    OrderFactory(customer=customer, status=OrderStatus.SHIPPED)
    return customer


# --- served from the cache when nothing changed ---------------------------------------


def test_a_repeated_request_is_served_from_the_cache_with_the_same_answer(ann, django_assert_num_queries):
    client = bearer_client(ann)
    first = list_with_query_count(client, django_assert_num_queries, FRESH_PAGE_QUERIES)
    second = list_with_query_count(client, django_assert_num_queries, CACHED_PAGE_QUERIES)

    assert second.content == first.content
    assert len(second.json()["results"]) == 2
    for header in ("Content-Type", "Vary", "Allow", "X-Frame-Options", "X-Content-Type-Options"):
        assert second.get(header) == first.get(header), header


def test_each_query_string_is_its_own_page(ann, django_assert_num_queries):
    client = bearer_client(ann)
    list_with_query_count(client, django_assert_num_queries, FRESH_PAGE_QUERIES, page_size=1)

    whole = list_with_query_count(client, django_assert_num_queries, FRESH_PAGE_QUERIES)
    shipped = list_with_query_count(client, django_assert_num_queries, FRESH_PAGE_QUERIES, status="SHIPPED")

    assert len(whole.json()["results"]) == 2
    assert [o["status"] for o in shipped.json()["results"]] == ["SHIPPED"]
    first_only = list_with_query_count(client, django_assert_num_queries, CACHED_PAGE_QUERIES, page_size=1)
    assert len(first_only.json()["results"]) == 1


@override_settings(ALLOWED_HOSTS=["testserver", "shop.example.com"])
def test_each_scheme_and_host_is_its_own_page_since_the_links_are_absolute(ann):
    client = bearer_client(ann)
    plain = client.get(ORDERS, {"page_size": 1}).json()

    other_host = client.get(ORDERS, {"page_size": 1}, HTTP_HOST="shop.example.com").json()
    secure = client.get(ORDERS, {"page_size": 1}, secure=True).json()

    assert plain["next"].startswith("http://testserver/api/v1/orders/?cursor=")
    assert other_host["next"].startswith("http://shop.example.com/api/v1/orders/?cursor=")
    assert secure["next"].startswith("https://testserver/api/v1/orders/?cursor=")


def test_an_indented_json_request_does_not_get_the_compact_cached_page(ann):
    client = bearer_client(ann)
    compact = client.get(ORDERS)

    indented = client.get(ORDERS, HTTP_ACCEPT="application/json; indent=2")

    assert b"\n" not in compact.content
    assert b'\n  "results"' in indented.content
    assert indented.json() == compact.json()


# --- never served after a change -------------------------------------------------------


def test_a_new_order_shows_on_the_next_request(ann, django_assert_num_queries):
    client = bearer_client(ann)
    before = client.get(ORDERS).json()["results"]

    body = {
        "shipping_address": SHIPPING_ADDRESS,
        "items": [{"product": str(ProductFactory().pk), "quantity": 1}],
    }
    placed = client.post(ORDERS, body, format="json")
    after = list_with_query_count(client, django_assert_num_queries, FRESH_PAGE_QUERIES).json()["results"]

    assert placed.status_code == 201
    assert [o["id"] for o in after] == [placed.json()["id"]] + [o["id"] for o in before]


def in_progress_order_id(page: dict) -> str:
    return next(o["id"] for o in page["results"] if o["status"] == "IN_PROGRESS")


def order_in(page: dict, order_id: str) -> dict:
    return next(o for o in page["results"] if o["id"] == order_id)


def test_a_cancellation_shows_with_its_history_on_the_next_request(ann):
    client = bearer_client(ann)
    order_id = in_progress_order_id(client.get(ORDERS).json())

    assert client.post(f"{ORDERS}{order_id}/cancel/").status_code == 200
    after = order_in(client.get(ORDERS).json(), order_id)

    assert after["status"] == "CANCELLED"
    assert after["history"][-1]["to_status"] == "CANCELLED"


def test_a_staff_status_move_shows_on_the_customers_next_request(ann, staff_client):
    client = bearer_client(ann)
    order_id = in_progress_order_id(client.get(ORDERS).json())

    moved = staff_client.post(f"{ORDERS}{order_id}/status/", {"status": "SHIPPED"}, format="json")

    assert moved.status_code == 200
    assert order_in(client.get(ORDERS).json(), order_id)["status"] == "SHIPPED"


def test_a_change_made_outside_any_request_shows_too(ann):
    """Another process (the admin, a command) changes the database only; the version carries it."""
    client = bearer_client(ann)
    client.get(ORDERS)

    order = OrderFactory(customer=ann)

    assert client.get(ORDERS).json()["results"][0]["id"] == str(order.pk)


def test_a_refused_move_changes_nothing_and_keeps_the_cached_page(ann, django_assert_num_queries):
    client = bearer_client(ann)
    shipped = client.get(ORDERS, {"status": "SHIPPED"}).json()["results"][0]

    assert client.post(f"{ORDERS}{shipped['id']}/cancel/").status_code == 409
    list_with_query_count(client, django_assert_num_queries, CACHED_PAGE_QUERIES, status="SHIPPED")


# --- never across customers, never for staff or HTML, never past the token checks -------


def test_customers_never_see_each_others_cached_pages(ann):
    bob = UserFactory(email="bob@example.com")
    bobs_order = OrderFactory(customer=bob)
    OrderFactory(customer=bob)
    OrderFactory(customer=bob)
    # The same version, the same query string: only the customer tells the pages apart.
    assert orders_version(ann) == orders_version(bob) == 3
    anns_page = bearer_client(ann).get(ORDERS).json()["results"]

    bobs_page = bearer_client(bob).get(ORDERS).json()["results"]

    assert str(bobs_order.pk) in [o["id"] for o in bobs_page]
    assert not {o["id"] for o in bobs_page} & {o["id"] for o in anns_page}


def test_staff_lists_are_built_afresh_every_time(staff_user, ann, django_assert_num_queries):
    client = bearer_client(staff_user)
    for _ in range(2):
        list_with_query_count(client, django_assert_num_queries, STAFF_PAGE_QUERIES)


def test_the_browsable_api_is_built_afresh_every_time(ann, django_assert_num_queries):
    client = bearer_client(ann)
    for _ in range(2):
        with django_assert_num_queries(BROWSABLE_PAGE_QUERIES):
            response = client.get(ORDERS, HTTP_ACCEPT="text/html")
        assert response["Content-Type"].startswith("text/html")


def test_a_revoked_token_is_refused_although_its_page_is_cached(ann):
    client = bearer_client(ann)
    assert client.get(ORDERS).status_code == 200

    assert client.post("/api/v1/auth/logout-all/").status_code in (200, 204)

    assert client.get(ORDERS).status_code == 401


def test_a_deactivated_customer_is_refused_although_the_page_is_cached(ann):
    client = bearer_client(ann)
    assert client.get(ORDERS).status_code == 200

    User.objects.filter(pk=ann.pk).update(is_active=False)

    assert client.get(ORDERS).status_code == 401


@override_settings(ORDER_LIST_CACHE_SECONDS=0)
def test_zero_seconds_turns_the_cache_off(ann, django_assert_num_queries):
    client = bearer_client(ann)
    for _ in range(2):
        list_with_query_count(client, django_assert_num_queries, FRESH_PAGE_QUERIES)


# --- the version the services keep -------------------------------------------------------


def test_every_change_to_a_customers_orders_bumps_the_version_once():
    customer = UserFactory()
    assert orders_version(customer) == 0

    order = OrderFactory(customer=customer)
    assert orders_version(customer) == 1

    services.order_set_status(order=order, to_status=OrderStatus.SHIPPED, by=Actor.STAFF)
    services.order_set_status(order=order, to_status=OrderStatus.DELIVERED, by=Actor.STAFF)
    assert orders_version(customer) == 3


def test_refused_changes_leave_the_version_alone():
    customer = UserFactory()
    order = OrderFactory(customer=customer, status=OrderStatus.DELIVERED)
    version = orders_version(customer)

    with pytest.raises(InvalidTransition):
        services.order_cancel(order=order, by=Actor.CUSTOMER)
    with pytest.raises(InsufficientStock):
        sold_out = ProductFactory(stock=0)
        services.order_create(customer=customer, items=[{"product": str(sold_out.pk), "quantity": 1}])

    assert orders_version(customer) == version


def test_only_the_orders_customer_is_bumped():
    ann, bob = UserFactory(), UserFactory()
    OrderFactory(customer=ann)

    assert (orders_version(ann), orders_version(bob)) == (1, 0)


@override_settings(PAGE_CACHE_MAX_ENTRY_BYTES=100)
def test_a_page_larger_than_the_bound_is_not_kept(ann, django_assert_num_queries):
    client = bearer_client(ann)
    for _ in range(2):
        list_with_query_count(client, django_assert_num_queries, FRESH_PAGE_QUERIES)
