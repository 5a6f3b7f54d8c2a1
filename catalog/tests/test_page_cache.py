"""Cached pages of the public product list (``catalog.page_cache``): served while nothing
changed, never after a change made by any process, never to staff or as HTML.

A fresh page costs three queries (the catalog version, the COUNT, the page); a cached
one two (the catalog version, the current stock of the page's products), or none when
this process checked the page and nothing was committed since (SQLite, tests with
``transaction=True``: the others run inside a transaction, which has no commit state). Writes in a
test run inside the test's transaction, which never commits, so the version bumps
that run on commit are run by ``django_capture_on_commit_callbacks(execute=True)``,
as a commit would run them.
"""

import sys
import threading

import pytest
from django.db import OperationalError, connection
from django.test import override_settings

from catalog import services
from catalog.models import CatalogVersion, Product
from catalog.selectors import catalog_version
from catalog.tests.factories import CategoryFactory, ProductFactory
from conftest import bearer_client
from orders import services as order_services
from orders.models import Actor
from shop import cache as shop_cache
from shop.cache import CommitStateMemo

pytestmark = pytest.mark.django_db

PRODUCTS = "/api/v1/products/"
FRESH_PAGE_QUERIES = 3  # catalog version + COUNT + page
CACHED_PAGE_QUERIES = 2  # catalog version + the page's current stock


@pytest.fixture
def catalog(db):
    category = CategoryFactory(slug="garden", name="Garden")
    return [ProductFactory(category=category, name=f"Rake {n}", stock=5) for n in range(3)]


def get(client, django_assert_num_queries, queries, **params):
    with django_assert_num_queries(queries):
        response = client.get(PRODUCTS, params)
    assert response.status_code == 200, response.content
    return response


def product_in(response, product) -> dict:
    return next(item for item in response.json()["results"] if item["id"] == str(product.pk))


# --- served from the cache while nothing changed -------------------------------------------


def test_a_repeated_request_is_served_from_the_cache_with_the_same_bytes_and_headers(
    api_client, catalog, django_assert_num_queries
):
    first = get(api_client, django_assert_num_queries, FRESH_PAGE_QUERIES)
    second = get(api_client, django_assert_num_queries, CACHED_PAGE_QUERIES)

    assert second.content == first.content
    assert second.json()["count"] == 3
    for header in ("Content-Type", "Vary", "Allow", "Cache-Control", "X-Frame-Options"):
        assert second.get(header) == first.get(header), header


def test_customers_share_the_anonymous_pages(api_client, catalog, user, django_assert_num_queries):
    anonymous = get(api_client, django_assert_num_queries, FRESH_PAGE_QUERIES)
    # + the user row that authentication loads.
    customer = get(bearer_client(user), django_assert_num_queries, CACHED_PAGE_QUERIES + 1)
    assert customer.content == anonymous.content


def test_each_query_string_is_its_own_page(api_client, catalog, django_assert_num_queries):
    get(api_client, django_assert_num_queries, FRESH_PAGE_QUERIES)
    cheapest = get(api_client, django_assert_num_queries, FRESH_PAGE_QUERIES, ordering="-name", page_size=1)
    assert [item["name"] for item in cheapest.json()["results"]] == ["Rake 2"]
    again = get(api_client, django_assert_num_queries, CACHED_PAGE_QUERIES, ordering="-name", page_size=1)
    assert again.content == cheapest.content


@override_settings(ALLOWED_HOSTS=["testserver", "shop.example.com"])
def test_each_host_is_its_own_page_since_the_links_are_absolute(api_client, catalog):
    plain = api_client.get(PRODUCTS, {"page_size": 1}).json()
    other = api_client.get(PRODUCTS, {"page_size": 1}, HTTP_HOST="shop.example.com").json()
    assert plain["next"].startswith("http://testserver/")
    assert other["next"].startswith("http://shop.example.com/")


def test_an_indented_json_request_is_rendered_from_the_same_cached_page(api_client, catalog):
    compact = api_client.get(PRODUCTS)
    indented = api_client.get(PRODUCTS, HTTP_ACCEPT="application/json; indent=2")
    assert b'\n  "results"' in indented.content
    assert indented.json() == compact.json()


# --- never served after a change, whichever process made it ---------------------------------


