"""The shop's hot MongoDB queries, each captured from the real code path, with the index meant to serve it.

Shared by the offline index contract (``test_mongo_indexes.py``) and the ``explain()``
checks on a real server (``test_mongo_explain.py``). Each ``capture`` runs a view or a
service under ``record_commands`` and returns the pipeline (or, for an update, the
criteria) that django-mongodb-backend would send; nothing is written by hand.
"""

from __future__ import annotations

import base64
import contextlib
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from urllib.parse import urlencode

from bson import Decimal128, ObjectId
from rest_framework.test import APIClient, APIRequestFactory, force_authenticate

from accounts import selectors as account_selectors
from accounts import services as account_services
from accounts.models import User
from accounts.sessions import SessionStore
from accounts.tokens import issue_token_pair
from catalog import selectors as catalog_selectors
from catalog import services as catalog_services
from catalog.models import Category
from legacy.selectors import legacy_product_find
from notifications import services as notification_services
from orders import selectors as order_selectors
from orders import services as order_services
from orders.models import Order
from orders.views import OrderViewSet
from shop import errors
from shop.testing.mongo import Answer, first_match, record_commands

USER_ID = ObjectId("65277a812b73bb530ad77307")
ORDER_IDS = (ObjectId("65277a812b73bb530ad77311"), ObjectId("65277a812b73bb530ad77322"))
CURSOR_POSITION = "2026-11-29 14:05:00.123000+00:00"


@dataclass(frozen=True)
class HotQuery:
    """One hot query: where it comes from, the index that must serve it, and how to capture it."""

    path: str
    collection: str
    index: str
    capture: Callable[[], list | dict]
    # Range fields filtered on the rows the index finds, not bounded by it (say why).
    residual: tuple[str, ...] = ()


def _reads(recorder, collection: str) -> list[list]:
    found = [pipeline for name, pipeline in recorder.reads if name == collection]
    assert found, f"no read of {collection}: {recorder.reads}"
    return found


def _customer() -> User:
    return User(pk=USER_ID, email="ann@example.com")


def _staff() -> User:
    return User(pk=ObjectId("65277a812b73bb530ad773ff"), email="staff@example.com", is_staff=True)


def _login(kind: str):
    def capture():
        with record_commands() as recorder, contextlib.suppress(errors.NotAuthenticated):
            account_services.token_obtain(
                email="Ann@Example.com", password="wrong", client_address="10.0.0.1"
            )
        if kind == "user":
            return _reads(recorder, "accounts_user")[-1]
        if kind == "window":
            return _reads(recorder, "accounts_loginfailurecounter")[-1]
        return next(c.args[0] for c in recorder.writes if c.collection == "accounts_loginfailurecounter")

    return capture


def _refresh_jti():
    user = User(pk=USER_ID, email="ann@example.com", token_version=0)
    refresh = issue_token_pair(user)["refresh"]
    document = {
        "_id": USER_ID,
        "email": "ann@example.com",
        "password": "!",
        "is_active": True,
        "token_version": 0,
    }
    with record_commands(
        [Answer("accounts_user", where={"_id": USER_ID}, documents=(document,))]
    ) as recorder:
        account_services.token_refresh(refresh=refresh)
    return _reads(recorder, "accounts_revokedtoken")[-1]


def _session_by_key():
    with record_commands() as recorder:
        SessionStore(session_key="k" * 32).load()
    return _reads(recorder, "accounts_usersession")[-1]


def _sku_check():
    with record_commands() as recorder:
        catalog_services.product_check_unique(sku="EL-1", name="Phone", category_slug="electronics")
    return next(p for p in _reads(recorder, "catalog_product") if "sku" in str(first_match(p)))


def _product_list(params: dict, *, count: bool = False):
    def capture():
        answers = [Answer("catalog_product", where={"is_active": True}, count=50)]
        with record_commands(answers) as recorder:
            assert APIClient().get("/api/v1/products/", params).status_code == 200
        count_pipeline, page_pipeline = _reads(recorder, "catalog_product")
        return count_pipeline if count else page_pipeline

    return capture


def _catalog_version():
    with record_commands() as recorder:
        catalog_selectors.catalog_version()
    return _reads(recorder, "catalog_catalogversion")[-1]


def _cached_page_stock():
    with record_commands() as recorder:
        catalog_selectors.product_stock_rows(primary_keys=[USER_ID, ORDER_IDS[0]])
    return _reads(recorder, "catalog_product")[-1]


