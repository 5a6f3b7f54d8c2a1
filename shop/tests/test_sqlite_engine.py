"""The shop's SQLite engine (``shop.sqlite``): boolean filters an index serves, same answers;
a commit state that any commit, by any connection, moves; writers that wait for each other.

The plans are SQLite's own (``EXPLAIN QUERY PLAN``) for the queries the product list
really sends, captured through HTTP; the MongoDB side of the same pages is checked by
``test_mongo_indexes.py`` and ``test_mongo_explain.py``.
"""

from __future__ import annotations

import threading
import time
from urllib.parse import urlencode

import pytest
from django.db import connection, transaction
from django.db.models import BooleanField, Exists, ExpressionWrapper, F, OuterRef, Q
from django.test.utils import CaptureQueriesContext
from rest_framework.test import APIClient

from catalog.models import Category, Product
from catalog.tests.factories import CategoryFactory, ProductFactory
from shop import transactions
from shop.db import commit_state
from shop.errors import DatabaseBusy
from shop.tests.hot_paths import PRODUCT_LIST_INDEXES

pytestmark = [
    pytest.mark.django_db,
    pytest.mark.skipif(connection.vendor != "sqlite", reason="SQLite engine only"),
]


@pytest.fixture
def catalog():
    """Two categories of active products, some sold out, and a few inactive ones.

    Named for the hot paths' parameters (``electronics``, a search for "pho").
    """
    electronics, chairs = CategoryFactory(slug="electronics"), CategoryFactory(slug="chairs")
    for number in range(30):
        ProductFactory(
            category=electronics if number % 2 else chairs,
            name=f"{'Brass phone' if number % 5 == 0 else 'Oak stool'} {number:02d}",
            price=f"{10 + number}.00",
            stock=0 if number % 7 == 0 else 5,
        )
    inactive = [ProductFactory(category=electronics, is_active=False) for _ in range(3)]
    return {"electronics": electronics, "chairs": chairs, "inactive": inactive}


def test_an_engine_of_the_shop_serves_the_sqlite_profile():
    assert connection.settings_dict["ENGINE"] == "shop.sqlite"
    assert connection.vendor == "sqlite"


def test_a_boolean_filter_compares_the_column_with_a_literal():
    sql, params = Product.objects.filter(is_active=True).query.sql_with_params()

    assert '"catalog_product"."is_active" = %s' in sql
    assert params == (True,)


@pytest.mark.parametrize(
    ("queryset", "expect_active"),
    [
        (lambda: Product.objects.filter(is_active=True), True),
        (lambda: Product.objects.filter(is_active=False), False),
        (lambda: Product.objects.exclude(is_active=True), False),
        (lambda: Product.objects.filter(~Q(is_active=False)), True),
    ],
)
def test_boolean_filters_keep_their_answers(catalog, queryset, expect_active):
    found = set(queryset().values_list("pk", flat=True))

    expected = set(Product.objects.values_list("pk", flat=True))
    inactive = {product.pk for product in catalog["inactive"]}
    assert found == (expected - inactive if expect_active else inactive)


def test_conditions_that_are_not_columns_keep_their_answers(catalog):
    # An Exists subquery, a Q tree and a wrapped condition are conditions in their own right.
    with_inactive = Category.objects.filter(
        Exists(Product.objects.filter(category=OuterRef("slug"), is_active=False))
    )
    sold_out_or_inactive = Product.objects.filter(Q(stock=0) | Q(is_active=False))
    in_stock = Product.objects.alias(
        available=ExpressionWrapper(Q(stock__gt=0), output_field=BooleanField())
    ).filter(available=True)

    assert list(with_inactive.values_list("slug", flat=True)) == ["electronics"]
    assert sold_out_or_inactive.count() == 5 + 3  # numbers 0, 7, 14, 21, 28; the inactive three
    assert in_stock.count() == 30 + 3 - 5


def plans_of_product_queries(path: str) -> list[tuple[str, str]]:
    """Return (SQL, plan) of each query on the product table that ``GET path`` sends."""
    with CaptureQueriesContext(connection) as captured:
        response = APIClient().get(path)
    assert response.status_code == 200, response.content
    plans = []
    with connection.cursor() as cursor:
        for query in captured.captured_queries:
            if 'FROM "catalog_product"' not in query["sql"]:
                continue
            cursor.execute(f"EXPLAIN QUERY PLAN {query['sql']}")
            plans.append((query["sql"], " / ".join(row[-1] for row in cursor.fetchall())))
    assert plans, f"{path} read no products"
    return plans


@pytest.mark.parametrize(("params", "index"), PRODUCT_LIST_INDEXES, ids=lambda value: str(value))
def test_each_product_page_walks_its_index_in_order(settings, catalog, params, index):
    settings.CATALOG_CACHE_SECONDS = 0
    path = f"/api/v1/products/?{urlencode(params)}"
    page_plan = next(plan for sql, plan in plans_of_product_queries(path) if "LIMIT" in sql)

    assert f"USING INDEX {index} (is_active=?" in page_plan, page_plan
    assert "TEMP B-TREE" not in page_plan, page_plan


