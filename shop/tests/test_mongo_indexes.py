"""Every hot lookup is served by an index the MongoDB migrations create, offline.

Runs in ``make test``'s MongoDB pass. Each test runs the real code path (a view, a
service) under ``record_commands``, takes the pipeline or update criteria the
backend would send, and asks ``shop.testing.mongo_indexes`` which index the
migration set provides for it: equality and range fields a prefix of one usable
index, the ``$sort`` served by the same index, partial indexes only when the query
implies their filter. ``HOT_PATHS`` below pins which index serves which path; the
same paths are checked with ``explain()`` against a real server by
``shop/tests/test_mongo_explain.py`` whenever ``MONGODB_URI`` names one.
"""

from __future__ import annotations

import base64
from datetime import UTC, datetime
from urllib.parse import urlencode

import pytest
from bson import Decimal128, ObjectId
from django.utils import timezone
from rest_framework.test import APIClient, APIRequestFactory, force_authenticate

from accounts import services as account_services
from accounts.models import User
from accounts.sessions import SessionStore
from accounts.tokens import issue_token_pair
from catalog import services as catalog_services
from catalog.models import Category
from legacy.selectors import legacy_product_find
from orders import selectors as order_selectors
from orders import services as order_services
from orders.models import Order
from orders.views import OrderListCreateView
from shop import errors
from shop.testing.mongo import Answer, first_match, record_commands
from shop.testing.mongo_indexes import assert_served_by_index, migration_indexes, serving_index

pytestmark = pytest.mark.mongo

USER_ID = ObjectId("65277a812b73bb530ad77307")
ORDER_IDS = [ObjectId("65277a812b73bb530ad77311"), ObjectId("65277a812b73bb530ad77322")]

# Hot path -> the index that serves it (collection.index). A change of plan shows here.
HOT_PATHS = {
    "user by email (login, registration)": "accounts_user.accounts_user_email_lookup",
    "revoked refresh token by jti": "accounts_revokedtoken.accounts_revoked_jti_lookup",
    "login-failure bump of the current bucket": "accounts_loginfailurecounter.accounts_login_failure_lookup",
    "login-failure read of the window": "accounts_loginfailurecounter.accounts_login_failure_lookup",
    "session by key": "accounts_usersession.accounts_session_key_lookup",
    "product by SKU": "catalog_product.catalog_product_sku_lookup",
    "idempotency record by (user, key)": "orders_idempotencyrecord.orders_idempotency_lookup",
    "a customer's orders, newest first": "orders_order.orders_customer_newest",
    "a customer's orders after a cursor": "orders_order.orders_customer_newest",
    "a customer's orders of one status": "orders_order.orders_customer_status_newest",
    "a customer's open orders (account deletion)": "orders_order.orders_customer_status_newest",
    "staff: all orders, newest first": "orders_order.orders_newest",
    "staff: orders of one status, newest first": "orders_order.orders_status_newest",
    "an order by id for its customer": "orders_order._id_",
    "lines of a page of orders": "orders_orderline.orders_line_order_position",
    "history of a page of orders": "orders_orderstatuschange.orders_history_order_time",
    "legacy: product by category and name": "catalog_product.catalog_product_category_name",
}


def index_names(collection: str, pipeline, **options) -> list[str]:
    return [
        f"{index.collection}.{index.name}"
        for index in assert_served_by_index(collection, pipeline, **options)
    ]


def read_of(recorder, collection: str) -> list:
    pipelines = [pipeline for name, pipeline in recorder.reads if name == collection]
    assert pipelines, f"no read of {collection}: {recorder.reads}"
    return pipelines[-1]


def write_criteria(recorder, collection: str) -> list[dict]:
    return [command.args[0] for command in recorder.writes if command.collection == collection]


# --- the rules themselves -------------------------------------------------------------------------


def test_the_migrations_create_partial_unique_indexes_that_no_equality_match_uses():
    user_indexes = {index.name: index for index in migration_indexes()["accounts_user"]}
    unique = next(index for index in user_indexes.values() if index.unique and index.name != "_id_")
    assert unique.partial == {"email": {"$type": "string"}}
    # Without the plain lookup index the email equality would have no usable index.
    only_unique = [{"$match": {"email": "ann@example.com"}}]
    assert serving_index("catalog_category", [{"$match": {"slug": "books"}}]) is None  # only a partial one
    assert serving_index("accounts_user", only_unique)[0].name == "accounts_user_email_lookup"


def test_a_sort_after_a_projection_is_never_served_by_an_index():
    match = {"$match": {"customer_id": USER_ID}}
    sort = {"$sort": {"created_at": -1, "_id": -1}}
    project = {"$addFields": {"created_at": "$created_at", "_id": "$_id"}}
    assert serving_index("orders_order", [match, sort, project]) is not None
    assert serving_index("orders_order", [match, project, sort]) is None