def test_the_stock_an_order_takes_and_a_cancellation_returns_shows_on_the_next_request(
    api_client, catalog, user, django_assert_num_queries
):
    rake = catalog[0]
    get(api_client, django_assert_num_queries, FRESH_PAGE_QUERIES)

    order = order_services.order_create(customer=user, items=[{"product": str(rake.pk), "quantity": 2}])
    after_order = get(api_client, django_assert_num_queries, CACHED_PAGE_QUERIES)
    order_services.order_cancel(order=order, by=Actor.CUSTOMER, by_user=user)
    after_cancel = get(api_client, django_assert_num_queries, CACHED_PAGE_QUERIES)

    rake.refresh_from_db()
    assert product_in(after_order, rake)["stock"] == 3
    assert product_in(after_cancel, rake)["stock"] == 5
    assert product_in(after_cancel, rake)["updated_at"] == (
        rake.updated_at.isoformat().replace("+00:00", "Z")
    )


def test_a_page_filtered_by_stock_is_built_afresh_every_time(api_client, catalog, django_assert_num_queries):
    # No catalog version either: the page is not cacheable.
    for _ in range(2):
        get(api_client, django_assert_num_queries, FRESH_PAGE_QUERIES - 1, in_stock="true")


def test_a_staff_change_through_the_api_shows_on_the_next_anonymous_request(
    api_client, staff_client, catalog, django_capture_on_commit_callbacks
):
    rake = catalog[0]
    api_client.get(PRODUCTS)

    with django_capture_on_commit_callbacks(execute=True):
        changed = staff_client.patch(f"{PRODUCTS}{rake.pk}/", {"price": "1.50"}, format="json")

    assert changed.status_code == 200
    assert product_in(api_client.get(PRODUCTS), rake)["price"] == "1.50"


@pytest.mark.parametrize(
    "write",
    [
        pytest.param(
            lambda products: services.product_update(product=products[0], name="Aardvark"), id="update"
        ),
        pytest.param(lambda products: services.product_deactivate(product=products[0]), id="deactivate"),
        pytest.param(lambda products: services.product_delete(product=products[0]), id="delete"),
        pytest.param(
            lambda products: services.product_create(
                sku="GA-NEW", name="Aardvark", category="garden", price="3.00"
            ),
            id="create",
        ),
    ],
)
def test_a_service_call_from_another_process_shows_at_once(
    api_client, catalog, write, django_capture_on_commit_callbacks, django_assert_num_queries
):
    """A command or the admin in another process changes the database only; the version carries it."""
    before = api_client.get(PRODUCTS).json()

    with django_capture_on_commit_callbacks(execute=True):
        write(catalog)
    after = get(api_client, django_assert_num_queries, FRESH_PAGE_QUERIES).json()

    visible = list(Product.objects.filter(is_active=True).order_by("name", "id"))
    assert [item["id"] for item in after["results"]] == [str(product.pk) for product in visible]
    assert after != before


def test_a_page_cached_by_another_worker_is_not_served_after_a_change_there(
    api_client, staff_client, catalog, django_capture_on_commit_callbacks
):
    """Two workers, each with its own memory cache: a change through one is seen through the other."""
    worker_a = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache", "LOCATION": "a"}}
    worker_b = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache", "LOCATION": "b"}}
    rake = catalog[0]
    with override_settings(CACHES=worker_b):
        assert product_in(api_client.get(PRODUCTS), rake)["name"] == "Rake 0"

    with override_settings(CACHES=worker_a), django_capture_on_commit_callbacks(execute=True):
        assert staff_client.patch(f"{PRODUCTS}{rake.pk}/", {"name": "Hoe"}, format="json").status_code == 200

    with override_settings(CACHES=worker_b):
        assert product_in(api_client.get(PRODUCTS), rake)["name"] == "Hoe"


def test_the_admin_s_changes_show_on_the_next_request(
    api_client, admin_client, catalog, django_capture_on_commit_callbacks
):
    rake = catalog[0]
    api_client.get(PRODUCTS)
    form = {
        "sku": rake.sku,
        "name": "Spade",
        "category": "garden",
        "description": "",
        "price": "2.00",
        "stock": rake.stock,
        "is_active": "on",
        "seen_stock": rake.stock,
    }
    with django_capture_on_commit_callbacks(execute=True):
        response = admin_client.post(f"/admin/catalog/product/{rake.pk}/change/", form)
    assert response.status_code == 302, response.content
    assert product_in(api_client.get(PRODUCTS), rake)["name"] == "Spade"


def test_a_racing_delete_of_a_cached_product_builds_the_page_afresh(api_client, catalog):
    api_client.get(PRODUCTS)
    # Deleted without its bump (the bump only runs on commit): the cached page names it.
    Product.objects.filter(pk=catalog[0].pk).delete()
    assert [item["name"] for item in api_client.get(PRODUCTS).json()["results"]] == ["Rake 1", "Rake 2"]


