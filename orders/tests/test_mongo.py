"""MongoDB contract of the orders app: every query and conditional update compiles for MongoDB.

Runs in ``make test``'s MongoDB pass (``MONGODB_URI`` points at a host where no
server listens). Two mechanisms, neither of which stands in for a database in a
behaviour test (those run on SQLite, or on a real MongoDB):

* ``captured_reads`` swaps django-mongodb-backend's ``SQLCompiler.execute_sql`` for
  one that builds the aggregation pipeline exactly as the original does
  (``pre_sql_setup()``, ``build_query()``, ``get_pipeline()``) and records it, then
  answers "no rows" instead of sending it. That lets the real endpoint code run
  (view, selector, cursor paginator, details) and shows each pipeline it would send.
* ``shop.testing.mongo.record_commands`` records the insert/update/delete commands the
  backend hands to pymongo, with the session and transaction each carries; its
  ``hello`` answer says a replica set unless a test asks for a standalone server.
"""

from __future__ import annotations

import base64
import json
from datetime import datetime, timedelta
from decimal import Decimal
from urllib.parse import urlencode

import pytest
from bson import Decimal128, ObjectId
from django.utils import timezone
from rest_framework.test import APIRequestFactory, force_authenticate

from accounts.models import User
from catalog.models import Product
from catalog.services import product_stock_release, product_stock_reserve
from orders import selectors, services
from orders.models import Actor, IdempotencyRecord, Order, OrderLine, OrderStatus, OrderStatusChange
from orders.views import OrderViewSet
from shop.errors import NotFound
from shop.testing.mongo import (
    Answer,
    assert_index_friendly,
    captured_reads,
    compile_pipeline,
    describe,
    record_commands,
    record_writes,
    stage,
    stages,
)

pytestmark = pytest.mark.mongo

ORDER_LIST = OrderViewSet.as_view({"get": "list"})
ORDER_DETAIL = OrderViewSet.as_view({"get": "retrieve"})

OID = "65277a812b73bb530ad77307"


def customer() -> User:
    return User(pk=ObjectId(OID), email="ann@example.com", is_staff=False)


def staff() -> User:
    return User(pk=ObjectId(), email="staff@example.com", is_staff=True)


def list_request(user, **params):
    request = APIRequestFactory().get("/api/v1/orders/", params)
    force_authenticate(request, user=user)
    return request


def cursor_for(position: str) -> str:
    """Return a DRF cursor token for the page after ``position`` (as the paginator encodes it)."""
    return base64.b64encode(urlencode({"p": position}).encode("ascii")).decode("ascii")


# --- the list endpoint ------------------------------------------------------------------


def test_customer_order_list_endpoint_is_one_indexed_match_and_sort():
    with captured_reads() as reads:
        response = ORDER_LIST(list_request(customer(), page_size="5"))
    assert response.status_code == 200
    assert [collection for collection, _ in reads] == ["orders_order"]
    pipeline = reads[0][1]
    assert_index_friendly(pipeline)
    # $sort and $limit straight after $match, so an index can deliver the order (shop.mongodb.query).
    assert stages(pipeline)[:3] == ["$match", "$sort", "$limit"]
    assert pipeline[0]["$match"] == {"customer_id": ObjectId(OID)}
    assert stage(pipeline, "$sort") == {"created_at": -1, "_id": -1}
    assert stage(pipeline, "$limit") == 6  # page_size + 1: the paginator's look-ahead


def test_customer_order_list_with_status_and_cursor_stays_index_friendly():
    position = "2026-11-29 14:05:00.123000+00:00"
    with captured_reads() as reads:
        response = ORDER_LIST(list_request(customer(), status="SHIPPED", cursor=cursor_for(position)))
    assert response.status_code == 200
    pipeline = reads[0][1]
    assert_index_friendly(pipeline)
    match = describe(pipeline[0]["$match"])
    assert "customer_id" in match
    assert '"status": "SHIPPED"' in match
    assert "$lt" in match  # the cursor: older than the last one seen, no skip over earlier pages
    assert "$skip" not in stages(pipeline)