def _legacy_product():
    with record_commands() as recorder:
        legacy_product_find(category=Category(slug="electronics", name="Electronics"), name="Phone")
    return _reads(recorder, "catalog_product")[-1]


def _next_order_number():
    with record_commands() as recorder:
        order_services.order_number_next()
    return _reads(recorder, "orders_order")[-1]


def _saved_addresses():
    with record_commands() as recorder:
        list(account_selectors.address_list(user=_customer()))
    return _reads(recorder, "accounts_address")[-1]


def _saved_address_for_order():
    with record_commands() as recorder, contextlib.suppress(errors.InvalidInput):
        order_services.shipping_address_resolve(
            customer=_customer(), shipping_address=None, shipping_address_id="65277a812b73bb530ad77401"
        )
    return _reads(recorder, "accounts_address")[-1]


def _cursor(position: str) -> str:
    return base64.b64encode(urlencode({"p": position}).encode("ascii")).decode("ascii")


def _order_list(user_factory: Callable[[], User], params: dict):
    def capture():
        request = APIRequestFactory().get("/api/v1/orders/", params)
        force_authenticate(request, user=user_factory())
        with record_commands() as recorder:
            assert OrderViewSet.as_view({"get": "list"})(request).status_code == 200
        return _reads(recorder, "orders_order")[-1]

    return capture


def _order_detail():
    with record_commands() as recorder, contextlib.suppress(errors.NotFound):
        order_selectors.order_get(user=_customer(), order_id=str(ORDER_IDS[0]))
    return _reads(recorder, "orders_order")[-1]


def _page_details(collection: str):
    def capture():
        with record_commands() as recorder:
            order_selectors.order_details_attach(orders=[Order(pk=pk) for pk in ORDER_IDS])
        return _reads(recorder, collection)[-1]

    return capture


def _idempotency_claim():
    now = datetime.now(UTC).replace(tzinfo=None)
    product = {
        "_id": ORDER_IDS[0],
        "sku": "S",
        "name": "P",
        "category_id": "c",
        "price": Decimal128("1.00"),
        "stock": 5,
        "is_active": True,
        "description": "",
        "created_at": now,
        "updated_at": now,
    }
    with record_commands(
        [Answer("catalog_product", where={"is_active": True}, documents=(product,))]
    ) as recorder:
        order_services.order_create(
            customer=_customer(), items=[{"product": str(ORDER_IDS[0]), "quantity": 1}], idempotency_key="k"
        )
    return _reads(recorder, "orders_idempotencyrecord")[-1]


def _open_orders_of_deleted_account():
    with record_commands() as recorder:
        order_services.orders_close_for_deleted_customer(customer=_customer())
    return _reads(recorder, "orders_order")[-1]


def _outbox(kind: str):
    def capture():
        with record_commands() as recorder:
            if kind == "due":
                notification_services.outbox_deliver(now=datetime(2026, 12, 2, 12, 0, tzinfo=UTC))
            else:
                notification_services.outbox_backlog()
        reads = _reads(recorder, "notifications_outboxemail")
        return reads[0] if kind in ("due", "backlog") else reads[1]

    return capture


# ?in_stock= filters the rows the index finds: stock changes with every order, so keeping
# it in the four list indexes would cost every reservation four more index updates.
IN_STOCK = ("stock",)

# Each query of the product list and the index that must serve its page, on MongoDB
# (here) and on SQLite (``test_sqlite_engine.py``).
PRODUCT_LIST_INDEXES: list[tuple[dict, str]] = [
    ({}, "catalog_product_active_name"),
    ({"ordering": "-name"}, "catalog_product_active_name"),
    ({"ordering": "price"}, "catalog_product_active_price"),
    ({"ordering": "-price"}, "catalog_product_active_price"),
    ({"in_stock": "true", "ordering": "price"}, "catalog_product_active_price"),
    ({"category": "electronics"}, "catalog_product_category_name"),
    ({"category": "electronics", "ordering": "-name"}, "catalog_product_category_name"),
    ({"category": "electronics", "ordering": "price"}, "catalog_product_category_price"),
    ({"category": "electronics", "ordering": "-price"}, "catalog_product_category_price"),
    ({"category": "electronics", "in_stock": "true", "search": "pho"}, "catalog_product_category_name"),
    ({"search": "pho"}, "catalog_product_active_name"),
    ({"page": "2", "page_size": "5"}, "catalog_product_active_name"),
]