# --- the catalog version -----------------------------------------------------------------------


@pytest.mark.django_db(transaction=True)
def test_the_version_starts_at_zero_and_each_committed_write_adds_one(catalog):
    assert catalog_version() == 0
    services.product_update(product=catalog[0], price="2.00")
    services.product_update(product=catalog[1], price="2.00")
    assert catalog_version() == 2
    assert CatalogVersion.objects.count() == 1


def test_a_write_that_is_rolled_back_bumps_nothing(catalog, django_capture_on_commit_callbacks):
    with (
        django_capture_on_commit_callbacks(execute=True) as callbacks,
        pytest.raises(services.InvalidInput),
    ):
        services.product_create(sku=catalog[0].sku, name="Dup", category="garden", price="1.00")
    assert callbacks == []
    assert catalog_version() == 0


@pytest.mark.django_db(transaction=True)
def test_a_committed_write_bumps_the_version_before_the_service_returns(catalog):
    services.product_update(product=catalog[0], price="2.00")
    assert catalog_version() == 1


def test_two_processes_making_the_first_row_at_once_both_count(catalog):
    services.catalog_version_bump_now()
    CatalogVersion.objects.all().delete()
    services.catalog_version_bump_now()
    services.catalog_version_bump_now()
    assert catalog_version() == 2


# --- never cached ----------------------------------------------------------------------------


def test_staff_see_live_data_built_afresh_every_time(staff_client, catalog, django_assert_num_queries):
    Product.objects.filter(pk=catalog[0].pk).update(is_active=False)
    for _ in range(2):
        # The user row, the COUNT and the page; no catalog version.
        response = get(staff_client, django_assert_num_queries, 3)
        assert response.json()["count"] == 3


def test_the_browsable_api_is_neither_served_from_nor_stored_in_the_cache(
    api_client, catalog, django_assert_num_queries
):
    for _ in range(2):
        response = api_client.get(PRODUCTS, HTTP_ACCEPT="text/html")
        assert response.status_code == 200
        assert b"<html" in response.content
    get(api_client, django_assert_num_queries, FRESH_PAGE_QUERIES)


def test_errors_are_not_cached(api_client, catalog, django_assert_num_queries):
    for _ in range(2):
        with django_assert_num_queries(1):  # the version; the filter refuses before any query
            assert api_client.get(PRODUCTS, {"ordering": "stock"}).status_code == 400


@override_settings(PAGE_CACHE_MAX_ENTRY_BYTES=100)
def test_a_page_larger_than_the_bound_is_not_kept(api_client, catalog, django_assert_num_queries):
    for _ in range(2):
        get(api_client, django_assert_num_queries, FRESH_PAGE_QUERIES)


@override_settings(CATALOG_CACHE_SECONDS=0)
def test_zero_seconds_turns_the_cache_off(api_client, catalog, django_assert_num_queries):
    for _ in range(2):
        get(api_client, django_assert_num_queries, FRESH_PAGE_QUERIES - 1)