def test_customer_parameter_is_ignored_for_customers_on_mongodb_too():
    with captured_reads() as reads:
        ORDER_LIST(list_request(customer(), customer="other@example.com"))
    assert [collection for collection, _ in reads] == ["orders_order"]
    assert reads[0][1][0]["$match"] == {"customer_id": ObjectId(OID)}


def test_staff_list_filtered_by_customer_resolves_the_email_first_without_a_join():
    with captured_reads() as reads:
        response = ORDER_LIST(list_request(staff(), customer="Ann@Example.com"))
    assert response.status_code == 200
    # The email lookup answered "no such user", so no order query was needed at all.
    assert [collection for collection, _ in reads] == ["accounts_user"]
    assert reads[0][1][0] == {"$match": {"email": "ann@example.com"}}
    assert_index_friendly(reads[0][1])


def test_staff_list_of_one_customer_compiles_to_a_match_on_customer_id():
    pipeline = compile_pipeline(
        selectors.order_list(user=staff(), status=None).filter(customer_id=ObjectId(OID))
    )
    assert_index_friendly(pipeline)
    assert "customer_id" in describe(pipeline[0])


def test_staff_list_of_all_orders_is_a_plain_sort():
    with captured_reads() as reads:
        ORDER_LIST(list_request(staff(), status="IN_PROGRESS"))
    pipeline = reads[0][1]
    assert_index_friendly(pipeline)
    assert pipeline[0] == {"$match": {"status": "IN_PROGRESS"}}


def test_unknown_status_is_refused_before_any_query():
    with captured_reads() as reads:
        response = ORDER_LIST(list_request(customer(), status="LOST"))
    assert response.status_code == 400
    assert reads == []


# --- detail and page details -------------------------------------------------------------------


def test_detail_is_one_indexed_match_on_id_and_customer():
    request = APIRequestFactory().get(f"/api/v1/orders/{OID}/")
    force_authenticate(request, user=customer())
    with captured_reads() as reads:
        response = ORDER_DETAIL(request, order_id="6527aaaa2b73bb530ad77307")
    assert response.status_code == 404
    pipeline = reads[0][1]
    assert_index_friendly(pipeline)
    assert describe(pipeline[0]) == describe(
        {"$match": {"$and": [{"_id": ObjectId("6527aaaa2b73bb530ad77307")}, {"customer_id": ObjectId(OID)}]}}
    )
    assert stage(pipeline, "$limit") == 1


@pytest.mark.parametrize("order_id", ["17", "abc", "6527aaaa2b73bb530ad7730", "x" * 24])
def test_malformed_order_ids_are_not_found_without_a_query(order_id):
    with captured_reads() as reads, pytest.raises(NotFound):
        selectors.order_get(user=customer(), order_id=order_id)
    assert reads == []


@pytest.mark.parametrize("product_id", ["17", 17, "abc", "6527aaaa2b73bb530ad7730", ""])
def test_malformed_product_ids_never_reach_a_query(product_id):
    assert services.product_id_parse(product_id) is None


def test_product_ids_parse_to_objectids():
    assert services.product_id_parse(OID) == ObjectId(OID)


def test_lines_and_history_of_a_page_are_plain_in_queries_without_joins():
    orders = [Order(pk=ObjectId()), Order(pk=ObjectId())]
    with captured_reads() as reads:
        selectors.order_details_attach(orders=orders)
    assert [collection for collection, _ in reads] == ["orders_orderline", "orders_orderstatuschange"]
    for _collection, pipeline in reads:
        assert_index_friendly(pipeline)
        assert stages(pipeline)[0] == "$match"
        assert list(pipeline[0]["$match"]) == ["order_id"]
        assert list(pipeline[0]["$match"]["order_id"]["$in"]) == [order.pk for order in orders]
    assert stage(reads[0][1], "$sort") == {"order_id": 1, "position": 1}
    assert stage(reads[1][1], "$sort") == {"order_id": 1, "changed_at": 1, "_id": 1}


# --- conditional updates and writes ----------------------------------------------------------


