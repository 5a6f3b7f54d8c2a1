"""MongoDB contract of ``import_legacy``: every query and write it makes compiles for django-mongodb-backend.

Runs in ``make test``'s MongoDB pass (``MONGODB_URI`` points at a host where no server
listens), so primary keys are ObjectIds as in production. The real import code runs
under two recorders of ``shop.testing.mongo``, neither of which stands in for a
database in a behaviour test (those run on SQLite, and on a real MongoDB in
``test_import_pymongo``):

* ``captured_reads`` swaps django-mongodb-backend's ``SQLCompiler.execute_sql`` for one
  that builds each aggregation pipeline exactly as the original does, records it and
  answers "no rows";
* ``record_writes`` records the insert, update and delete commands handed to pymongo.

Because every read answers "no rows", the order tests give the run its customer
directly (the customer lookup's own queries are compiled in their own test).
``offline`` (the orders contract's fixture, through conftest) lets Django's
``transaction.atomic()`` run without connecting and makes ``shop.db.atomic()`` see a
server without transactions (standalone), the case where the import's recorded
source ids and compensation matter most.
"""

from __future__ import annotations

from decimal import Decimal

import pytest
from bson import ObjectId

from accounts.hashers import werkzeug_hash_wrap
from accounts.models import User
from legacy.importer import ImportReport, LegacyImport, keeps_source_ids
from legacy.sources import SourceDocument
from legacy.tests.legacy_data import OLD_PASSWORD, order_doc, user_doc, werkzeug_pbkdf2
from orders import services as order_services
from orders.models import OrderStatusChange
from shop.testing.mongo import (
    assert_index_friendly,
    captured_reads,
    compile_pipeline,
    describe,
    record_writes,
)

pytestmark = pytest.mark.mongo


def documents(*items) -> list[SourceDocument]:
    return [SourceDocument(position=n, line=n, document=item) for n, item in enumerate(items, start=1)]


def new_run(**options) -> LegacyImport:
    return LegacyImport(report=ImportReport(dry_run=options.get("dry_run", False), source={}), **options)


def reads_of(reads, collection: str) -> list[list]:
    return [pipeline for name, pipeline in reads if name == collection]


def test_ids_are_kept_on_mongodb():
    assert keeps_source_ids() is True


def test_users_are_looked_up_by_the_batch_with_in_queries_on_indexed_fields(offline):
    ann, bob = user_doc("Ann@Example.com"), user_doc("bob@example.com")
    with captured_reads() as reads, record_writes():
        new_run().users_import(documents(ann, bob))
    for _collection, pipeline in reads:
        assert_index_friendly(pipeline)
    source_ids = [str(ann["_id"]), str(bob["_id"])]
    [by_source, *_] = reads_of(reads, "legacy_legacyuserimport")
    assert by_source[0] == {"$match": {"source_id": {"$in": tuple(source_ids)}}}
    users = reads_of(reads, "accounts_user")
    [emails] = [
        set(p[0]["$match"]["email"]["$in"])
        for p in users
        if "$in" in describe(p[0].get("$match", {}).get("email"))
    ]
    assert emails == {"ann@example.com", "bob@example.com"}
    # Ids kept: an interrupted run's users are found by their ObjectId.
    assert any(p[0] == {"$match": {"_id": {"$in": (ann["_id"], bob["_id"])}}} for p in users)


def test_a_user_is_inserted_with_its_original_objectid_then_its_source_id_row(offline):
    ann = user_doc("  Ann@Example.COM ", werkzeug_pbkdf2(), first_name="Ann", last_name="Lee")
    with captured_reads(), record_writes() as writes:
        new_run().users_import(documents(ann))
    assert [(w.collection, w.method) for w in writes] == [
        ("accounts_user", "insert_many"),
        ("legacy_legacyuserimport", "insert_many"),
    ]
    [user] = writes[0].args[0]
    assert user["_id"] == ann["_id"]
    assert (user["email"], user["first_name"], user["last_name"]) == ("ann@example.com", "Ann", "Lee")
    assert user["password"] == "werkzeug$" + ann["password"]
    assert user["date_joined"] == ann["_id"].generation_time.replace(tzinfo=None)
    assert (user["is_staff"], user["is_active"]) == (False, True)
    [mapping] = writes[1].args[0]
    assert mapping["source_id"] == str(ann["_id"])
    # record_writes answers an insert with fresh ObjectIds (a server answers with the _id
    # sent), and Django takes the answer as the primary key: so only its type is checked.
    assert isinstance(mapping["user_id"], ObjectId)


def test_a_dry_run_reads_but_never_writes(offline):
    ann = user_doc("ann@example.com")
    with captured_reads() as reads, record_writes() as writes:
        run = new_run(dry_run=True)
        run.users_import(documents(ann))
        run.orders_import(documents(order_doc(ann, type="gadgets", products="Widget")))
    assert writes == []
    assert {collection for collection, _ in reads} >= {"legacy_legacyuserimport", "catalog_category"}