def test_writes_in_one_transaction_bump_the_version_once(catalog, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        services.product_update(product=catalog[0], price="2.00")
        services.product_update(product=catalog[1], price="2.00")
    assert len(callbacks) == 1
    assert catalog_version() == 1


@pytest.mark.django_db(transaction=True)
def test_a_bump_that_fails_after_the_commit_is_logged_and_the_write_stands(catalog, caplog):
    def refuse_the_version(execute, sql, params, many, context):
        if "catalog_catalogversion" in sql and sql.lstrip().upper().startswith("UPDATE"):
            raise OperationalError("disk full")
        return execute(sql, params, many, context)

    with connection.execute_wrapper(refuse_the_version):
        product = services.product_update(product=catalog[0], price="2.00")
    assert str(product.price) == "2.00"
    assert catalog_version() == 0
    assert "catalog_version_bump_now" in caplog.text


# --- pages this process checked (SQLite, outside a transaction) ------------------------------
# Tests without ``transaction=True`` run inside a transaction, where there is no commit
# state: every one above goes through the catalog version and the stock read.


@pytest.mark.django_db(transaction=True)
def test_while_nothing_is_committed_a_checked_page_costs_no_query(
    api_client, catalog, django_assert_num_queries
):
    first = get(api_client, django_assert_num_queries, FRESH_PAGE_QUERIES)
    second = get(api_client, django_assert_num_queries, 0)
    third = get(api_client, django_assert_num_queries, FRESH_PAGE_QUERIES, page_size=2)
    fourth = get(api_client, django_assert_num_queries, 0, page_size=2)

    assert second.content == first.content
    assert fourth.content == third.content
    assert len(third.json()["results"]) == 2


@pytest.mark.django_db(transaction=True)
def test_a_stock_change_committed_by_another_worker_shows_on_the_next_request(
    api_client, catalog, other_worker_connection, django_assert_num_queries
):
    rake = catalog[0]
    get(api_client, django_assert_num_queries, FRESH_PAGE_QUERIES)
    get(api_client, django_assert_num_queries, 0)

    # An order placed in another process: the stock moves, the catalog version does not.
    with other_worker_connection.cursor() as cursor:
        cursor.execute("UPDATE catalog_product SET stock = 1 WHERE id = %s", [rake.pk])

    after = get(api_client, django_assert_num_queries, CACHED_PAGE_QUERIES)
    assert product_in(after, rake)["stock"] == 1
    get(api_client, django_assert_num_queries, 0)


@pytest.mark.django_db(transaction=True)
def test_an_order_placed_in_this_process_shows_on_the_next_request(
    api_client, catalog, user, django_assert_num_queries
):
    rake = catalog[0]
    get(api_client, django_assert_num_queries, FRESH_PAGE_QUERIES)

    order_services.order_create(customer=user, items=[{"product": str(rake.pk), "quantity": 2}])

    assert product_in(get(api_client, django_assert_num_queries, CACHED_PAGE_QUERIES), rake)["stock"] == 3


@pytest.mark.django_db(transaction=True)
def test_a_catalog_change_committed_by_another_worker_shows_on_the_next_request(
    api_client, catalog, other_worker_connection
):
    rake = catalog[0]
    services.catalog_version_bump_now()  # the version's row exists from here on
    api_client.get(PRODUCTS)
    api_client.get(PRODUCTS)

    # The admin in another process: the product, then the version's bump.
    with other_worker_connection.cursor() as cursor:
        cursor.execute("UPDATE catalog_product SET name = %s WHERE id = %s", ["Hoe", rake.pk])
        cursor.execute("UPDATE catalog_catalogversion SET version = version + 1")

    assert product_in(api_client.get(PRODUCTS), rake)["name"] == "Hoe"


@pytest.mark.django_db(transaction=True)
def test_staff_and_the_browsable_api_never_get_a_checked_page(
    api_client, staff_client, catalog, django_assert_num_queries
):
    get(api_client, django_assert_num_queries, FRESH_PAGE_QUERIES)
    with django_assert_num_queries(3):  # the staff user, the COUNT, the page: no version, no memo
        staff_page = staff_client.get(PRODUCTS)
    assert staff_page.status_code == 200
    assert "text/html" in api_client.get(PRODUCTS, HTTP_ACCEPT="text/html").headers["Content-Type"]


def test_checked_pages_are_bounded_in_number_and_age(monkeypatch):
    memo = CommitStateMemo("test", max_entries=2)
    now = [1000.0]
    monkeypatch.setattr(shop_cache.time, "monotonic", lambda: now[0])
    state = (1, 7, 0)
    for name in ("a", "b", "c"):
        memo.set(name, state, name.upper(), timeout=60)

    assert len(memo) == 2
    assert memo.get("a", state) is None  # the oldest went first
    assert memo.get("c", state) == "C"
    assert memo.get("c", (1, 8, 0)) is None  # the database moved on
    assert memo.get("c", None) is None  # no commit state: nothing is reused
    now[0] += 60
    assert memo.get("c", state) is None  # expired


def test_nothing_is_kept_without_a_commit_state():
    memo = CommitStateMemo("test", max_entries=2)
    memo.set("a", None, "A", timeout=60)
    memo.set("b", (1, 7, 0), "B", timeout=0)
    assert len(memo) == 0


def test_checked_pages_stay_bounded_when_threads_store_at_once():
    memo = CommitStateMemo("test", max_entries=4)
    errors = []

    def store(thread: int):
        try:
            for number in range(3000):
                memo.set(f"{thread}:{number}", (1, 1, 0), number, timeout=60)
        except Exception as error:  # any error of a thread fails the test below
            errors.append(error)

    threads = [threading.Thread(target=store, args=(thread,)) for thread in range(8)]
    # Switch threads as often as the interpreter can, so that the stores interleave.
    interval = sys.getswitchinterval()
    sys.setswitchinterval(1e-6)
    try:
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
    finally:
        sys.setswitchinterval(interval)

    assert errors == []
    assert len(memo) == 4
