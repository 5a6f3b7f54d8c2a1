"""The bench's data-set seeding, run whole under the MongoDB recorder (``make test``'s MongoDB pass).

``bench.dataset.Command`` seeds a tiny data set: every query and bulk insert it makes
is compiled by django-mongodb-backend as it would be sent, and the documents it reads
back are answered only for the lookups that ask for them. Its behaviour is tested on
SQLite in ``test_dataset.py``.
"""

from __future__ import annotations

import pytest
from bson import Decimal128, ObjectId
from django.core.management import call_command

from bench.dataset import Command
from shop.testing.mongo import Answer, record_commands

pytestmark = pytest.mark.mongo


def test_seeding_the_bench_writes_in_bulk():
    emails = ["customer-000001@bench.example.com", "bench-customer@example.com"]
    emails += ["bench-writer@example.com", "bench-staff@example.com"]
    users = tuple({"_id": ObjectId(), "email": email} for email in emails)
    products = tuple(
        {
            "_id": ObjectId(),
            "sku": f"BENCH-{number:04d}",
            "name": f"Bench product {number:04d}",
            "category_id": "bench",
            "price": Decimal128("1.37"),
        }
        for number in range(1, 6)
    )
    answers = [
        # The accounts it has just created, read back by email (values_list("email", "pk")).
        Answer("accounts_user", where=None, documents=users, fields=("email", "_id")),
        Answer("catalog_product", where={"is_active": True}, documents=products, exact=True),
    ]
    with record_commands(answers) as recorder:
        call_command(
            Command(),
            "--customers=1",
            "--orders=3",
            "--catalog-products=40",
            stdout=open("/dev/null", "w"),  # noqa: SIM115
            stderr=open("/dev/null", "w"),  # noqa: SIM115
        )
    inserted = [command for command in recorder.writes if command.method == "insert_many"]
    collections = {command.collection for command in inserted}
    assert {"accounts_user", "orders_order", "orders_orderline", "orders_orderstatuschange"} <= collections
    # The search-growth catalog: the bench's products are inserted, then 40 more in one batch.
    catalog = [command.args[0] for command in inserted if command.collection == "catalog_product"]
    assert [len(batch) for batch in catalog][-1] == 40