def test_a_sort_against_the_index_direction_mix_is_not_served():
    pipeline = [{"$match": {"customer_id": USER_ID}}, {"$sort": {"created_at": -1, "_id": 1}}]
    assert serving_index("orders_order", pipeline) is None


# --- accounts ---------------------------------------------------------------------------------------


def test_login_reads_the_user_by_email_and_the_failure_window_and_bumps_buckets_by_index():
    with record_commands() as recorder, pytest.raises(errors.NotAuthenticated):
        account_services.token_obtain(email="Ann@Example.com", password="wrong", client_address="10.0.0.1")
    assert index_names("accounts_user", read_of(recorder, "accounts_user")) == [
        HOT_PATHS["user by email (login, registration)"]
    ]
    assert set(
        index_names("accounts_loginfailurecounter", read_of(recorder, "accounts_loginfailurecounter"))
    ) == {HOT_PATHS["login-failure read of the window"]}
    bumps = write_criteria(recorder, "accounts_loginfailurecounter")
    assert len(bumps) == 2
    for criteria in bumps:
        assert index_names("accounts_loginfailurecounter", criteria) == [
            HOT_PATHS["login-failure bump of the current bucket"]
        ]


def test_registration_checks_the_email_by_index():
    with record_commands() as recorder:
        account_services.user_register(email="new@example.com", password="a-Long-passphrase-2026")
    assert index_names("accounts_user", read_of(recorder, "accounts_user")) == [
        HOT_PATHS["user by email (login, registration)"]
    ]


def test_refresh_checks_the_revoked_jti_by_index():
    user = User(pk=USER_ID, email="ann@example.com", token_version=0)
    refresh = issue_token_pair(user)["refresh"]
    user_document = {
        "_id": USER_ID,
        "email": "ann@example.com",
        "password": "!",
        "is_active": True,
        "token_version": 0,
    }
    with record_commands(
        [Answer("accounts_user", where={"_id": USER_ID}, documents=(user_document,))]
    ) as recorder:
        account_services.token_refresh(refresh=refresh)
    assert index_names("accounts_revokedtoken", read_of(recorder, "accounts_revokedtoken")) == [
        HOT_PATHS["revoked refresh token by jti"]
    ]


def test_a_session_is_read_and_saved_by_its_key_by_index():
    store = SessionStore(session_key="k" * 32)
    with record_commands() as recorder:
        store.load()
    assert index_names("accounts_usersession", read_of(recorder, "accounts_usersession")) == [
        HOT_PATHS["session by key"]
    ]


# --- catalog ----------------------------------------------------------------------------------------


def test_the_sku_check_is_served_by_index():
    with record_commands() as recorder:
        catalog_services.product_check_unique(sku="EL-1", name="Phone", category_slug="electronics")
    sku_read = next(
        pipeline
        for name, pipeline in recorder.reads
        if name == "catalog_product" and "sku" in str(first_match(pipeline))
    )
    assert index_names("catalog_product", sku_read) == [HOT_PATHS["product by SKU"]]


PRODUCT_LISTS = [
    ({}, "catalog_product_active_name"),
    ({"ordering": "name"}, "catalog_product_active_name"),
    ({"ordering": "-name"}, "catalog_product_active_name"),
    ({"ordering": "price"}, "catalog_product_active_price"),
    ({"ordering": "-price"}, "catalog_product_active_price"),
    ({"category": "electronics"}, "catalog_product_category_name"),
    ({"category": "electronics", "ordering": "-name"}, "catalog_product_category_name"),
    ({"category": "electronics", "ordering": "price"}, "catalog_product_category_price"),
    ({"category": "electronics", "ordering": "-price"}, "catalog_product_category_price"),
    ({"category": "electronics", "in_stock": "true", "search": "pho"}, "catalog_product_category_name"),
    ({"page": "2", "page_size": "5"}, "catalog_product_active_name"),
]


@pytest.mark.parametrize(("params", "index"), PRODUCT_LISTS)
def test_every_product_list_a_shopper_can_ask_for_is_served_by_index(params, index):
    count = Answer("catalog_product", where={"is_active": True}, count=50)
    with record_commands([count]) as recorder:
        assert APIClient().get("/api/v1/products/", params).status_code == 200
    count_pipeline, page_pipeline = [
        pipeline for name, pipeline in recorder.reads if name == "catalog_product"
    ]
    # ?in_stock= filters the rows the index finds: stock changes with every order, so
    # keeping it in these four indexes would cost every reservation four index updates.
    residual = ("stock",)
    assert index_names("catalog_product", page_pipeline, residual=residual) == [f"catalog_product.{index}"]
    assert index_names("catalog_product", count_pipeline, residual=residual)  # the count: the same prefix


