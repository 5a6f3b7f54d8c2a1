"""Every hot lookup is served by an index the MongoDB migrations create, offline.

Runs in ``make test``'s MongoDB pass. Each hot query of ``shop/tests/hot_paths.py``
is captured from the real code path (a view, a service) under ``record_commands``;
``shop.testing.mongo_indexes`` then says which index the migration set provides for
it: equality and range fields a prefix of one usable index, the ``$sort`` served by
the same index, partial indexes only when the query implies their filter. The same
queries are checked with ``explain()`` on a real server by ``test_mongo_explain.py``.
"""

from __future__ import annotations

import pytest
from bson import ObjectId

from shop.testing.mongo_indexes import assert_served_by_index, migration_indexes, serving_index
from shop.tests.hot_paths import HOT_QUERIES

pytestmark = pytest.mark.mongo


@pytest.mark.parametrize("hot", HOT_QUERIES, ids=[hot.path for hot in HOT_QUERIES])
def test_each_hot_query_is_served_by_its_index(hot):
    chosen = assert_served_by_index(hot.collection, hot.capture(), residual=hot.residual)
    assert [index.name for index in chosen] == [hot.index] * len(chosen)


def test_the_migrations_create_partial_unique_indexes_that_no_equality_match_uses():
    user_indexes = [
        index for index in migration_indexes()["accounts_user"] if index.unique and index.name != "_id_"
    ]
    (unique,) = user_indexes
    assert unique.partial == {"email": {"$type": "string"}}
    # A collection with only the partial unique index has nothing for an equality match.
    assert serving_index("catalog_category", [{"$match": {"slug": "books"}}]) is None
    assert serving_index("accounts_user", [{"$match": {"email": "ann@example.com"}}])[0].name == (
        "accounts_user_email_lookup"
    )


def test_a_sort_after_a_projection_is_never_served_by_an_index():
    match = {"$match": {"customer_id": ObjectId()}}
    sort = {"$sort": {"created_at": -1, "_id": -1}}
    project = {"$addFields": {"created_at": "$created_at", "_id": "$_id"}}
    assert serving_index("orders_order", [match, sort, project]) is not None
    assert serving_index("orders_order", [match, project, sort]) is None


def test_a_sort_that_mixes_the_index_directions_is_not_served():
    pipeline = [{"$match": {"customer_id": ObjectId()}}, {"$sort": {"created_at": -1, "_id": 1}}]
    assert serving_index("orders_order", pipeline) is None


def test_a_range_outside_the_index_needs_saying_so():
    pipeline = [
        {"$match": {"$and": [{"is_active": True}, {"stock": {"$gt": 0}}]}},
        {"$sort": {"name": 1, "_id": 1}},
    ]
    assert serving_index("catalog_product", pipeline) is None
    assert (
        serving_index("catalog_product", pipeline, residual=("stock",))[0].name
        == "catalog_product_active_name"
    )


def test_every_index_named_by_a_hot_query_is_created_by_the_migrations():
    created = {
        (index.collection, index.name) for indexes in migration_indexes().values() for index in indexes
    }
    assert {(hot.collection, hot.index) for hot in HOT_QUERIES} <= created
