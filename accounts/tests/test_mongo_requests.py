"""Every accounts request and command, run whole under the MongoDB recorder.

Runs in ``make test``'s MongoDB pass. Each test drives a real request (through the
test client, so middleware, authentication and sessions run too) or a management
command under ``record_commands``: every query the code sends is compiled by
django-mongodb-backend and recorded, and the stored documents it needs are
answered only for the exact lookups that ask for them (``Answer``). The query-site
guard (``shop/testing/query_sites.py``) counts these runs; behaviour is proven on
SQLite and on a real server.
"""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from bson import ObjectId
from django.contrib.auth.hashers import make_password
from django.core.management import call_command
from django.test import Client
from rest_framework.test import APIClient

from accounts import services
from accounts.models import User
from accounts.tests.factories import DEFAULT_PASSWORD
from accounts.tokens import issue_token_pair
from shop.testing.mongo import (
    Answer,
    assert_index_friendly,
    record_commands,
    session_answers,
    user_document,
)
from shop.testing.mongo_indexes import assert_served_by_index

pytestmark = pytest.mark.mongo

USER_ID = ObjectId("65277a812b73bb530ad77307")
STAFF_ID = ObjectId("65277a812b73bb530ad773ff")
SESSION_KEY = "s" * 32
PASSWORD_HASH = make_password(DEFAULT_PASSWORD)


def customer_document(**fields) -> dict:
    return user_document(
        USER_ID, email="ann@example.com", password=PASSWORD_HASH, is_staff=False, is_superuser=False, **fields
    )


def bearer(document: dict) -> APIClient:
    user = User(pk=document["_id"], email=document["email"], token_version=document["token_version"])
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {issue_token_pair(user)['access']}")
    return client


def by_id(document: dict) -> Answer:
    return Answer("accounts_user", where={"_id": document["_id"]}, documents=(document,))


def writes(recorder) -> list[tuple[str, str]]:
    return [(command.collection, command.method) for command in recorder.writes]


def test_registration_checks_the_address_then_inserts_one_user():
    with record_commands() as recorder:
        response = APIClient().post(
            "/api/v1/auth/register/",
            {
                "email": "New@Example.com",
                "password": "a-Long-passphrase-2026",
                "first_name": "N",
                "last_name": "W",
            },
            format="json",
        )
    assert response.status_code == 201, response.content
    # The registration counter of the address, then the user.
    assert writes(recorder) == [
        ("accounts_loginfailurecounter", "update_many"),
        ("accounts_user", "insert_many"),
    ]
    assert recorder.writes[1].args[0][0]["email"] == "new@example.com"
    for collection, pipeline in recorder.reads:
        assert_served_by_index(collection, pipeline)


def test_the_profile_is_read_with_the_token_and_patched_by_id():
    document = customer_document()
    client = bearer(document)
    with record_commands([by_id(document)]) as recorder:
        assert client.get("/api/v1/accounts/me/").json()["email"] == "ann@example.com"
        assert client.patch("/api/v1/accounts/me/", {"first_name": "Anne"}, format="json").status_code == 200
    assert writes(recorder) == [("accounts_user", "update_many")]
    assert recorder.writes[0].args[0] == {"_id": USER_ID}


def test_a_password_change_writes_hash_and_token_version_in_one_update():
    document = customer_document()
    with record_commands([by_id(document)]) as recorder:
        response = bearer(document).post(
            "/api/v1/accounts/me/password/",
            {"current_password": DEFAULT_PASSWORD, "new_password": "another-Long-passphrase-2026"},
            format="json",
        )
    assert response.status_code == 204, response.content
    (update,) = [command for command in recorder.writes if command.collection == "accounts_user"]
    assert set(update.args[1][0]["$set"]) == {"password", "token_version", "tokens_valid_after"}
    assert update.in_transaction


def test_logout_all_with_a_browser_session_too_bumps_the_token_version():
    document = customer_document()
    client = bearer(document)
    client.cookies["sessionid"] = SESSION_KEY
    with record_commands(session_answers(document, session_key=SESSION_KEY)) as recorder:
        assert client.post("/api/v1/auth/logout-all/").status_code == 204
    assert ("accounts_user", "update_many") in writes(recorder)
    assert ("accounts_usersession", "delete_many") in writes(recorder)  # the session ends with the tokens


def test_a_failed_login_creates_the_counters_when_none_exists_yet():
    with record_commands(matched=0) as recorder:
        response = APIClient().post(
            "/api/v1/auth/token/", {"email": "ann@example.com", "password": "wrong"}, format="json"
        )
    assert response.status_code == 401
    assert (
        writes(recorder).count(("accounts_loginfailurecounter", "insert_many")) == 3
    )  # pair, address, email


def test_the_purge_command_deletes_expired_revocations_and_counters():
    with record_commands() as recorder:
        call_command("purge_revoked_tokens", stdout=open("/dev/null", "w"))  # noqa: SIM115
    deleted = {command.collection for command in recorder.writes if command.method == "delete_many"}
    assert deleted <= {"accounts_revokedtoken", "accounts_loginfailurecounter"}
    for collection, pipeline in recorder.reads:
        assert_index_friendly(pipeline)
        assert collection in {"accounts_revokedtoken", "accounts_loginfailurecounter"}


def test_purges_read_by_their_indexed_dates():
    with record_commands() as recorder:
        services.revoked_tokens_purge(now=datetime(2026, 12, 1, tzinfo=UTC))
        services.login_failures_purge(now=datetime(2026, 12, 1, tzinfo=UTC))
    for collection, pipeline in recorder.reads:
        assert_served_by_index(collection, pipeline)


