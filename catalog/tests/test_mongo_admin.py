"""The catalog admin and the demo-catalog command, run whole under the MongoDB recorder.

Runs in ``make test``'s MongoDB pass: a logged-in superuser (its session and user
answered by ``session_answers``) opens and submits every catalog admin page (the
product list with its filters, search and list edit, the add, change and delete
forms, the categories), and ``load_demo_catalog`` runs, all against the recorder.
Each query is compiled by django-mongodb-backend exactly as it would be sent.
"""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from bson import Decimal128, ObjectId
from django.core.management import call_command
from django.test import Client
from django.urls import reverse

from shop.testing.mongo import Answer, record_commands, session_answers, user_document

pytestmark = pytest.mark.mongo

STAFF = user_document(ObjectId("65277a812b73bb530ad773ff"))
SESSION_KEY = "a" * 32
PRODUCT_ID = ObjectId("65277a812b73bb530ad77311")
NEW_PRODUCT_ID = ObjectId("65277a812b73bb530ad77312")
CATEGORY_ID = ObjectId("65277a812b73bb530ad77399")
CHANGELIST = reverse("admin:catalog_product_changelist")


def product_document(**fields) -> dict:
    now = datetime.now(UTC).replace(tzinfo=None)
    return {
        "_id": PRODUCT_ID,
        "sku": "EL-1",
        "name": "Phone",
        "category_id": "electronics",
        "description": "",
        "price": Decimal128("999.00"),
        "stock": 10,
        "is_active": True,
        "created_at": now,
        "updated_at": now,
        **fields,
    }


CATEGORY = {"_id": CATEGORY_ID, "slug": "electronics", "name": "Electronics"}
ANSWERS = [
    *session_answers(STAFF, session_key=SESSION_KEY),
    Answer("catalog_product", where=None, documents=(product_document(),)),
    Answer("catalog_product", where=None, count=1),
    Answer("catalog_product", where={"_id": PRODUCT_ID}, documents=(product_document(),)),
    Answer("catalog_product", where={"_id": {"$in": (PRODUCT_ID,)}}, documents=(product_document(),)),
    Answer("catalog_category", where=None, documents=(CATEGORY,)),
    Answer("catalog_category", where={"_id": CATEGORY_ID}, documents=(CATEGORY,)),
    # Exactly the lookup by slug: the form's uniqueness check (slug, not this id) finds nothing.
    Answer("catalog_category", where={"slug": "electronics"}, documents=(CATEGORY,), exact=True),
]


def admin() -> Client:
    client = Client()
    client.cookies["sessionid"] = SESSION_KEY
    return client


def test_the_product_list_with_filters_and_search_renders():
    client = admin()
    with record_commands(ANSWERS) as recorder:
        assert client.get(CHANGELIST).status_code == 200
        assert (
            client.get(
                CHANGELIST, {"is_active__exact": "1", "category__slug__exact": "electronics"}
            ).status_code
            == 200
        )
        assert client.get(CHANGELIST, {"q": "phone"}).status_code == 200
    assert [collection for collection, _ in recorder.reads if collection.startswith("catalog_")]


def test_the_list_edit_applies_stock_differences_in_one_transaction():
    data = {
        "form-TOTAL_FORMS": "1",
        "form-INITIAL_FORMS": "1",
        "form-MIN_NUM_FORMS": "0",
        "form-MAX_NUM_FORMS": "1000",
        "form-0-id": str(PRODUCT_ID),
        "form-0-price": "999.00",
        "form-0-stock": "4",
        "initial-form-0-stock": "10",
        "_save": "Save",
    }
    with record_commands(ANSWERS) as recorder:
        response = admin().post(CHANGELIST, data)
    assert response.status_code == 302, response.content
    (stock_edit,) = [command for command in recorder.writes if command.collection == "catalog_product"]
    assert stock_edit.in_transaction
    assert recorder.events() == ["start_transaction", "commit_transaction", "end_session"]


