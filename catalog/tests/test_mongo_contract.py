"""Every catalog query and write compiles for MongoDB, and public reads are index-friendly.

Runs in ``make test``'s MongoDB contract pass (``MONGODB_URI`` at a host where no
server listens). Read pipelines come either from ``compile_pipeline`` or, for whole
requests and service calls, from ``record_commands`` (shop/testing/mongo.py), which
logs what the backend hands to pymongo without any server and answers only the reads
an ``Answer`` names. Behaviour is tested
on a real database elsewhere; these tests only prove what MongoDB would be sent.
"""

from datetime import UTC, datetime
from decimal import Decimal

import pytest
from bson import Decimal128, ObjectId
from rest_framework.test import APIClient

from accounts.models import User
from catalog import selectors, services
from catalog.filters import ProductFilter
from catalog.models import Category, Product
from shop.testing.mongo import (
    Answer,
    assert_index_friendly,
    compile_pipeline,
    contains_operator,
    describe,
    record_commands,
    stages,
)

pytestmark = pytest.mark.mongo

PRODUCT_ID = ObjectId("65277a812b73bb530ad77307")


def product_document(**overrides) -> dict:
    now = datetime.now(UTC).replace(tzinfo=None)  # pymongo hands back naive UTC datetimes
    return {
        "_id": PRODUCT_ID,
        "sku": "EL-1",
        "name": "Phone",
        "category_id": "electronics",
        "description": "",
        "price": Decimal128("999.00"),
        "stock": 5,
        "is_active": True,
        "created_at": now,
        "updated_at": now,
        **overrides,
    }


def active_product_answers(**where) -> list[Answer]:
    """Answer the reads of active products (with ``where`` too): five of them, the first page one."""
    conditions = {"is_active": True, **where}
    return [
        Answer("catalog_product", where=conditions, count=5),
        Answer("catalog_product", where=conditions, documents=(product_document(),)),
    ]


CATALOG = active_product_answers()
PRODUCT_BY_ID = Answer("catalog_product", where={"_id": PRODUCT_ID}, documents=(product_document(),))


def catalog_commands(log) -> list:
    """Return the recorded commands but the catalog version's bump (checked by its own tests)."""
    return [command for command in log if command.collection != "catalog_catalogversion"]


def match_of(pipeline: list) -> dict:
    return next(stage["$match"] for stage in pipeline if "$match" in stage)


# --- the public API, request by request -------------------------------------------------------

LIST_QUERIES = [
    {},
    {"category": "electronics"},
    {"search": "pho.ne"},
    {"ordering": "price"},
    {"ordering": "-price"},
    {"ordering": "name"},
    {"ordering": "-name"},
    {"in_stock": "true"},
    {"in_stock": "false"},
    {
        "category": "electronics",
        "search": "phone",
        "in_stock": "true",
        "ordering": "-price",
        "page_size": "100",
    },
    {"page": "2", "page_size": "1"},
]


@pytest.mark.parametrize("params", LIST_QUERIES)
def test_public_product_list_requests_are_plain_match_and_sort_on_products(params):
    with record_commands(CATALOG) as recorder:
        response = APIClient().get("/api/v1/products/", params)
    assert response.status_code == 200, response.content
    sent = recorder.reads
    if "in_stock" not in params:  # pages that move with the stock are not cached: no version read
        version, *sent = sent
        assert version[0] == "catalog_catalogversion"  # the key of the cached pages (catalog.page_cache)
    assert [collection for collection, _ in sent] == ["catalog_product", "catalog_product"]  # count, page
    for _, pipeline in sent:
        assert_index_friendly(pipeline)
        assert "$match" in stages(pipeline)
        assert {"is_active": True} in match_of(pipeline).get("$and", [match_of(pipeline)])
    page = sent[1][1]
    assert stages(page)[:2] == ["$match", "$sort"]  # the order comes from an index (shop.mongodb.query)
    # Ids render as strings, money as a 2-place string, on MongoDB too.
    item = response.json()["results"][0]
    assert (item["id"], item["price"], item["category"]) == (str(PRODUCT_ID), "999.00", "electronics")