def test_the_customers_of_a_batch_of_orders_are_found_through_their_source_ids():
    customer_ids = [str(ObjectId()), str(ObjectId())]
    with captured_reads() as reads:
        customers = new_run()._customers(
            [type("Record", (), {"customer_source_id": customer_id})() for customer_id in customer_ids]
        )
    assert customers == {}
    [(collection, pipeline)] = reads
    assert collection == "legacy_legacyuserimport"
    assert_index_friendly(pipeline)
    assert set(pipeline[0]["$match"]["source_id"]["$in"]) == set(customer_ids)
    # What in_bulk then asks for the users found.
    user_ids = [ObjectId(), ObjectId()]
    pipeline = compile_pipeline(User.objects.filter(pk__in=user_ids))
    assert_index_friendly(pipeline)
    assert pipeline[0] == {"$match": {"_id": {"$in": tuple(user_ids)}}}


def test_an_order_is_written_with_its_original_objectid_and_no_stock_taken(offline, monkeypatch):
    customer = User(pk=ObjectId(), email="ann@example.com")
    document = order_doc(customer.pk, type="Gadgets", products="Widget", status="Shipped", Quantity=2)
    run = new_run()
    monkeypatch.setattr(run, "_customers", lambda records: {str(customer.pk): customer})
    with captured_reads() as reads, record_writes() as writes:
        run.orders_import(documents(document))
    assert run.report.orders.imported == 1, run.report.problems
    for _collection, pipeline in reads:
        assert_index_friendly(pipeline)
    assert reads_of(reads, "legacy_legacyorderimport")[0][0] == {
        "$match": {"source_id": {"$in": (str(document["_id"]),)}}
    }
    assert reads_of(reads, "orders_order")[0][0] == {"$match": {"_id": {"$in": (document["_id"],)}}}
    # The product lookup of the import includes inactive products: no is_active condition.
    product_lookups = [p for p in reads_of(reads, "catalog_product") if "category_id" in describe(p[0])]
    assert product_lookups and all("is_active" not in describe(p[0]) for p in product_lookups)

    sent = [(w.collection, w.method) for w in writes]
    assert sent == [
        ("catalog_category", "insert_many"),
        ("catalog_product", "insert_many"),
        ("orders_order", "insert_many"),
        ("orders_orderline", "insert_many"),
        ("orders_orderstatuschange", "insert_many"),
        ("accounts_user", "update_many"),
        ("legacy_legacyorderimport", "insert_many"),
    ]
    assert "catalog_product" not in [
        w.collection for w in writes if w.method == "update_many"
    ]  # no stock taken
    [category] = writes[0].args[0]
    assert category["slug"] == "imported"
    [product] = writes[1].args[0]
    assert (product["name"], product["is_active"], product["is_imported"], product["stock"]) == (
        "Widget",
        False,
        True,
        0,
    )
    assert Decimal(str(product["price"])) == Decimal("0.00")
    [order] = writes[2].args[0]
    assert order["_id"] == document["_id"]
    assert order["customer_id"] == customer.pk
    assert order["status"] == "SHIPPED"
    assert order["created_at"] == document["_id"].generation_time.replace(tzinfo=None)
    [line] = writes[3].args[0]
    assert (line["quantity"], line["stock_reserved"], line["unit_price"]) == (2, False, line["line_total"])
    [history] = writes[4].args[0]
    assert (history["from_status"], history["to_status"], history["changed_by"]) == (
        None,
        "SHIPPED",
        "system",
    )
    assert str(document["_id"]) in history["note"]
    assert writes[5].args[0] == {"_id": customer.pk}  # the customer's orders_version bump
    [mapping] = writes[6].args[0]
    assert mapping["source_id"] == str(document["_id"])  # (its order_id: see the user test)


def test_without_transactions_a_failed_import_removes_what_it_wrote(offline, monkeypatch):
    def history_fails(**kwargs):
        raise RuntimeError("the server went away")

    monkeypatch.setattr(OrderStatusChange.objects, "create", history_fails)
    order_id = ObjectId()
    product = order_services.Product(pk=ObjectId(), sku="S", name="Phone", category_id="electronics")
    with captured_reads() as reads, record_writes() as writes, pytest.raises(RuntimeError):
        order_services.order_import(
            customer=User(pk=ObjectId()),
            product=product,
            quantity=1,
            status="IN_PROGRESS",
            created_at=order_id.generation_time,
            note="",
            order_id=order_id,
        )
    assert [(w.collection, w.method) for w in writes] == [
        ("orders_order", "insert_many"),
        ("orders_orderline", "insert_many"),
        ("orders_orderstatuschange", "delete_many"),
        ("orders_orderline", "delete_many"),
    ]
    assert writes[0].args[0][0]["_id"] == order_id
    # The order's primary key as the backend took it from the insert (see the user test).
    written = writes[1].args[0][0]["order_id"]
    assert writes[2].args[0] == writes[3].args[0] == {"order_id": written}
    # Deleting the order itself collects it first (here "no rows"; on a server, the order).
    assert reads_of(reads, "orders_order")[0][0] == {"$match": {"_id": written}}


def test_the_first_login_rewrites_the_old_hash_with_one_update(settings, offline):
    settings.PASSWORD_HASHERS = [
        "accounts.hashers.ShopArgon2PasswordHasher",
        "accounts.hashers.WerkzeugPasswordHasher",
    ]
    user = User(pk=ObjectId(), email="ann@example.com", password=werkzeug_hash_wrap(werkzeug_pbkdf2()))
    with record_writes() as writes:
        assert user.check_password(OLD_PASSWORD)
    [write] = writes
    assert (write.collection, write.method) == ("accounts_user", "update_many")
    criteria, update = write.args
    assert criteria == {"_id": user.pk}
    assert update[0]["$set"]["password"]["$literal"].startswith("argon2$argon2id$")
