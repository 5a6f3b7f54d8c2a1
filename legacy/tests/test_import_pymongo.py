"""The MongoDB source against a real server: runs when ``MONGODB_URI`` names one, skips otherwise.

No MongoDB server can be installed where the suite usually runs, so this is skipped
there (and in ``make test``'s contract pass, whose URI points at no server). With
``MONGODB_URI=mongodb://... make test`` it writes the original service's collections
into a throw-away database on that server, imports them with ``--mongodb-uri`` and
checks the result. Reading is the only part of that source the file tests do not
cover: both sources hand the importer the same decoded documents (``legacy.sources``).
"""

from __future__ import annotations

import json
import os
from io import StringIO

import pytest
from bson import Binary, ObjectId
from django.core.management import call_command
from django.db import connection
from pymongo import MongoClient
from pymongo.errors import PyMongoError

from accounts.models import User
from legacy.tests.legacy_data import OLD_PASSWORD, bcrypt_hash, order_doc, user_doc, werkzeug_scrypt
from orders.models import Order


def reachable_server() -> str | None:
    """Return ``MONGODB_URI`` if a MongoDB server answers there, else None."""
    uri = os.environ.get("MONGODB_URI", "").strip()
    if not uri:
        return None
    timeout = {} if "serverselectiontimeoutms" in uri.lower() else {"serverSelectionTimeoutMS": 2000}
    client = MongoClient(uri, **timeout)
    try:
        client.admin.command("ping")
    except PyMongoError:
        return None
    finally:
        client.close()
    return uri


SERVER = reachable_server()
pytestmark = [
    pytest.mark.django_db,
    pytest.mark.skipif(SERVER is None, reason="needs MONGODB_URI naming a reachable MongoDB server"),
]


@pytest.fixture
def old_database():
    """Return a fresh database on the server for the original service's collections; drop it after."""
    client = MongoClient(SERVER)
    name = f"legacy_import_test_{ObjectId()}"
    yield client[name]
    client.drop_database(name)
    client.close()


def import_from(database, tmp_path) -> dict:
    """Run ``import_legacy --mongodb-uri`` on ``database`` (people, purchases); return its report."""
    report_file = tmp_path / "report.json"
    call_command(
        "import_legacy",
        mongodb_uri=SERVER,
        database=database.name,
        users_collection="people",
        orders_collection="purchases",
        report=str(report_file),
        no_progress=True,
        stdout=StringIO(),
    )
    return json.loads(report_file.read_text())


def test_the_original_database_is_imported_with_its_ids_and_passwords(old_database, tmp_path):
    ann = user_doc("Ann@Example.com", werkzeug_scrypt())
    bob = user_doc("bob@example.com", Binary(bcrypt_hash().encode("ascii")))  # flask-bcrypt's bytes
    old_database.people.insert_many([ann, bob, {"_id": "bad", "email": "x@example.com"}])
    old_database.purchases.insert_many(
        [
            order_doc(ann, products="Pager", Quantity=2, status="Shipped"),
            order_doc(bob, status="In InProgress"),
        ]
    )
    report = import_from(old_database, tmp_path)
    assert report["source"]["kind"] == "mongodb"
    assert (report["users"]["imported"], report["users"]["skipped"]) == (2, 1)
    assert (report["orders"]["imported"], report["orders"]["skipped_by_reason"]) == (1, {"unknown_status": 1})
    assert User.objects.get(email="ann@example.com").check_password(OLD_PASSWORD)
    assert User.objects.get(email="bob@example.com").check_password(OLD_PASSWORD)
    if connection.vendor == "mongodb":
        assert User.objects.filter(pk=ann["_id"]).exists()
        [order] = Order.objects.all()
        assert order.customer_id == ann["_id"]
        assert order.pk == old_database.purchases.find_one({"products": "Pager"})["_id"]

    # Safe to run again against the same database.
    again = import_from(old_database, tmp_path)
    assert again["users"]["imported"] == again["orders"]["imported"] == 0
    assert User.objects.count() == 2 and Order.objects.count() == 1