def test_the_legacy_product_lookup_is_served_by_index():
    with record_commands() as recorder:
        legacy_product_find(category=Category(slug="electronics", name="Electronics"), name="Phone")
    assert index_names("catalog_product", read_of(recorder, "catalog_product")) == [
        HOT_PATHS["legacy: product by category and name"]
    ]


# --- orders ------------------------------------------------------------------------------------------


def list_orders(user, **params):
    request = APIRequestFactory().get("/api/v1/orders/", params)
    force_authenticate(request, user=user)
    with record_commands() as recorder:
        assert OrderListCreateView.as_view()(request).status_code == 200
    return read_of(recorder, "orders_order")


def cursor_for(position: str) -> str:
    return base64.b64encode(urlencode({"p": position}).encode("ascii")).decode("ascii")


CUSTOMER = User(pk=USER_ID, email="ann@example.com")
STAFF = User(pk=ObjectId(), email="staff@example.com", is_staff=True)


@pytest.mark.parametrize(
    ("user", "params", "path"),
    [
        (CUSTOMER, {}, "a customer's orders, newest first"),
        (
            CUSTOMER,
            {"cursor": cursor_for("2026-11-29 14:05:00.123000+00:00")},
            "a customer's orders after a cursor",
        ),
        (CUSTOMER, {"status": "SHIPPED"}, "a customer's orders of one status"),
        (STAFF, {}, "staff: all orders, newest first"),
        (STAFF, {"status": "IN_PROGRESS"}, "staff: orders of one status, newest first"),
        (
            STAFF,
            {"status": "IN_PROGRESS", "cursor": cursor_for("2026-11-29 14:05:00.123000+00:00")},
            "staff: orders of one status, newest first",
        ),
    ],
)
def test_order_lists_are_served_by_index_with_their_sort(user, params, path):
    assert index_names("orders_order", list_orders(user, **params)) == [HOT_PATHS[path]]


def test_an_order_detail_is_served_by_the_id_index():
    with record_commands() as recorder, pytest.raises(errors.NotFound):
        order_selectors.order_get(user=CUSTOMER, order_id=str(ORDER_IDS[0]))
    assert index_names("orders_order", read_of(recorder, "orders_order")) == [
        HOT_PATHS["an order by id for its customer"]
    ]


def test_a_pages_lines_and_history_are_served_by_index():
    with record_commands() as recorder:
        order_selectors.order_details_attach(orders=[Order(pk=pk) for pk in ORDER_IDS])
    assert index_names("orders_orderline", read_of(recorder, "orders_orderline")) == [
        HOT_PATHS["lines of a page of orders"]
    ]
    assert index_names("orders_orderstatuschange", read_of(recorder, "orders_orderstatuschange")) == [
        HOT_PATHS["history of a page of orders"]
    ]


def test_the_idempotency_claim_lookup_is_served_by_index():
    product = {
        "_id": ORDER_IDS[0],
        "sku": "S",
        "name": "P",
        "category_id": "c",
        "price": Decimal128("1.00"),
        "stock": 5,
        "is_active": True,
        "description": "",
        "created_at": datetime.now(UTC).replace(tzinfo=None),
        "updated_at": datetime.now(UTC).replace(tzinfo=None),
    }
    with record_commands(
        [Answer("catalog_product", where={"is_active": True}, documents=(product,))]
    ) as recorder:
        order_services.order_create(
            customer=CUSTOMER, items=[{"product": str(ORDER_IDS[0]), "quantity": 1}], idempotency_key="k"
        )
    assert index_names("orders_idempotencyrecord", read_of(recorder, "orders_idempotencyrecord")) == [
        HOT_PATHS["idempotency record by (user, key)"]
    ]


def test_account_deletion_finds_the_open_orders_by_index():
    with record_commands() as recorder:
        order_services.orders_close_for_deleted_customer(customer=CUSTOMER)
    assert index_names("orders_order", read_of(recorder, "orders_order")) == [
        HOT_PATHS["a customer's open orders (account deletion)"]
    ]
    (detach,) = write_criteria(recorder, "orders_order")
    assert index_names("orders_order", detach)  # {customer_id}: a prefix of the customer indexes


def test_the_hot_path_table_names_indexes_the_migrations_create():
    created = {
        f"{index.collection}.{index.name}" for indexes in migration_indexes().values() for index in indexes
    }
    assert set(HOT_PATHS.values()) <= created
    assert timezone.now()  # the table is the README's, kept here so it cannot drift