def test_the_add_change_and_delete_forms_go_through_the_services():
    body = {
        "sku": "EL-9",
        "name": "Tablet",
        "category": "electronics",
        "description": "",
        "price": "329.00",
        "stock": "4",
        "initial-stock": "0",
        "is_active": "on",
    }
    change = reverse("admin:catalog_product_change", args=[PRODUCT_ID])
    delete = reverse("admin:catalog_product_delete", args=[PRODUCT_ID])
    client = admin()
    # The added product, read back by the id the insert gives it.
    added = Answer(
        "catalog_product", where={"_id": NEW_PRODUCT_ID}, documents=(product_document(_id=NEW_PRODUCT_ID),)
    )
    with record_commands([*ANSWERS, added], ids={"catalog_product": NEW_PRODUCT_ID}) as recorder:
        assert client.get(reverse("admin:catalog_product_add")).status_code == 200
        assert client.post(reverse("admin:catalog_product_add"), body).status_code == 302
        assert client.get(change).status_code == 200
        assert (
            client.post(change, {**body, "sku": "EL-1", "name": "Phone", "initial-stock": "10"}).status_code
            == 302
        )
        assert client.get(delete).status_code == 200
        assert client.post(delete, {"post": "yes"}).status_code == 302
    sent = {(command.collection, command.method) for command in recorder.writes}
    assert {("catalog_product", "insert_many"), ("catalog_product", "update_many")} <= sent
    assert ("catalog_product", "delete_many") in sent


def test_the_deactivate_action_and_the_bulk_delete_go_through_the_services():
    client = admin()
    selected = {"_selected_action": [str(PRODUCT_ID)]}
    with record_commands(ANSWERS) as recorder:
        assert client.post(CHANGELIST, {"action": "deactivate_selected", **selected}).status_code == 302
        assert client.post(CHANGELIST, {"action": "delete_selected", **selected}).status_code == 200
        assert (
            client.post(CHANGELIST, {"action": "delete_selected", "post": "yes", **selected}).status_code
            == 302
        )
    assert ("catalog_product", "update_many") in {(c.collection, c.method) for c in recorder.writes}


def test_the_category_pages_go_through_the_services():
    change = reverse("admin:catalog_category_change", args=[CATEGORY_ID])
    client = admin()
    with record_commands(ANSWERS) as recorder:
        assert client.get(reverse("admin:catalog_category_changelist")).status_code == 200
        assert client.get(reverse("admin:catalog_category_add")).status_code == 200
        assert (
            client.post(
                reverse("admin:catalog_category_add"), {"name": "Garden", "slug": "garden"}
            ).status_code
            == 302
        )
        assert client.get(change).status_code == 200
        assert client.post(change, {"name": "Gadgets", "slug": "electronics"}).status_code == 302
    sent = [(command.collection, command.method) for command in recorder.writes]
    assert ("catalog_category", "insert_many") in sent and ("catalog_category", "update_many") in sent


def test_the_admin_index_renders():
    with record_commands(ANSWERS):
        assert admin().get(reverse("admin:index")).status_code == 200


def test_the_demo_catalog_command_creates_categories_and_products_through_the_services():
    from catalog.management.commands.load_demo_catalog import DEMO_CATEGORIES

    # The categories it has just created, for the products' category lookups.
    created = [
        Answer(
            "catalog_category",
            where={"slug": slug},
            documents=({"_id": ObjectId(), "slug": slug, "name": name},),
        )
        for slug, name in DEMO_CATEGORIES
    ]
    with record_commands(created) as recorder:
        call_command("load_demo_catalog", stdout=open("/dev/null", "w"))  # noqa: SIM115
    inserted = {command.collection for command in recorder.writes if command.method == "insert_many"}
    assert inserted == {"catalog_category", "catalog_product"}


def test_a_category_slug_change_checks_that_no_product_uses_it():
    from catalog import services
    from catalog.models import Category

    with record_commands() as recorder:
        services.category_update(category=Category(pk=CATEGORY_ID, slug="old", name="Old"), slug="new")
    used = [p for c, p in recorder.reads if c == "catalog_product"]
    assert used and used[0][0] == {"$match": {"category_id": "old"}}
    assert [(c.collection, c.method) for c in recorder.writes] == [("catalog_category", "update_many")]