def assert_one_committed_transaction(recorder) -> None:
    """Every write went out on one session, inside its transaction, and that transaction committed."""
    assert recorder.writes
    assert {id(command.session) for command in recorder.writes} == {id(recorder.sessions[0])}
    assert all(command.in_transaction for command in recorder.writes)
    assert recorder.events() == ["start_transaction", "commit_transaction", "end_session"]


def test_status_move_is_one_conditional_update_plus_a_history_insert_then_the_version_bump():
    customer_id = ObjectId()
    order = Order(pk=ObjectId(OID), customer_id=customer_id, status=OrderStatus.IN_PROGRESS)
    with record_commands() as recorder:
        services.order_set_status(order=order, to_status=OrderStatus.SHIPPED, by=Actor.STAFF)
    writes = recorder.writes
    # The only read: the customer, to address the "shipped" email (here no document: no email).
    assert recorder.reads == [("accounts_user", [{"$match": {"_id": customer_id}}, {"$limit": 1}])]
    assert [(w.collection, w.method) for w in writes] == [
        ("orders_order", "update_many"),
        ("orders_orderstatuschange", "insert_many"),
        ("accounts_user", "update_many"),
    ]
    assert_one_committed_transaction(recorder)
    bump_criteria, bump_update = writes[2].args
    assert bump_criteria == {"_id": customer_id}
    assert "$add" in describe(bump_update) and "orders_version" in describe(bump_update)
    criteria, update = writes[0].args
    assert criteria == {"$and": [{"_id": ObjectId(OID)}, {"status": "IN_PROGRESS"}]}
    assert update[0]["$set"]["status"] == {"$literal": "SHIPPED"}
    assert "updated_at" in update[0]["$set"]
    history = writes[1].args[0][0]
    assert (history["from_status"], history["to_status"], history["changed_by"]) == (
        "IN_PROGRESS",
        "SHIPPED",
        "staff",
    )


def test_on_a_standalone_server_the_same_writes_go_out_without_a_session(settings):
    settings.MONGODB_ALLOW_STANDALONE = True
    order = Order(pk=ObjectId(OID), customer_id=ObjectId(), status=OrderStatus.IN_PROGRESS)
    with record_commands(topology="standalone") as recorder:
        services.order_set_status(order=order, to_status=OrderStatus.SHIPPED, by=Actor.STAFF)
    assert [(w.collection, w.method) for w in recorder.writes] == [
        ("orders_order", "update_many"),
        ("orders_orderstatuschange", "insert_many"),
        ("accounts_user", "update_many"),
    ]
    assert recorder.sessions == []
    assert all(command.session is None for command in recorder.writes)


def test_cancel_reads_the_lines_with_a_plain_match_and_updates_conditionally():
    order = Order(pk=ObjectId(OID), status=OrderStatus.IN_PROGRESS)
    product_id = ObjectId()
    line = {"product_id": product_id, "quantity": 2, "stock_reserved": True}
    with record_commands(
        [Answer("orders_orderline", where={"order_id": ObjectId(OID)}, documents=(line,))]
    ) as recorder:
        services.order_cancel(order=order, by=Actor.CUSTOMER)
    reads = recorder.reads
    assert [collection for collection, _ in reads] == ["orders_orderline"]
    assert reads[0][1][0] == {"$match": {"order_id": ObjectId(OID)}}
    assert_index_friendly(reads[0][1])
    # The read of the lines is inside the transaction too, on the same session.
    (read,) = [command for command in recorder.log if command.method == "aggregate"]
    assert read.in_transaction and read.session is recorder.sessions[0]
    writes = recorder.writes
    assert writes[0].args[1][0]["$set"]["status"] == {"$literal": "CANCELLED"}
    restock = writes[2]
    assert restock.collection == "catalog_product"
    assert str(product_id) in describe(restock.args[0]) and "$add" in describe(restock.args[1])
    assert_one_committed_transaction(recorder)