HOT_QUERIES: list[HotQuery] = [
    HotQuery("login: user by email", "accounts_user", "accounts_user_email_lookup", _login("user")),
    HotQuery(
        "login: failures in the window",
        "accounts_loginfailurecounter",
        "accounts_login_failure_lookup",
        _login("window"),
    ),
    HotQuery(
        "login: bump of the current bucket",
        "accounts_loginfailurecounter",
        "accounts_login_failure_lookup",
        _login("bump"),
    ),
    HotQuery("refresh: revoked jti", "accounts_revokedtoken", "accounts_revoked_jti_lookup", _refresh_jti),
    HotQuery("session by key", "accounts_usersession", "accounts_session_key_lookup", _session_by_key),
    HotQuery("product by SKU", "catalog_product", "catalog_product_sku_lookup", _sku_check),
    *[
        HotQuery(f"products {params}", "catalog_product", index, _product_list(params), residual=IN_STOCK)
        for params, index in PRODUCT_LIST_INDEXES
    ],
    HotQuery(
        "products: the count of a category",
        "catalog_product",
        "catalog_product_category_name",
        _product_list({"category": "electronics"}, count=True),
    ),
    HotQuery(
        "products: the catalog version (every public list request)",
        "catalog_catalogversion",
        "catalog_version_name_lookup",
        _catalog_version,
    ),
    HotQuery("products: current stock of a cached page", "catalog_product", "_id_", _cached_page_stock),
    HotQuery(
        "legacy: product by category and name",
        "catalog_product",
        "catalog_product_category_name",
        _legacy_product,
    ),
    HotQuery(
        "orders: a customer's, newest first",
        "orders_order",
        "orders_customer_newest",
        _order_list(_customer, {}),
    ),
    HotQuery(
        "orders: a customer's after a cursor",
        "orders_order",
        "orders_customer_newest",
        _order_list(_customer, {"cursor": _cursor(CURSOR_POSITION)}),
    ),
    HotQuery(
        "orders: a customer's of one status",
        "orders_order",
        "orders_customer_status_newest",
        _order_list(_customer, {"status": "SHIPPED"}),
    ),
    HotQuery("orders: staff, all, newest first", "orders_order", "orders_newest", _order_list(_staff, {})),
    HotQuery(
        "orders: staff, one status, newest first",
        "orders_order",
        "orders_status_newest",
        _order_list(_staff, {"status": "IN_PROGRESS", "cursor": _cursor(CURSOR_POSITION)}),
    ),
    HotQuery("orders: one by id for its customer", "orders_order", "_id_", _order_detail),
    HotQuery(
        "orders: lines of a page",
        "orders_orderline",
        "orders_line_order_position",
        _page_details("orders_orderline"),
    ),
    HotQuery(
        "orders: history of a page",
        "orders_orderstatuschange",
        "orders_history_order_time",
        _page_details("orders_orderstatuschange"),
    ),
    HotQuery(
        "orders: idempotency record by (user, key)",
        "orders_idempotencyrecord",
        "orders_idempotency_lookup",
        _idempotency_claim,
    ),
    HotQuery(
        "account deletion: the open orders",
        "orders_order",
        "orders_customer_status_newest",
        _open_orders_of_deleted_account,
    ),
    HotQuery(
        "orders: the next order number (the highest so far)",
        "orders_order",
        "orders_number_desc",
        _next_order_number,
    ),
    HotQuery(
        "addresses: a customer's saved addresses",
        "accounts_address",
        "accounts_address_customer",
        _saved_addresses,
    ),
    HotQuery(
        "orders: the saved address an order ships to",
        "accounts_address",
        "_id_",
        _saved_address_for_order,
    ),
    # The worker's claim: pending and due, or sending with an ended lease, oldest due first.
    HotQuery(
        "outbox: the due emails", "notifications_outboxemail", "notifications_outbox_due", _outbox("due")
    ),
    HotQuery(
        "outbox: the backlog by status",
        "notifications_outboxemail",
        "notifications_outbox_due",
        _outbox("backlog"),
    ),
    HotQuery(
        "outbox: the oldest pending email",
        "notifications_outboxemail",
        "notifications_outbox_due",
        _outbox("oldest"),
    ),
]
