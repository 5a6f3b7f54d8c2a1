"""Saved addresses and password reset, run whole under the MongoDB recorder.

Runs in ``make test``'s MongoDB pass: each test drives real requests through the test
client under ``record_commands``, so every query the address and reset code sends is
compiled by django-mongodb-backend and recorded (and counted by the query-site guard).
Behaviour is proven on SQLite and on a real server; this shows what would be sent.
"""

from __future__ import annotations

from datetime import UTC, datetime
from urllib.parse import parse_qs, urlsplit

import pytest
from bson import ObjectId
from django.contrib.auth.hashers import make_password
from django.test import Client
from django.urls import reverse
from rest_framework.test import APIClient

from accounts import selectors, services
from accounts.models import User
from accounts.tests.factories import DEFAULT_PASSWORD
from accounts.tokens import issue_token_pair
from shop.testing.mongo import Answer, compile_pipeline, record_commands, session_answers, user_document
from shop.testing.mongo_indexes import assert_served_by_index

pytestmark = pytest.mark.mongo

USER_ID = ObjectId("65277a812b73bb530ad77307")
ADDRESS_ID = ObjectId("65277a812b73bb530ad77401")
OTHER_ADDRESS_ID = ObjectId("65277a812b73bb530ad77402")
NOW = datetime(2026, 11, 29, 15, 20, 30, tzinfo=UTC).replace(tzinfo=None)
OFFICE = {
    "full_name": "Ann Lee",
    "line1": "1 Market Street",
    "line2": "",
    "city": "San Francisco",
    "postal_code": "94105",
    "region": "CA",
    "country": "US",
    "phone": "+14155552671",
}
CUSTOMER = user_document(
    USER_ID,
    email="ann@example.com",
    password=make_password(DEFAULT_PASSWORD),
    is_staff=False,
    is_superuser=False,
)
ADDRESS = {"_id": ADDRESS_ID, "customer_id": USER_ID, **OFFICE, "is_default": True, "created_at": NOW}
ANSWERS = [
    Answer("accounts_user", where={"_id": USER_ID}, documents=(CUSTOMER,)),
    Answer("accounts_address", where={"_id": ADDRESS_ID, "customer_id": USER_ID}, documents=(ADDRESS,)),
    Answer("accounts_address", where={"customer_id": USER_ID}, documents=(ADDRESS,)),
]


def bearer() -> APIClient:
    user = User(pk=USER_ID, email="ann@example.com", token_version=CUSTOMER["token_version"])
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {issue_token_pair(user)['access']}")
    return client


def writes(recorder) -> list[tuple[str, str]]:
    return [(command.collection, command.method) for command in recorder.writes]


def test_the_address_list_and_detail_read_by_customer_and_index():
    client = bearer()
    with record_commands(ANSWERS) as recorder:
        listed = client.get("/api/v1/accounts/me/addresses/")
        detail = client.get(f"/api/v1/accounts/me/addresses/{ADDRESS_ID}/")
    assert listed.status_code == 200 and listed.json()[0]["id"] == str(ADDRESS_ID)
    assert detail.json()["country"] == "US"
    reads = [pipeline for collection, pipeline in recorder.reads if collection == "accounts_address"]
    assert len(reads) == 2
    for pipeline in reads:
        assert_served_by_index("accounts_address", pipeline)


def test_another_customers_address_is_asked_for_with_the_callers_id_too():
    pipeline = compile_pipeline(selectors.address_list(user=User(pk=USER_ID)).filter(pk=OTHER_ADDRESS_ID))
    assert pipeline[0]["$match"] == {"$and": [{"customer_id": USER_ID}, {"_id": OTHER_ADDRESS_ID}]}


