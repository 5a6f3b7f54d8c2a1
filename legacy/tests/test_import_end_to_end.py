"""Moving from the original service, end to end, through HTTP as its customers would.

Import mongoexport files made here (a werkzeug and a bcrypt customer, their orders);
log in on the legacy ``/login`` and on v1 with the old passwords; see the imported
orders in ``GET /order`` and ``GET /api/v1/orders/``; find each stored hash re-hashed
with the shop's Argon2id (the production hasher order, Argon2 first).
"""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from django.contrib.auth.hashers import identify_hasher
from django.core.management import call_command
from rest_framework.test import APIClient

from accounts.models import User
from legacy.tests.helpers import LOGIN, ORDER, bearer
from legacy.tests.legacy_data import (
    OLD_PASSWORD,
    bcrypt_hash,
    import_files,
    object_id_at,
    order_doc,
    user_doc,
    werkzeug_pbkdf2,
)

pytestmark = pytest.mark.django_db

PRODUCTION_HASHERS = [
    "accounts.hashers.ShopArgon2PasswordHasher",
    "accounts.hashers.WerkzeugPasswordHasher",
    "accounts.hashers.LegacyBCryptPasswordHasher",
]
TOKEN = "/api/v1/auth/token/"


@pytest.fixture(autouse=True)
def production_hashers(settings):
    settings.PASSWORD_HASHERS = PRODUCTION_HASHERS


def stored_algorithm(email: str) -> str:
    return identify_hasher(User.objects.get(email=email).password).algorithm


def test_old_customers_log_in_with_old_passwords_and_find_their_old_orders(tmp_path):
    call_command("load_demo_catalog", verbosity=0)
    ann = user_doc("Ann@Example.com", werkzeug_pbkdf2())
    bob = user_doc("bob@example.com", bcrypt_hash(version="2y"))
    older = order_doc(ann, _id=object_id_at(datetime(2022, 5, 1, tzinfo=UTC)), status="Shipped", Quantity=2)
    newer = order_doc(
        ann, _id=object_id_at(datetime(2023, 1, 9, tzinfo=UTC)), products="phone", status="IN PROGRESS"
    )
    import_files(tmp_path, users=[ann, bob], orders=[older, newer])
    assert stored_algorithm("ann@example.com") == "werkzeug"

    # The legacy /login, with the email in any case and the old password.
    response = APIClient().post(LOGIN, {"email": "ANN@example.com", "password": OLD_PASSWORD}, format="json")
    assert response.status_code == 200, response.content
    assert stored_algorithm("ann@example.com") == "argon2"
    assert User.objects.get(email="ann@example.com").password.startswith("argon2$argon2id$")
    customer = bearer(response.json()["access_token"])
    user = User.objects.get(email="ann@example.com")

    # GET /order: the imported orders, newest first, in the original keys.
    body = customer.get(ORDER).json()
    assert [row["_id"] for row in body["data"]] == [
        str(order.pk) for order in user.orders.order_by("-created_at")
    ]
    first, second = body["data"]
    assert {key: first[key] for key in ("type", "products", "quantity", "status", "customer_id")} == {
        "type": "electronics",
        "products": "Phone",
        "quantity": 1,
        "status": "IN_PROGRESS",
        "customer_id": str(user.pk),
    }
    assert (second["status"], second["quantity"], second["total"]) == ("SHIPPED", 2, "0.00")
    assert second["created_at"].startswith("2022-05-01T00:00:00")

    # GET /api/v1/orders/: the same orders with their one history entry.
    page = customer.get("/api/v1/orders/").json()
    assert [order["id"] for order in page["results"]] == [row["_id"] for row in body["data"]]
    assert page["results"][1]["history"] == [
        {
            "from_status": None,
            "to_status": "SHIPPED",
            "changed_at": page["results"][1]["history"][0]["changed_at"],
            "changed_by": "system",
        }
    ]
    assert page["results"][1]["items"][0]["line_total"] == "0.00"

    # After the upgrade the same password still works (now checked by Argon2id); a wrong one does not.
    assert (
        APIClient()
        .post(LOGIN, {"email": "ann@example.com", "password": OLD_PASSWORD}, format="json")
        .status_code
        == 200
    )
    assert (
        APIClient()
        .post(LOGIN, {"email": "ann@example.com", "password": "wrong-Passw0rd"}, format="json")
        .status_code
        == 401
    )

    # The v1 token endpoint upgrades too (a bcrypt $2y$ hash of flask-bcrypt here).
    assert stored_algorithm("bob@example.com") == "bcrypt"
    response = APIClient().post(TOKEN, {"email": "bob@example.com", "password": OLD_PASSWORD}, format="json")
    assert response.status_code == 200
    assert stored_algorithm("bob@example.com") == "argon2"
    assert bearer(response.json()["access"]).get(ORDER).json()["data"] == []


def test_a_wrong_password_never_upgrades_the_old_hash(tmp_path):
    import_files(tmp_path, users=[user_doc("ann@example.com", werkzeug_pbkdf2())])
    before = User.objects.get().password
    response = APIClient().post(
        LOGIN, {"email": "ann@example.com", "password": "not-the-0ld-one"}, format="json"
    )
    assert response.status_code == 401
    assert User.objects.get().password == before
