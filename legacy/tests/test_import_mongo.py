"""MongoDB contract of ``import_legacy``: every query and write it makes compiles for django-mongodb-backend.

Runs in ``make test``'s MongoDB pass (``MONGODB_URI`` points at a host where no server
listens), so primary keys are ObjectIds as in production. The real import code runs
under two recorders of ``shop.testing.mongo``, neither of which stands in for a
database in a behaviour test (those run on SQLite, and on a real MongoDB in
``test_import_pymongo``):

* ``captured_reads`` records the pipeline of every read (answering "no rows");
* ``record_writes`` records the insert, update and delete commands handed to pymongo.

Because every read answers "no rows", the order tests give the run its customer
directly (the customer lookup's own queries are compiled in their own test).
``offline`` (legacy/tests/conftest.py) makes the recorders answer as a standalone
server (no transactions), the case where the import's recorded source ids and
compensation matter most.
"""

from __future__ import annotations

from decimal import Decimal

import pytest
from bson import ObjectId
from django.db import DatabaseError

from accounts.hashers import werkzeug_hash_wrap
from accounts.models import User
from accounts.services import token_obtain
from legacy.importer import ImportReport, LegacyImport, keeps_source_ids
from legacy.sources import SourceDocument
from legacy.tests.legacy_data import OLD_PASSWORD, order_doc, user_doc, werkzeug_pbkdf2
from orders import services as order_services
from shop.testing.mongo import (
    Answer,
    assert_index_friendly,
    captured_reads,
    describe,
    fail_nth_write,
    record_commands,
    record_writes,
    user_document,
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
    assert mapping["user_id"] == ann["_id"]  # the recorder answers an insert with the _id sent


def test_a_dry_run_reads_but_never_writes(offline):
    ann = user_doc("ann@example.com")
    with captured_reads() as reads, record_writes() as writes:
        run = new_run(dry_run=True)
        run.users_import(documents(ann))
        run.orders_import(documents(order_doc(ann, type="gadgets", products="Widget")))
    assert writes == []
    assert {collection for collection, _ in reads} >= {"legacy_legacyuserimport", "catalog_category"}


def test_the_customers_of_a_batch_of_orders_are_found_through_their_source_ids():
    customer_ids = sorted([str(ObjectId()), str(ObjectId())])  # the lookup asks in sorted order
    user_ids = [ObjectId(), ObjectId()]
    records = tuple(
        {"_id": ObjectId(), "source_id": source, "user_id": user}
        for source, user in zip(customer_ids, user_ids, strict=True)
    )
    answers = [
        Answer(
            "legacy_legacyuserimport", where={"source_id": {"$in": tuple(customer_ids)}}, documents=records
        )
    ]
    with record_commands(answers) as recorder:
        customers = new_run()._customers(
            [type("Record", (), {"customer_source_id": customer_id})() for customer_id in customer_ids]
        )
    assert customers == dict.fromkeys(customer_ids)  # recorded, but no such user any more
    (by_source, users) = recorder.reads
    assert by_source[0] == "legacy_legacyuserimport"
    assert_index_friendly(by_source[1])
    # in_bulk then asks for the users found, by their ids.
    assert users[0] == "accounts_user"
    assert users[1][0] == {"$match": {"_id": {"$in": tuple(user_ids)}}}


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
    assert mapping["source_id"] == str(document["_id"])
    assert mapping["order_id"] == document["_id"]


def test_without_transactions_a_failed_import_removes_what_it_wrote(offline):
    order_id = ObjectId()
    product = order_services.Product(pk=ObjectId(), sku="S", name="Phone", category_id="electronics")
    customer_id = ObjectId()
    # The history insert (the third write) fails, as a server that went away would.
    with record_commands(fault=fail_nth_write(3)) as recorder, pytest.raises(DatabaseError):
        order_services.order_import(
            customer=User(pk=customer_id),
            product=product,
            quantity=1,
            status="IN_PROGRESS",
            created_at=order_id.generation_time,
            note="",
            order_id=order_id,
        )
    writes = recorder.writes
    assert [(w.collection, w.method) for w in writes] == [
        ("orders_order", "insert_many"),
        ("orders_orderline", "insert_many"),
        ("orders_orderstatuschange", "insert_many"),
        ("orders_orderstatuschange", "delete_many"),
        ("orders_orderline", "delete_many"),
        ("accounts_user", "update_many"),  # a page that showed the order is stale now
    ]
    assert writes[0].args[0][0]["_id"] == order_id
    assert writes[1].args[0][0]["order_id"] == order_id
    assert writes[3].args[0] == writes[4].args[0] == {"order_id": order_id}
    assert writes[5].args[0] == {"_id": customer_id}
    # The next order number is read first (the highest number, by the -number index); deleting
    # the order itself collects it first (here "no rows"; on a server, the order).
    number_read, collect = reads_of(recorder.reads, "orders_order")
    assert number_read[0] == {"$sort": {"number": -1}}
    assert collect[0] == {"$match": {"_id": order_id}}


def test_the_first_login_rewrites_the_old_hash_with_one_update(settings, offline):
    settings.PASSWORD_HASHERS = [
        "accounts.hashers.ShopArgon2PasswordHasher",
        "accounts.hashers.WerkzeugPasswordHasher",
    ]
    user_id = ObjectId()
    stored = user_document(
        user_id, email="ann@example.com", password=werkzeug_hash_wrap(werkzeug_pbkdf2()), is_staff=False
    )
    answers = [Answer("accounts_user", where={"email": "ann@example.com"}, documents=(stored,))]
    with record_commands(answers) as recorder:
        tokens = token_obtain(email="ann@example.com", password=OLD_PASSWORD, client_address="10.0.0.1")
    assert tokens["access"]
    [write] = [command for command in recorder.writes if command.collection == "accounts_user"]
    assert write.method == "update_many"
    criteria, update = write.args
    assert criteria == {"_id": user_id}
    assert update[0]["$set"]["password"]["$literal"].startswith("argon2$argon2id$")