def test_search_is_an_escaped_case_insensitive_regex_not_an_expression():
    with record_commands(CATALOG) as recorder:
        APIClient().get("/api/v1/products/", {"search": "a.b(c"})
    pipeline = recorder.reads[2][1]  # after the catalog version and the count
    text = describe(pipeline)
    assert '"$regex": "a\\\\.b\\\\(c"' in text, text
    assert '"$options": "i"' in text
    assert not contains_operator(pipeline, "$expr")


def test_public_product_detail_is_one_match_on_id_and_active():
    with record_commands(CATALOG) as recorder:
        response = APIClient().get(f"/api/v1/products/{PRODUCT_ID}/")
    assert response.status_code == 200
    assert response.json()["id"] == str(PRODUCT_ID)
    ((collection, pipeline),) = recorder.reads
    assert collection == "catalog_product"
    assert_index_friendly(pipeline)
    conditions = match_of(pipeline)["$and"]
    assert {"is_active": True} in conditions
    assert {"_id": PRODUCT_ID} in conditions


@pytest.mark.parametrize("bad_id", ["abc", "17", "65277a812b73bb530ad7730", "zz277a812b73bb530ad77307"])
def test_malformed_object_id_is_404_without_a_query(bad_id):
    with record_commands(CATALOG) as recorder:
        response = APIClient().get(f"/api/v1/products/{bad_id}/")
    assert response.status_code == 404
    assert recorder.reads == []


def test_category_list_request_compiles_to_a_sort_on_categories():
    with record_commands(
        [
            Answer(
                "catalog_category",
                where=None,
                documents=({"_id": ObjectId(), "slug": "electronics", "name": "Electronics"},),
            )
        ]
    ) as recorder:
        response = APIClient().get("/api/v1/categories/")
    assert response.json() == [{"slug": "electronics", "name": "Electronics"}]
    ((collection, pipeline),) = recorder.reads
    assert collection == "catalog_category"
    assert_index_friendly(pipeline)


def test_staff_product_list_and_detail_include_inactive_products():
    client = APIClient()
    client.force_authenticate(User(pk=ObjectId(), email="staff@example.com", is_staff=True))
    with record_commands([*CATALOG, PRODUCT_BY_ID]) as recorder:
        assert client.get("/api/v1/products/", {"search": "x", "ordering": "name"}).status_code == 200
        assert client.get(f"/api/v1/products/{PRODUCT_ID}/").status_code == 200
    for _, pipeline in recorder.reads:
        assert_index_friendly(pipeline)
        assert "is_active" not in describe(match_of(pipeline))


# --- selectors and filters compiled directly ---------------------------------------------------


def test_selectors_compile_without_lookup_or_expr():
    for queryset in [
        selectors.category_list(),
        selectors.product_list(),
        selectors.product_list(include_inactive=True),
        ProductFilter(data={"category": "books", "in_stock": "false"}, queryset=selectors.product_list()).qs,
    ]:
        assert_index_friendly(compile_pipeline(queryset))


def test_ordering_sorts_on_the_indexed_field_then_id():
    qs = ProductFilter(data={"ordering": "-price"}, queryset=selectors.product_list()).qs
    pipeline = compile_pipeline(qs)
    assert next(stage["$sort"] for stage in pipeline if "$sort" in stage) == {"price": -1, "_id": -1}


# --- services: reads and conditional writes ------------------------------------------------------


ELECTRONICS = Answer(
    "catalog_category",
    where={"slug": "electronics"},
    documents=({"_id": ObjectId(), "slug": "electronics", "name": "Electronics"},),
)


