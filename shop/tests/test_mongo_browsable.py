"""The browsable pages, the served document and the front page, under the MongoDB recorder.

The served OpenAPI document (its examples name a product the shop sells), the
browsable API's order list (its form's example order), product list (the filter
form's category choice) and product page, staff's order list and detail (each
order's customer email), the API root, the front page and the JSON 404 of a path
missing its slash: each is a real request through the test client, so middleware,
authentication and rendering run too. Every
query is compiled by django-mongodb-backend as it would be sent and checked against
the indexes the MongoDB migrations create; the stored documents the code reads are
answered only for the lookups that ask for them. Behaviour is tested on SQLite
(``test_browsable_api.py``, ``test_schema_examples.py``).
"""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from bson import Decimal128, ObjectId
from rest_framework.test import APIClient

from accounts.models import User
from accounts.tokens import issue_token_pair
from catalog.selectors import EXAMPLE_PRODUCT_SKU
from shop.testing.mongo import Answer, record_commands, user_document
from shop.testing.mongo_indexes import assert_served_by_index

pytestmark = pytest.mark.mongo

NOW = datetime.now(UTC).replace(tzinfo=None)
CUSTOMER = user_document(
    ObjectId("65277a812b73bb530ad77307"), email="ann@example.com", is_staff=False, is_superuser=False
)
STAFF = user_document(ObjectId("65277a812b73bb530ad773ff"))
PRODUCT_ID = ObjectId("65277a812b73bb530ad77311")
ORDER_ID = ObjectId("65277a812b73bb530ad77399")
PHONE = {
    "_id": PRODUCT_ID,
    "sku": EXAMPLE_PRODUCT_SKU,
    "name": "Phone",
    "category_id": "electronics",
    "description": "",
    "price": Decimal128("699.00"),
    "stock": 5,
    "is_active": True,
    "is_imported": False,
    "created_at": NOW,
    "updated_at": NOW,
}
ORDER = {
    "_id": ORDER_ID,
    "customer_id": CUSTOMER["_id"],
    "status": "IN_PROGRESS",
    "total": Decimal128("699.00"),
    "currency": "USD",
    "created_at": NOW,
    "updated_at": NOW,
}
# Products are stored without the stock filter's "in stock"; stock is a residual filter.
IN_STOCK = ("stock",)


def by_id(document: dict) -> Answer:
    return Answer("accounts_user", where={"_id": document["_id"]}, documents=(document,))


def bearer(document: dict) -> APIClient:
    user = User(pk=document["_id"], email=document["email"], token_version=document["token_version"])
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {issue_token_pair(user)['access']}")
    return client


def reads_of(recorder, collection: str) -> list[list]:
    return [pipeline for name, pipeline in recorder.reads if name == collection]


def test_the_served_document_finds_its_example_product_by_indexed_lookups():
    with record_commands() as recorder:
        response = APIClient().get("/api/v1/schema/", {"format": "json"})
    assert response.status_code == 200
    by_sku, first_in_stock = reads_of(recorder, "catalog_product")
    assert_served_by_index("catalog_product", by_sku, residual=IN_STOCK)
    assert_served_by_index("catalog_product", first_in_stock, residual=IN_STOCK)
    assert recorder.writes == []


def test_the_browsable_order_list_reads_the_example_product_once_it_finds_the_phone():
    answers = [
        by_id(CUSTOMER),
        Answer("catalog_product", where={"sku": EXAMPLE_PRODUCT_SKU}, documents=(PHONE,)),
    ]
    with record_commands(answers) as recorder:
        response = bearer(CUSTOMER).get("/api/v1/orders/", HTTP_ACCEPT="text/html")
    assert response.status_code == 200
    assert str(PRODUCT_ID) in response.content.decode()
    (lookup,) = reads_of(recorder, "catalog_product")
    assert_served_by_index("catalog_product", lookup, residual=IN_STOCK)


def test_the_browsable_product_list_reads_the_categories_for_its_filter_form():
    categories = ({"_id": ObjectId(), "slug": "books", "name": "Books"},)
    answers = [Answer("catalog_category", where=None, documents=categories)]
    with record_commands(answers) as recorder:
        response = APIClient().get("/api/v1/products/", HTTP_ACCEPT="text/html")
    assert response.status_code == 200
    assert '<option value="books">Books</option>' in response.content.decode()
    assert reads_of(recorder, "catalog_category")
    assert recorder.writes == []


def test_the_browsable_product_page_renders_the_edit_form_for_staff():
    answers = [by_id(STAFF), Answer("catalog_product", where={"_id": PRODUCT_ID}, documents=(PHONE,))]
    with record_commands(answers) as recorder:
        response = bearer(STAFF).get(f"/api/v1/products/{PRODUCT_ID}/", HTTP_ACCEPT="text/html")
    assert response.status_code == 200
    assert "expected_stock" in response.content.decode()
    assert recorder.writes == []


def test_staff_order_lists_and_details_read_the_customers_emails_by_id():
    answers = [
        by_id(STAFF),
        Answer("orders_order", where=None, documents=(ORDER,)),
        Answer("orders_order", where={"_id": ORDER_ID}, documents=(ORDER,)),
        # Not rendered yet (no Order.rendered): the list reads it in full.
        Answer("orders_order", where={"_id": {"$in": (ORDER_ID,)}}, documents=(ORDER,)),
        Answer("accounts_user", where={"_id": {"$in": (CUSTOMER["_id"],)}}, documents=(CUSTOMER,)),
    ]
    client = bearer(STAFF)
    with record_commands(answers) as recorder:
        listed = client.get("/api/v1/orders/")
        detail = client.get(f"/api/v1/orders/{ORDER_ID}/")
    assert listed.status_code == detail.status_code == 200
    assert listed.json()["results"][0]["customer_email"] == "ann@example.com"
    assert detail.json()["customer_email"] == "ann@example.com"
    emails = [pipeline for pipeline in reads_of(recorder, "accounts_user") if "$in" in str(pipeline)]
    assert len(emails) == 2
    for pipeline in emails:
        assert_served_by_index("accounts_user", pipeline)


def test_the_api_root_reads_nothing():
    with record_commands() as recorder:
        assert APIClient().get("/api/v1/", HTTP_ACCEPT="text/html").status_code == 200
    assert recorder.reads == [] and recorder.writes == []


def test_the_front_page_and_a_path_missing_its_slash_read_nothing():
    with record_commands() as recorder:
        assert APIClient().get("/").status_code == 200
        assert APIClient().post("/api/v1/orders", {}, format="json").status_code == 404
    assert recorder.reads == [] and recorder.writes == []
