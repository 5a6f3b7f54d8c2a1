"""The orders admin and the idempotency replays, run whole under the recorder.

Runs in ``make test``'s MongoDB pass: a logged-in superuser (``session_answers``)
opens the order list with its filters and search, the change form with its
read-only inlines, saves a status move and runs every action; repeats of an order
request replay or refuse. Every query is
compiled by django-mongodb-backend as it would be sent, and the documents the code
reads are answered only for the lookups that ask for them.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from bson import Decimal128, ObjectId
from django.test import Client
from django.urls import reverse

from accounts.models import User
from orders import services
from orders.errors import IdempotencyKeyReused
from shop.errors import InvalidInput
from shop.testing.mongo import Answer, first_match, record_commands, session_answers, user_document

pytestmark = pytest.mark.mongo

STAFF = user_document(ObjectId("65277a812b73bb530ad773ff"))
CUSTOMER_ID = ObjectId("65277a812b73bb530ad77307")
SESSION_KEY = "o" * 32
ORDER_ID = ObjectId("65277a812b73bb530ad77399")
PRODUCT_ID = ObjectId("65277a812b73bb530ad77311")
CHANGELIST = reverse("admin:orders_order_changelist")
NOW = datetime.now(UTC).replace(tzinfo=None)


def order_document(status: str = "IN_PROGRESS") -> dict:
    return {
        "_id": ORDER_ID,
        "customer_id": CUSTOMER_ID,
        "number": 1042,
        "status": status,
        "total": Decimal128("20.00"),
        "currency": "USD",
        "shipping_address": {"full_name": "Ann Lee", "line1": "1 Market St", "city": "SF", "country": "US"},
        "note": "Ring twice",
        "created_at": NOW,
        "updated_at": NOW,
    }


LINE = {
    "_id": ObjectId(),
    "order_id": ORDER_ID,
    "product_id": PRODUCT_ID,
    "position": 1,
    "sku": "EL-1",
    "name": "Phone",
    "category_slug": "electronics",
    "unit_price": Decimal128("10.00"),
    "quantity": 2,
    "line_total": Decimal128("20.00"),
}
HISTORY = {
    "_id": ObjectId(),
    "order_id": ORDER_ID,
    "from_status": None,
    "to_status": "IN_PROGRESS",
    "changed_at": NOW,
    "changed_by": "customer",
    "changed_by_user_id": CUSTOMER_ID,
}
CUSTOMER = user_document(CUSTOMER_ID, email="ann@example.com", is_staff=False, is_superuser=False)
ANSWERS = [
    *session_answers(STAFF, session_key=SESSION_KEY),
    Answer("orders_order", where=None, documents=(order_document(),)),
    Answer("orders_order", where={"_id": ORDER_ID}, documents=(order_document(),)),
    Answer("orders_order", where={"_id": {"$in": (ORDER_ID,)}}, documents=(order_document(),)),
    Answer("orders_orderline", where={"order_id": ORDER_ID}, documents=(LINE,)),
    Answer("orders_orderstatuschange", where={"order_id": ORDER_ID}, documents=(HISTORY,)),
    Answer("accounts_user", where={"_id": {"$in": (CUSTOMER_ID,)}}, documents=(CUSTOMER,)),
]


def admin() -> Client:
    client = Client()
    client.cookies["sessionid"] = SESSION_KEY
    return client


def test_the_order_list_with_filters_and_search_renders():
    client = admin()
    with record_commands(ANSWERS):
        assert client.get(CHANGELIST).status_code == 200
        assert client.get(CHANGELIST, {"status__exact": "SHIPPED"}).status_code == 200
        assert client.get(CHANGELIST, {"created_at__gte": "2026-11-01 00:00:00+00:00"}).status_code == 200
        assert client.get(CHANGELIST, {"q": "ann@"}).status_code == 200
        assert client.get(CHANGELIST, {"q": str(ORDER_ID)}).status_code == 200
        assert client.get(CHANGELIST, {"q": "1042"}).status_code == 200
        assert client.get(CHANGELIST, {"shipping_address": "no"}).status_code == 200
        assert client.get(CHANGELIST, {"shipping_address": "yes"}).status_code == 200


def test_the_change_form_renders_and_moves_the_status_through_the_service():
    url = reverse("admin:orders_order_change", args=[ORDER_ID])
    client = admin()
    with record_commands(ANSWERS) as recorder:
        page = client.get(url)
        assert page.status_code == 200
        data = {}
        for inline in page.context["inline_admin_formsets"]:
            management = inline.formset.management_form
            data |= {management.add_prefix(name): management[name].value() for name in management.fields}
            for form in inline.formset.forms:
                data |= {form.add_prefix(field.name): field.value() or "" for field in form.hidden_fields()}
        response = client.post(url, {**data, "next_status": "SHIPPED"})
    assert response.status_code == 302, response.content
    moved = [command for command in recorder.writes if command.collection == "orders_order"]
    assert moved and all(command.in_transaction for command in moved)


@pytest.mark.parametrize("action", ["mark_shipped", "mark_delivered", "cancel_and_restock"])
def test_every_action_goes_through_the_status_service(action):
    with record_commands(ANSWERS) as recorder:
        response = admin().post(CHANGELIST, {"action": action, "_selected_action": [str(ORDER_ID)]})
    assert response.status_code == 302
    if action != "mark_delivered":  # an IN_PROGRESS order cannot be delivered: refused, nothing sent
        assert ("orders_order", "update_many") in {(c.collection, c.method) for c in recorder.writes}


def test_orders_cannot_be_added_or_deleted_in_the_admin():
    client = admin()
    with record_commands(ANSWERS):
        assert client.get(reverse("admin:orders_order_add")).status_code == 403
        assert client.get(reverse("admin:orders_order_delete", args=[ORDER_ID])).status_code == 403


def record_for(fingerprint: str, *, age: timedelta, order=ORDER_ID) -> Answer:
    document = {
        "_id": ObjectId(),
        "user_id": CUSTOMER_ID,
        "key": "k",
        "request_fingerprint": fingerprint,
        "order_id": order,
        "created_at": datetime.now(UTC).replace(tzinfo=None) - age,
    }
    return Answer("orders_idempotencyrecord", where={"key": "k"}, documents=(document,))


def test_a_repeat_replays_the_first_order_and_another_body_is_refused():
    user = User(pk=CUSTOMER_ID, email="ann@example.com")
    with record_commands([record_for("f" * 64, age=timedelta(minutes=1)), *ANSWERS]) as recorder:
        order = services.order_create(
            customer=user, items=[], idempotency_key="k", request_fingerprint="f" * 64
        )
        with pytest.raises(IdempotencyKeyReused):
            services.order_create(customer=user, items=[], idempotency_key="k", request_fingerprint="e" * 64)
    assert order.pk == ORDER_ID
    assert not recorder.writes


def test_an_expired_record_is_deleted_before_the_key_is_claimed_again():
    user = User(pk=CUSTOMER_ID, email="ann@example.com")
    with (
        record_commands([record_for("f" * 64, age=timedelta(days=2))]) as recorder,
        pytest.raises(InvalidInput),
    ):
        services.order_create(
            customer=user, items=[{"product": str(PRODUCT_ID), "quantity": 1}], idempotency_key="k"
        )
    # The record is gone, then the claim made again; the unknown product fails the order and frees it.
    sent = [(c.collection, c.method) for c in recorder.writes]
    assert sent[:2] == [
        ("orders_idempotencyrecord", "delete_many"),
        ("orders_idempotencyrecord", "insert_many"),
    ]


def test_the_number_search_and_the_address_filter_are_plain_matches():
    client = admin()
    with record_commands(ANSWERS) as recorder:
        client.get(CHANGELIST, {"q": "1042"})
        client.get(CHANGELIST, {"shipping_address": "no"})
    matches = [first_match(pipeline) for name, pipeline in recorder.reads if name == "orders_order"]
    assert any("'number': 1042" in str(match) for match in matches)
    # Orders of the legacy routes: the snapshot is null (or missing, for documents written before it).
    assert {"$or": [{"shipping_address": {"$exists": False}}, {"shipping_address": None}]} in matches
