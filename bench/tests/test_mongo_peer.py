"""The textbook peer's order placement, run under the MongoDB recorder (``make test``'s MongoDB pass).

Every query and write of ``bench.peer``'s ``POST /api/v1/orders/`` is compiled by
django-mongodb-backend as it would be sent; its behaviour is tested on SQLite in
``test_peer.py``.
"""

from __future__ import annotations

import pytest
from bson import ObjectId
from rest_framework.test import APIRequestFactory, force_authenticate

from accounts.models import User
from bench.peer.views import OrderList
from orders.tests.factories import SHIPPING_ADDRESS
from orders.tests.test_mongo_transactions import product_document
from shop.testing.mongo import Answer, record_commands

pytestmark = pytest.mark.mongo

PRODUCT = ObjectId("65277a812b73bb530ad77311")
NEW_ORDER = ObjectId("65277a812b73bb530ad773aa")


def test_the_peer_places_an_order_with_a_conditional_stock_update_and_three_inserts(settings):
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    product = product_document(PRODUCT, 1)  # 10.00, 100 in stock
    request = APIRequestFactory().post(
        "/api/v1/orders/",
        {"items": [{"product": str(PRODUCT), "quantity": 2}], "shipping_address": SHIPPING_ADDRESS},
        format="json",
    )
    force_authenticate(request, user=User(pk=ObjectId(), email="ann@example.com"))
    answers = [Answer("catalog_product", where={"is_active": True}, documents=(product,))]
    with record_commands(answers, ids={"orders_order": NEW_ORDER}) as recorder:
        response = OrderList.as_view()(request)

    assert response.status_code == 201, response.data
    assert (response.data["id"], response.data["number"], response.data["total"]) == (
        str(NEW_ORDER),
        "1001",
        "20.00",
    )
    assert [(command.collection, command.method) for command in recorder.writes] == [
        ("catalog_product", "update_many"),
        ("orders_order", "insert_many"),
        ("orders_orderline", "insert_many"),
        ("orders_orderstatuschange", "insert_many"),
    ]
    reserve = recorder.writes[0]
    assert reserve.args[0] == {"$and": [{"_id": PRODUCT}, {"stock": {"$gte": 2}}]}