def test_saving_an_address_counts_inserts_and_switches_the_default_in_one_transaction():
    with record_commands(ANSWERS) as recorder:
        response = bearer().post(
            "/api/v1/accounts/me/addresses/", {**OFFICE, "is_default": True}, format="json"
        )
    assert response.status_code == 201, response.content
    assert writes(recorder) == [
        ("accounts_address", "insert_many"),
        ("accounts_address", "update_many"),  # the previous default stops being it
        ("accounts_address", "update_many"),  # this one becomes it
    ]
    assert all(command.in_transaction for command in recorder.writes)
    created_id = recorder.writes[2].args[0]["_id"]
    assert recorder.writes[1].args[0] == {
        "$and": [{"customer_id": USER_ID}, {"is_default": True}, {"$nor": [{"_id": created_id}]}]
    }


def test_changing_and_deleting_an_address_write_by_id():
    client = bearer()
    with record_commands(ANSWERS) as recorder:
        changed = client.patch(
            f"/api/v1/accounts/me/addresses/{ADDRESS_ID}/",
            {"city": "Oakland", "is_default": False},
            format="json",
        )
        deleted = client.delete(f"/api/v1/accounts/me/addresses/{ADDRESS_ID}/")
    assert (changed.status_code, deleted.status_code) == (200, 204)
    assert ("accounts_address", "delete_many") in writes(recorder)
    assert recorder.writes[0].args[0] == {"_id": ADDRESS_ID}


def test_a_reset_request_counts_and_looks_the_email_up():
    with record_commands(ANSWERS) as recorder:
        user = services.password_reset_request(email="Ann@Example.com", client_address="10.0.0.1")
    assert user is None  # no document answers the email lookup here
    assert ("accounts_loginfailurecounter", "update_many") in writes(recorder)
    lookups = [pipeline for collection, pipeline in recorder.reads if collection == "accounts_user"]
    assert lookups == [[{"$match": {"email": "ann@example.com"}}, {"$limit": 1}]]
    assert_served_by_index("accounts_user", lookups[0])


def test_a_reset_confirmation_reads_the_user_by_id_and_sets_the_password():
    user = User(**{key: value for key, value in CUSTOMER.items() if key != "_id"}, pk=USER_ID)
    user.last_login = None
    query = parse_qs(urlsplit(services.password_reset_link(user=user)).query)
    body = {"uid": query["uid"][0], "token": query["token"][0], "new_password": "Tall-Maple-Orbit-93"}
    with record_commands(ANSWERS) as recorder:
        response = APIClient().post("/api/v1/auth/password-reset/confirm/", body, format="json")
    assert response.status_code == 204, response.content
    (update,) = [command for command in recorder.writes if command.collection == "accounts_user"]
    assert update.args[0] == {"_id": USER_ID}
    assert set(update.args[1][0]["$set"]) == {"password", "token_version", "tokens_valid_after"}


# --- The admin ---------------------------------------------------------------------------------

STAFF = user_document(ObjectId("65277a812b73bb530ad773ff"))
SESSION_KEY = "a" * 32


def admin_answers() -> list[Answer]:
    return [
        *session_answers(STAFF, session_key=SESSION_KEY),
        Answer("accounts_address", where=None, documents=(ADDRESS,)),
        Answer("accounts_address", where={"_id": ADDRESS_ID}, documents=(ADDRESS,)),
        *ANSWERS,
    ]


def admin() -> Client:
    client = Client()
    client.cookies["sessionid"] = SESSION_KEY
    return client


def test_staff_browse_addresses_and_a_users_page_lists_them():
    client = admin()
    with record_commands(admin_answers()) as recorder:
        assert client.get(reverse("admin:accounts_address_changelist")).status_code == 200
        assert client.get(reverse("admin:accounts_address_changelist"), {"q": "Lyon"}).status_code == 200
        assert client.get(reverse("admin:accounts_address_change", args=[ADDRESS_ID])).status_code == 200
        assert client.get(reverse("admin:accounts_user_change", args=[USER_ID])).status_code == 200
        assert client.get(reverse("admin:accounts_address_delete", args=[ADDRESS_ID])).status_code == 403
    assert not [command for command in recorder.writes if command.collection == "accounts_address"]
