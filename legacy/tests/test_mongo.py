"""MongoDB contract of the legacy-specific reads: they compile for django-mongodb-backend.

Runs in ``make test``'s MongoDB pass (``MONGODB_URI`` points at a host where no
server listens). ``captured_reads`` swaps django-mongodb-backend's
``SQLCompiler.execute_sql`` for one that builds the aggregation pipeline exactly
as the original does (``pre_sql_setup()``, ``build_query()``, ``get_pipeline()``),
records it and answers "no rows" instead of sending it; so the real selector and
view code runs and every pipeline it would send can be inspected. It never stands
in for a database in a behaviour test (those run on SQLite, or on a real MongoDB).

The other reads and writes of the legacy routes are the shared services' and
selectors' (``order_get``, ``order_create``, ``order_set_status``, ``token_obtain``,
``account_close``), whose contracts the accounts, catalog and orders apps test.
"""

from __future__ import annotations

import re

import pytest
from bson import ObjectId
from rest_framework.test import APIRequestFactory, force_authenticate

from accounts.models import User
from catalog.models import Category
from legacy import selectors, services, views
from orders import selectors as order_selectors
from orders.models import Order
from shop.errors import InvalidInput
from shop.testing.mongo import assert_index_friendly, captured_reads, compile_pipeline, stage, stages

pytestmark = pytest.mark.mongo

OID = "65277a812b73bb530ad77307"


def customer() -> User:
    return User(pk=ObjectId(OID), email="ann@example.com", is_staff=False)


def regex_matches(condition: dict, text: str) -> bool:
    """Return whether MongoDB's ``{"$regex", "$options": "i"}`` condition matches ``text``."""
    assert condition["$options"] == "i"
    return re.search(condition["$regex"], text, flags=re.IGNORECASE) is not None


# --- category by slug or name, product by name ----------------------------------------------


def test_category_lookup_is_an_anchored_case_insensitive_match_on_slug_or_name():
    with captured_reads() as reads:
        assert selectors.legacy_category_find(text="Electronics") is None
    [(collection, pipeline)] = reads
    assert collection == "catalog_category"
    assert_index_friendly(pipeline)
    assert stages(pipeline)[0] == "$match"
    assert stage(pipeline, "$limit") == 2
    conditions = pipeline[0]["$match"]["$or"]
    assert [next(iter(condition)) for condition in conditions] == ["slug", "name"]
    for condition in conditions:
        regex = next(iter(condition.values()))
        assert regex["$regex"] == "^Electronics$"
        assert regex_matches(regex, "electronics")
        assert not regex_matches(regex, "consumer electronics")


@pytest.mark.parametrize("text", [".*", "Home & Kitchen (new)", "a|b", "C++ [x]$", "Phone."])
def test_category_and_product_lookups_match_the_text_literally(text):
    with captured_reads() as reads:
        selectors.legacy_category_find(text=text)
        selectors.legacy_product_find(category=Category(slug="electronics"), name=text)
    category_regex = reads[0][1][0]["$match"]["$or"][1]["name"]
    [product_regex] = [c["name"] for c in reads[1][1][0]["$match"]["$and"] if "name" in c]
    for regex in (category_regex, product_regex):
        assert regex_matches(regex, text)
        assert regex_matches(regex, text.upper())
        assert not regex_matches(regex, "Phones")
        assert not regex_matches(regex, "something else entirely")


def test_plain_iexact_would_not_escape_on_this_backend():
    """Why the selectors build their own regex: iexact sends the text as a regex, unescaped.

    If a django-mongodb-backend upgrade starts escaping it, this fails and
    ``shop.db.exactly_ignoring_case`` can become a plain ``iexact``.
    """
    pipeline = compile_pipeline(Category.objects.filter(name__iexact=".*"))
    assert pipeline[0]["$match"] == {"name": {"$regex": "^.*$", "$options": "i"}}


def test_product_lookup_matches_the_category_key_and_the_name_without_a_join():
    with captured_reads() as reads:
        product = selectors.legacy_product_find(category=Category(slug="electronics"), name="phone")
    assert product is None
    [(collection, pipeline)] = reads
    assert collection == "catalog_product"
    assert_index_friendly(pipeline)
    match = pipeline[0]["$match"]["$and"]
    assert {"category_id": "electronics"} in match
    assert {"is_active": True} in match
    [name] = [condition["name"] for condition in match if "name" in condition]
    assert name["$regex"] == "^phone$"
    assert regex_matches(name, "Phone")
    assert stage(pipeline, "$limit") == 1


def test_post_order_with_an_unknown_category_reads_only_the_categories():
    request = APIRequestFactory().post(
        "/order", {"type": "gadgets", "products": "Phone", "Quantity": 1}, format="json"
    )
    force_authenticate(request, user=customer())
    with captured_reads() as reads:
        response = views.OrderView.as_view()(request)
    assert response.status_code == 400
    assert response.data == {"message": "type: Unknown category 'gadgets'."}
    assert [collection for collection, _ in reads] == ["catalog_category"]


# --- the caller's own orders --------------------------------------------------------------


def test_own_order_list_is_one_indexed_match_and_sort():
    request = APIRequestFactory().get("/order")
    force_authenticate(request, user=customer())
    with captured_reads() as reads:
        response = views.OrderView.as_view()(request)
    assert response.status_code == 200
    assert response.data == {"data": [], "message": "orders"}
    [(collection, pipeline)] = reads
    assert collection == "orders_order"
    assert_index_friendly(pipeline)
    assert pipeline[0] == {"$match": {"customer_id": ObjectId(OID)}}
    assert stage(pipeline, "$sort") == {"created_at": -1, "_id": -1}


def test_staff_own_order_list_is_also_matched_on_the_customer():
    staff = User(pk=ObjectId(), email="staff@example.com", is_staff=True)
    pipeline = compile_pipeline(order_selectors.order_list(user=staff, own_only=True))
    assert pipeline[0] == {"$match": {"customer_id": staff.pk}}


def test_own_order_list_reads_all_lines_with_one_in_query_and_no_history():
    orders = [Order(pk=ObjectId()), Order(pk=ObjectId())]
    with captured_reads() as reads:
        order_selectors.order_details_attach(orders=orders, with_history=False)
    [(collection, pipeline)] = reads
    assert collection == "orders_orderline"
    assert_index_friendly(pipeline)
    assert pipeline[0] == {"$match": {"order_id": {"$in": tuple(order.pk for order in orders)}}}
    assert stage(pipeline, "$sort") == {"order_id": 1, "position": 1}


# --- ids that never reach a query ----------------------------------------------------------


@pytest.mark.parametrize("order_id", ["17", "abc", OID[:-1], "x" * 24])
def test_malformed_order_ids_are_refused_before_any_query(order_id):
    with captured_reads() as reads, pytest.raises(InvalidInput):
        services.legacy_order_id_check(order_id=order_id)
    assert reads == []


def test_a_well_formed_order_id_passes():
    assert services.legacy_order_id_check(order_id=OID) == OID