def test_counting_the_active_products_reads_an_index_only(settings, catalog):
    settings.CATALOG_CACHE_SECONDS = 0
    count_plan = next(
        plan for sql, plan in plans_of_product_queries("/api/v1/products/") if "COUNT(*)" in sql
    )

    assert "USING COVERING INDEX" in count_plan and "(is_active=?)" in count_plan, count_plan


# --- the commit state (``DatabaseWrapper.commit_state``, ``shop.db.commit_state``) -----------


def rename_first_product(through, name: str) -> None:
    """Rename the first product with an UPDATE through the connection ``through``, committed."""
    with through.cursor() as cursor:
        cursor.execute(
            "UPDATE catalog_product SET name = %s WHERE id = (SELECT MIN(id) FROM catalog_product)", [name]
        )


@pytest.mark.django_db(transaction=True)
def test_the_commit_state_stands_still_while_nothing_is_committed(catalog):
    state = commit_state()
    Product.objects.count()
    list(Product.objects.filter(is_active=True)[:5])
    assert state is not None
    assert commit_state() == state


@pytest.mark.django_db(transaction=True)
def test_a_commit_by_another_connection_moves_the_commit_state(catalog, other_worker_connection):
    state = commit_state()
    rename_first_product(other_worker_connection, "Renamed elsewhere")
    assert commit_state() != state


@pytest.mark.django_db(transaction=True)
def test_a_write_of_this_connection_moves_the_commit_state(catalog):
    state = commit_state()
    Product.objects.filter(pk=Product.objects.order_by("pk")[0].pk).update(name="Renamed here")
    assert commit_state() != state


@pytest.mark.django_db(transaction=True)
def test_a_write_rolled_back_still_moves_the_commit_state(catalog):
    """A needless change of state, never a missed one."""
    state = commit_state()
    with pytest.raises(RuntimeError), transaction.atomic():
        Product.objects.update(stock=F("stock") + 1)
        raise RuntimeError("roll it back")
    assert commit_state() != state


@pytest.mark.django_db(transaction=True)
def test_a_new_connection_never_takes_the_state_of_an_old_one(catalog):
    state = commit_state()
    connection.close()
    assert commit_state() != state
    assert commit_state()[0] > state[0]


def test_there_is_no_commit_state_inside_a_transaction(catalog):
    """The test runs in a transaction (a request would in ``atomic``): callers read the database."""
    assert connection.in_atomic_block
    assert commit_state() is None


# --- Waiting for another writer ----------------------------------------------------------


@pytest.fixture
def write_lock_of_another_worker(other_worker_connection):
    """Hold the database's write lock on another connection; ``release(after=s)`` lets it go from a thread."""
    other_worker_connection.ensure_connection()
    raw = other_worker_connection.connection
    raw.execute("BEGIN IMMEDIATE")

    class Lock:
        @staticmethod
        def release(*, after: float) -> threading.Timer:
            timer = threading.Timer(after, raw.rollback)
            timer.start()
            return timer

    yield Lock
    if raw.in_transaction:
        raw.rollback()


def test_sqlite_leaves_the_waiting_for_locks_to_the_engine(catalog):
    """SQLite's own busy handler sleeps 1, 2, 5, 10 ms... between tries: it is off."""
    connection.ensure_connection()
    assert connection.connection.execute("PRAGMA busy_timeout").fetchone() == (0,)
    assert connection.busy_timeout_seconds == connection.settings_dict["OPTIONS"].get("timeout", 5.0)


@pytest.mark.django_db(transaction=True)
def test_an_operation_waits_for_another_workers_write_lock_then_writes(write_lock_of_another_worker):
    release = write_lock_of_another_worker.release(after=0.3)
    started = time.monotonic()
    transactions.run(lambda: Category.objects.create(slug="waited", name="Waited"))
    assert time.monotonic() - started >= 0.25
    release.join()
    assert Category.objects.filter(slug="waited").exists()


@pytest.mark.django_db(transaction=True)
def test_a_write_outside_a_transaction_waits_for_the_lock_too(catalog, write_lock_of_another_worker):
    category = catalog["chairs"]
    release = write_lock_of_another_worker.release(after=0.3)
    assert Category.objects.filter(pk=category.pk).update(name="After") == 1
    release.join()
    assert Category.objects.get(pk=category.pk).name == "After"


@pytest.mark.django_db(transaction=True)
def test_a_lock_held_past_the_timeout_is_database_busy_and_nothing_is_written(
    write_lock_of_another_worker, monkeypatch
):
    connection.ensure_connection()  # A new connection would take the configured timeout.
    monkeypatch.setattr(connection, "busy_timeout_seconds", 0.2)
    started = time.monotonic()
    with pytest.raises(DatabaseBusy):
        transactions.run(lambda: Category.objects.create(slug="refused", name="Refused"))
    assert 0.15 <= time.monotonic() - started < 5
    write_lock_of_another_worker.release(after=0).join()
    assert not Category.objects.filter(slug="refused").exists()