def test_product_create_checks_then_inserts_one_document():
    with record_commands([ELECTRONICS]) as recorder:
        product = services.product_create(
            sku="EL-9", name="Tablet", category="electronics", price="329.00", stock=4
        )
    assert isinstance(product.pk, ObjectId)
    log = catalog_commands(recorder.log)
    kinds = [(command.collection, command.method) for command in log]
    assert kinds[-1] == ("catalog_product", "insert_many")
    (document,) = log[-1].args[0]
    assert (document["sku"], document["category_id"], document["stock"]) == ("EL-9", "electronics", 4)
    assert document["price"] == Decimal128("329.00") or Decimal(str(document["price"])) == Decimal("329.00")
    for _collection, pipeline in recorder.reads:
        assert not contains_operator(pipeline, "$lookup"), describe(pipeline)


def test_stock_edit_is_one_conditional_update_with_an_increment():
    product = Product(pk=PRODUCT_ID, sku="EL-1", name="Phone", category_id="electronics", stock=10)
    with record_commands([PRODUCT_BY_ID]) as recorder:
        services.product_update(product=product, seen_stock=10, stock=4, price="5.00")
    (update,) = [command for command in catalog_commands(recorder.log) if command.method == "update_many"]
    criteria, changes = update.args
    assert update.collection == "catalog_product"
    text = describe(criteria)
    assert str(PRODUCT_ID) in text and '"$gte": 6' in text, text
    assert "$add" in describe(changes) and "-6" in describe(changes)
    assert not contains_operator(criteria, "$lookup")


def test_stock_edit_whose_condition_fails_writes_nothing_else():
    product = Product(pk=PRODUCT_ID, sku="EL-1", name="Phone", category_id="electronics", stock=10)
    current = Answer("catalog_product", where={"_id": PRODUCT_ID}, documents=({"stock": 1},))
    with record_commands([current], matched=0) as recorder, pytest.raises(services.Conflict):
        services.product_update(product=product, seen_stock=10, stock=0)
    assert [command.method for command in recorder.log].count("update_many") == 1


def test_product_delete_checks_order_lines_then_deletes_by_id():
    product = Product(pk=PRODUCT_ID, sku="EL-1", name="Phone", category_id="electronics")
    with record_commands() as recorder:
        assert services.product_delete(product=product) is True
    log = catalog_commands(recorder.log)
    sent = [(command.collection, command.method) for command in log]
    assert sent[0] == ("orders_orderline", "aggregate")
    assert sent[-1] == ("catalog_product", "delete_many")
    assert str(PRODUCT_ID) in describe(log[-1].args[0])


def test_deleting_an_ordered_product_is_an_update_of_is_active():
    product = Product(pk=PRODUCT_ID, sku="EL-1", name="Phone", category_id="electronics")

    ordered = [
        Answer("orders_orderline", where={"product_id": PRODUCT_ID}, documents=({"a": 1},)),
        Answer("catalog_product", where={"_id": PRODUCT_ID}, documents=(product_document(is_active=False),)),
    ]
    with record_commands(ordered) as recorder:
        assert services.product_delete(product=product) is False
    writes = [command for command in catalog_commands(recorder.log) if command.method != "aggregate"]
    assert [(w.collection, w.method) for w in writes] == [("catalog_product", "update_many")]
    assert "is_active" in describe(writes[0].args[1])


def test_stock_reserve_and_release_are_conditional_single_document_updates():
    with record_commands() as recorder:
        services.product_stock_reserve(product_id=PRODUCT_ID, quantity=3)
        services.product_stock_release(product_id=PRODUCT_ID, quantity=3)
    reserve, release = recorder.log
    assert '"$gte": 3' in describe(reserve.args[0]) and "is_active" in describe(reserve.args[0])
    assert "$subtract" in describe(reserve.args[1]) and "$add" in describe(release.args[1])