def test_the_demo_staff_command_looks_the_address_up_and_creates_the_superuser(settings):
    settings.DEBUG = True
    with record_commands() as recorder:
        call_command("ensure_demo_staff", stdout=open("/dev/null", "w"))  # noqa: SIM115
    assert writes(recorder) == [("accounts_user", "insert_many")]
    assert recorder.writes[0].args[0][0]["is_superuser"] is True


def test_the_admin_login_reads_the_user_by_email_and_saves_a_session():
    staff = user_document(STAFF_ID, password=PASSWORD_HASH)
    answers = [
        Answer("accounts_user", where={"email": "staff@example.com"}, documents=(staff,)),
        by_id(staff),
    ]
    client = Client()
    with record_commands(answers) as recorder:
        page = client.get("/admin/login/")
        response = client.post(
            "/admin/login/?next=/admin/",
            {"username": "staff@example.com", "password": DEFAULT_PASSWORD, "next": "/admin/"},
        )
    assert page.status_code == 200
    assert response.status_code == 302, response.content
    sent = writes(recorder)
    assert ("accounts_usersession", "insert_many") in sent
    assert ("accounts_user", "update_many") in sent  # last_login
    # The session is created when the key is cycled, then saved with its user at the response.
    last = [command for command in recorder.writes if command.collection == "accounts_usersession"][-1]
    assert last.method == "update_many"
    assert last.args[1][0]["$set"]["user_id"] == {"$literal": STAFF_ID}


def test_a_browser_session_is_loaded_by_key_and_saved_by_key():
    staff = user_document(STAFF_ID, password=PASSWORD_HASH)
    client = Client()
    client.cookies["sessionid"] = SESSION_KEY
    with record_commands(session_answers(staff, session_key=SESSION_KEY)) as recorder:
        assert client.get("/admin/").status_code == 200
        assert client.post("/admin/logout/").status_code == 200
    sessions = [pipeline for collection, pipeline in recorder.reads if collection == "accounts_usersession"]
    assert sessions
    for pipeline in sessions:
        assert_served_by_index("accounts_usersession", pipeline)


def test_the_legacy_account_deletion_by_staff_looks_the_target_up_by_id():
    staff = user_document(STAFF_ID, password=PASSWORD_HASH)
    target = customer_document()
    with record_commands([by_id(staff), by_id(target)]) as recorder:
        response = bearer(staff).delete(f"/users/{USER_ID}")
    assert response.status_code == 200, response.content
    assert writes(recorder)[-1] == ("accounts_user", "delete_many")


def test_the_natural_key_lookup_is_the_canonical_email():
    with record_commands([by_id(customer_document())]) as recorder, pytest.raises(User.DoesNotExist):
        User.objects.get_by_natural_key("ANN@Example.com")
    assert recorder.reads[0][1][0] == {"$match": {"email": "ann@example.com"}}


def test_a_counter_created_meanwhile_by_another_request_is_bumped_instead():
    from pymongo.errors import DuplicateKeyError

    from shop.testing.mongo import fail_every_write

    def duplicate():
        return DuplicateKeyError("E11000 duplicate key error", code=11000)

    keys = services.login_failure_keys(email="ann@example.com", client_address="10.0.0.1")
    fault = fail_every_write(duplicate, collection="accounts_loginfailurecounter")

    def only_inserts(command):
        return fault(command) if command.method == "insert_many" else None

    with record_commands(matched=0, fault=only_inserts) as recorder:
        services.login_failure_record(keys=keys, now=datetime(2026, 12, 1, tzinfo=UTC))
    # Per key: the bump finds no row, the insert loses the race, the bump is made again.
    assert (
        writes(recorder)
        == [
            ("accounts_loginfailurecounter", "update_many"),
            ("accounts_loginfailurecounter", "insert_many"),
            ("accounts_loginfailurecounter", "update_many"),
        ]
        * 3
    )


def admin_client(document: dict) -> Client:
    client = Client()
    client.cookies["sessionid"] = SESSION_KEY
    return client


def test_a_staff_member_without_superuser_rights_gets_permissions_read_from_the_database():
    staff = user_document(STAFF_ID, password=PASSWORD_HASH, is_superuser=False)
    with record_commands(session_answers(staff, session_key=SESSION_KEY)) as recorder:
        assert admin_client(staff).get("/admin/").status_code == 200
    collections = {collection for collection, _ in recorder.reads}
    assert {"accounts_user_user_permissions", "auth_permission"} & collections or "auth_group" in str(
        recorder.reads
    )


def test_the_admin_deletes_an_account_and_sets_a_password_through_the_services():
    staff = user_document(STAFF_ID, password=PASSWORD_HASH)
    target = customer_document()
    answers = [*session_answers(staff, session_key=SESSION_KEY), by_id(target)]
    client = admin_client(staff)
    password_url = f"/admin/accounts/user/{USER_ID}/password/"
    delete_url = f"/admin/accounts/user/{USER_ID}/delete/"
    new = "another-Long-passphrase-2026"
    with record_commands(answers) as recorder:
        assert client.get(password_url).status_code == 200
        response = client.post(password_url, {"password1": new, "password2": new, "usable_password": "true"})
        assert response.status_code == 302, response.content
    assert ("accounts_usersession", "delete_many") in writes(recorder)  # the user's sessions ended
    # Django gave the staff member's own session a new key meanwhile: start from the known one.
    client = admin_client(staff)
    with record_commands(answers) as recorder:
        assert client.get(delete_url).status_code == 200
        assert client.post(delete_url, {"post": "yes"}).status_code == 302
    assert writes(recorder).count(("accounts_user", "delete_many")) == 1