def test_stock_reservation_is_a_conditional_decrement_and_release_an_increment():
    product_id = ObjectId()
    with record_writes() as writes:
        product_stock_reserve(product_id=product_id, quantity=3)
        product_stock_release(product_id=product_id, quantity=3)
    assert [(w.collection, w.method) for w in writes] == [
        ("catalog_product", "update_many"),
        ("catalog_product", "update_many"),
    ]
    reserve_criteria, reserve_update = writes[0].args
    text = describe(reserve_criteria)
    assert str(product_id) in text
    assert '"$gte": 3' in text
    assert '"is_active": true' in text
    assert "$expr" not in text
    assert "$subtract" in describe(reserve_update) or "-3" in describe(reserve_update)
    release_criteria, release_update = writes[1].args
    assert "$gte" not in describe(release_criteria)
    assert "$add" in describe(release_update)


def test_order_lines_and_first_history_entry_are_plain_inserts():
    now = timezone.now()
    product = Product(pk=ObjectId(), sku="S1", name="Phone", category_id="electronics", price=Decimal("9.99"))
    with record_writes() as writes:
        order = Order.objects.create(
            customer_id=ObjectId(OID),
            number=1001,
            total=Decimal("19.98"),
            currency="USD",
            created_at=now,
            updated_at=now,
        )
        OrderLine.objects.bulk_create(
            [
                OrderLine(
                    order=order,
                    product=product,
                    position=1,
                    sku="S1",
                    name="Phone",
                    category_slug="electronics",
                    unit_price=Decimal("9.99"),
                    quantity=2,
                    line_total=Decimal("19.98"),
                )
            ]
        )
        OrderStatusChange.objects.create(order=order, to_status="IN_PROGRESS", changed_by="customer")
    assert [(w.collection, w.method) for w in writes] == [
        ("orders_order", "insert_many"),
        ("orders_orderline", "insert_many"),
        ("orders_orderstatuschange", "insert_many"),
    ]
    line = writes[1].args[0][0]
    assert line["order_id"] == order.pk
    assert line["product_id"] == product.pk


def test_idempotency_claim_lookup_insert_update_and_release():
    user = customer()
    with captured_reads() as reads:
        IdempotencyRecord.objects.filter(user=user, key="k").first()
    assert_index_friendly(reads[0][1])
    assert reads[0][1][0] == {"$match": {"$and": [{"key": "k"}, {"user_id": ObjectId(OID)}]}}

    record_id = ObjectId()
    with record_writes() as writes:
        IdempotencyRecord.objects.create(user=user, key="k", request_fingerprint="f" * 64)
        IdempotencyRecord.objects.filter(pk=record_id).update(order=ObjectId())
        IdempotencyRecord.objects.filter(pk=record_id, order__isnull=True).delete()
    assert [(w.collection, w.method) for w in writes] == [
        ("orders_idempotencyrecord", "insert_many"),
        ("orders_idempotencyrecord", "update_many"),
        ("orders_idempotencyrecord", "delete_many"),
    ]
    delete_criteria = describe(writes[2].args[0])
    assert str(record_id) in delete_criteria
    assert "order_id" in delete_criteria


def test_closing_a_deleted_customers_orders_detaches_with_one_update():
    user = customer()
    with record_commands() as recorder:
        services.orders_close_for_deleted_customer(customer=user)
    reads, writes = recorder.reads, recorder.writes
    # The open orders are found with an indexed match (none here), then one update detaches all.
    assert reads[0][0] == "orders_order"
    assert_index_friendly(reads[0][1])
    assert "customer_id" in describe(reads[0][1][0])
    assert [(w.collection, w.method) for w in writes] == [
        ("orders_order", "update_many"),
        ("orders_idempotencyrecord", "delete_many"),
    ]
    criteria, update = writes[0].args
    assert criteria == {"customer_id": ObjectId(OID)}
    assert update == [{"$set": {"customer_id": {"$literal": None}}}]


# --- the admin (staff only: joins are allowed here) ---------------------------------------------