def test_category_services_compile():
    category = Category(pk=ObjectId(), slug="books", name="Books")
    with record_commands() as recorder:
        services.category_create(slug="garden", name="Garden")
        services.category_update(category=category, name="Good books")

    unused_category = Answer(
        "catalog_category",
        where={"_id": category.pk},
        documents=({"_id": category.pk, "slug": "books", "name": "Books"},),
    )
    with record_commands([unused_category]) as delete_recorder:
        services.category_delete(category=category)
    assert [
        (c.collection, c.method) for c in [*recorder.log, *delete_recorder.log] if c.method != "aggregate"
    ] == [
        ("catalog_category", "insert_many"),
        ("catalog_category", "update_many"),
        ("catalog_category", "delete_many"),
    ]


# --- the cached product pages (catalog.page_cache) ---------------------------------------------


VERSION = Answer("catalog_catalogversion", where={"name": "catalog"}, documents=({"version": 7},))


def test_the_catalog_version_is_one_plain_match_on_its_name():
    with record_commands([VERSION]) as recorder:
        assert selectors.catalog_version() == 7
    ((collection, pipeline),) = recorder.reads
    assert collection == "catalog_catalogversion"
    assert match_of(pipeline) == {"name": "catalog"}
    assert_index_friendly(pipeline)
    assert "$sort" not in stages(pipeline)


def test_a_cached_page_reads_the_version_then_the_current_stock_by_id():
    stock_now = Answer(
        "catalog_product",
        where={"_id": {"$in": (PRODUCT_ID,)}},
        documents=({"_id": PRODUCT_ID, "stock": 2, "updated_at": datetime(2026, 12, 2, 12, 0)},),
    )
    with record_commands([VERSION, *CATALOG]) as first:
        fresh = APIClient().get("/api/v1/products/")
    with record_commands([VERSION, stock_now]) as second:
        cached = APIClient().get("/api/v1/products/")

    assert [collection for collection, _ in first.reads] == ["catalog_catalogversion"] + [
        "catalog_product"
    ] * 2
    assert [collection for collection, _ in second.reads] == ["catalog_catalogversion", "catalog_product"]
    stock_read = second.reads[1][1]
    assert match_of(stock_read) == {"_id": {"$in": (PRODUCT_ID,)}}
    assert "$sort" not in stages(stock_read)
    assert_index_friendly(stock_read)
    item = cached.json()["results"][0]
    assert (item["id"], item["stock"], item["updated_at"]) == (str(PRODUCT_ID), 2, "2026-12-02T12:00:00Z")
    assert {k: v for k, v in item.items() if k not in ("stock", "updated_at")} == {
        k: v for k, v in fresh.json()["results"][0].items() if k not in ("stock", "updated_at")
    }


def test_the_version_bump_is_one_increment_and_the_first_one_inserts_the_row():
    with record_commands(matched=0) as recorder:
        services.catalog_version_bump_now()
    update, insert = recorder.log
    assert (update.collection, update.method) == ("catalog_catalogversion", "update_many")
    assert describe(update.args[0]) == describe({"name": "catalog"})
    assert "$add" in describe(update.args[1])
    assert (insert.collection, insert.method) == ("catalog_catalogversion", "insert_many")
    (document,) = insert.args[0]
    assert (document["name"], document["version"]) == ("catalog", 1)

    with record_commands(matched=1) as existing:
        services.catalog_version_bump_now()
    assert [(c.collection, c.method) for c in existing.log] == [("catalog_catalogversion", "update_many")]


def test_a_product_write_bumps_the_version_after_it():
    product = Product(pk=PRODUCT_ID, sku="EL-1", name="Phone", category_id="electronics", stock=10)
    with record_commands([PRODUCT_BY_ID], matched=1) as recorder:
        services.product_update(product=product, price="5.00")
    writes = [(c.collection, c.method) for c in recorder.log if c.method != "aggregate"]
    assert writes == [("catalog_product", "update_many"), ("catalog_catalogversion", "update_many")]
