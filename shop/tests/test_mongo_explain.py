"""MongoDB's own planner on the hot queries: an index scan with the intended index, never a blocking sort.

Runs only against a real server (``MONGODB_URI=mongodb://... make test``; marked
``mongo_server`` and skipped otherwise). The database is the test database
pytest-django migrates, so its indexes are exactly what the MongoDB migration set
creates. Each hot query of ``hot_paths.py`` is captured from the real code path,
then sent to the server as ``explain`` (queryPlanner verbosity): the winning plan
must use an index (IXSCAN, or the id fast paths), never a collection scan, never a
blocking SORT stage, and no ``$sort`` may be left to the aggregation layer after the
``$cursor`` (which is where the ``$addFields`` the backend adds before ``$sort``
would put it, had ``shop.mongodb.query`` not moved the sort ahead). Some data is
seeded first, so the planner has real choices.
"""

from __future__ import annotations

import pytest
from django.db import connection

from accounts.tests.factories import UserFactory
from catalog.tests.factories import CategoryFactory, ProductFactory
from orders.models import Actor, OrderStatus
from orders.services import order_set_status
from orders.tests.factories import OrderFactory
from shop.testing.mongo_indexes import serving_candidates
from shop.tests.hot_paths import HOT_QUERIES

pytestmark = [pytest.mark.mongo_server, pytest.mark.django_db]

INDEX_STAGES = ("IXSCAN", "IDHACK")


def winning_plan_stages(explain: dict) -> tuple[list[str], set[str]]:
    """Return the stage names and index names of the winning plans in an explain answer."""
    stages: list[str] = []
    indexes: set[str] = set()

    def walk(node):
        if isinstance(node, dict):
            for key, value in node.items():
                if key == "rejectedPlans":
                    continue
                if key == "stage" and isinstance(value, str):
                    stages.append(value)
                elif key == "indexName" and isinstance(value, str):
                    indexes.add(value)
                else:
                    walk(value)
        elif isinstance(node, list):
            for item in node:
                walk(item)

    walk(explain)
    return stages, indexes


def aggregation_stages_after_cursor(explain: dict) -> list[str]:
    """Return the stages the aggregation layer runs itself (after the query layer's ``$cursor``)."""
    return [next(iter(stage)) for stage in explain.get("stages", [])[1:]]


@pytest.fixture
def seeded():
    """A small shop: categories, products, customers with orders in every status."""
    category = CategoryFactory(slug="electronics")
    products = [ProductFactory(category=category, stock=1000) for _ in range(12)]
    products += [ProductFactory(stock=1000) for _ in range(12)]
    for n in range(6):
        customer = UserFactory()
        for m in range(4):
            order = OrderFactory(customer=customer, items=[(products[(n + m) % len(products)], 1)])
            if m % 2:
                order_set_status(order=order, to_status=OrderStatus.SHIPPED, by=Actor.STAFF)


@pytest.mark.parametrize("hot", HOT_QUERIES, ids=[hot.path for hot in HOT_QUERIES])
def test_the_server_plans_each_hot_query_on_its_index_without_a_blocking_sort(seeded, hot):
    query = hot.capture()
    database = connection.database
    if isinstance(query, dict):
        command = {"find": hot.collection, "filter": query}
    else:
        command = {"aggregate": hot.collection, "pipeline": query, "cursor": {}}
    explain = database.command("explain", command, verbosity="queryPlanner")
    stages, used = winning_plan_stages(explain)
    assert "COLLSCAN" not in stages, explain
    assert any(marker in stage for stage in stages for marker in INDEX_STAGES), explain
    assert "SORT" not in stages, explain
    assert "$sort" not in aggregation_stages_after_cursor(explain), explain
    if used:  # the id fast paths name no index
        assert used <= serving_candidates(hot.collection, query, residual=hot.residual) | {"_id_"}, explain