def test_admin_changelist_and_search_compile_for_mongodb():
    from django.contrib import admin as django_admin

    model_admin = django_admin.site._registry[Order]
    request = APIRequestFactory().get("/admin/orders/order/")
    request.user = staff()
    base = model_admin.get_queryset(request)
    assert_index_friendly(compile_pipeline(base.order_by("-created_at", "-id")), allow_lookup=True)

    with captured_reads() as reads:
        found, may_have_duplicates = model_admin.get_search_results(request, base, OID)
    assert may_have_duplicates is False
    # The SKU is looked up on the lines with a plain match first.
    assert reads[0][0] == "orders_orderline"
    assert_index_friendly(reads[0][1])
    pipeline = compile_pipeline(found)
    assert str(ObjectId(OID)) in describe(pipeline)  # the id matched as an ObjectId


def test_admin_status_filter_compiles_to_a_plain_match():
    pipeline = compile_pipeline(Order.objects.filter(status="SHIPPED").order_by("-created_at", "-id"))
    assert_index_friendly(pipeline)
    assert pipeline[0] == {"$match": {"status": "SHIPPED"}}


def test_a_status_move_writes_the_appended_details_in_the_same_conditional_update():
    """Status, details and rendering change in one single-document update (atomic without a transaction)."""
    created = {"from_status": None, "to_status": "IN_PROGRESS", "changed_at": "2026-01-01T00:00:00Z"}
    details = {"items": [{"product": OID, "quantity": 1}], "history": [{**created, "changed_by": "customer"}]}
    placed = timezone.now()
    order = Order(
        pk=ObjectId(OID),
        customer_id=None,
        number=1001,
        status=OrderStatus.IN_PROGRESS,
        total=Decimal("5.00"),
        currency="USD",
        created_at=placed,
        updated_at=placed,
        details=details,
    )
    with record_commands() as recorder:
        services.order_set_status(order=order, to_status=OrderStatus.SHIPPED, by=Actor.STAFF)
    criteria, update = recorder.writes[0].args
    assert criteria == {"$and": [{"_id": ObjectId(OID)}, {"status": "IN_PROGRESS"}]}
    written = describe(update[0]["$set"]["details"])
    assert "SHIPPED" in written and "IN_PROGRESS" in written and "staff" in written
    assert json.loads(update[0]["$set"]["rendered"]["$literal"])["history"] == order.details["history"]
    assert order.details["history"][-1]["to_status"] == "SHIPPED"
    # No read of lines or history: the move needs neither.
    assert not [c for c, _ in recorder.reads if c in ("orders_orderline", "orders_orderstatuschange")]


def test_customer_list_embeds_renderings_and_reads_orders_without_one_by_id():
    """The page reads four fields; an order not rendered yet is read in full with a plain $in."""
    rendered_id, unrendered_id = ObjectId(), ObjectId()
    created = datetime(2026, 12, 1, 12, 0)
    rendered = {"_id": rendered_id, "created_at": created, "rendered": '{"number":"1002","status":"SHIPPED"}'}
    unrendered = {
        "_id": unrendered_id,
        "customer_id": ObjectId(OID),
        "number": 1001,
        "status": "IN_PROGRESS",
        "total": Decimal128("5.00"),
        "currency": "USD",
        "shipping_address": None,
        "note": "",
        "created_at": created - timedelta(hours=1),
        "updated_at": created - timedelta(hours=1),
        "details": {"items": [], "history": []},
        "rendered": None,
    }
    page = Answer("orders_order", where={"customer_id": ObjectId(OID)}, documents=(rendered, unrendered))
    in_full = Answer("orders_order", where={"_id": {"$in": (unrendered_id,)}}, documents=(unrendered,))
    with captured_reads([page, in_full]) as reads:
        response = ORDER_LIST(list_request(customer()))
    assert response.status_code == 200
    assert [collection for collection, _ in reads] == ["orders_order", "orders_order"]
    assert set(stage(reads[0][1], "$project")) == {"_id", "created_at", "customer_id", "rendered"}
    assert reads[1][1][0]["$match"] == {"_id": {"$in": (unrendered_id,)}}
    response.render()
    results = json.loads(response.content)["results"]
    assert results[0] == {"id": str(rendered_id), "number": "1002", "status": "SHIPPED"}
    assert (results[1]["id"], results[1]["number"], results[1]["total"]) == (
        str(unrendered_id),
        "1001",
        "5.00",
    )
