"""``import_legacy``, users: emails as registration stores them, old passwords that still work, bad documents.

Every test writes mongoexport files made in the test (``legacy_data``) and runs the
command on them; the data is checked through the ORM and Django's password check.
"""

from __future__ import annotations

import json

import pytest
from bson import ObjectId
from django.contrib.auth.hashers import identify_hasher

from accounts.models import User
from accounts.tests.factories import UserFactory
from legacy.models import LegacyUserImport
from legacy.tests.legacy_data import (
    OLD_PASSWORD,
    bcrypt_hash,
    import_files,
    user_doc,
    werkzeug_pbkdf2,
    werkzeug_scrypt,
)

pytestmark = pytest.mark.django_db


def report_of(tmp_path, users, **options) -> dict:
    """Import ``users`` and return the JSON report."""
    report = tmp_path / "report.json"
    import_files(tmp_path, users=users, report=str(report), **options)
    return json.loads(report.read_text())


def problem_reasons(report: dict) -> dict[str, str]:
    """Return ``{source id: reason}`` of the report's problems."""
    return {problem["source_id"]: problem["reason"] for problem in report["problems"]}


@pytest.mark.parametrize(
    ("make_hash", "algorithm"),
    [
        (werkzeug_pbkdf2, "werkzeug"),
        (werkzeug_scrypt, "werkzeug"),
        (lambda: bcrypt_hash(version="2b"), "bcrypt"),
        (lambda: bcrypt_hash(version="2a"), "bcrypt"),
        (lambda: bcrypt_hash(version="2y"), "bcrypt"),
        (
            lambda: bcrypt_hash(version="2b").encode("ascii"),
            "bcrypt",
        ),  # flask-bcrypt stores bytes (BSON binary)
    ],
    ids=["pbkdf2", "scrypt", "bcrypt-2b", "bcrypt-2a", "bcrypt-2y", "bcrypt-binary"],
)
def test_old_hashes_are_kept_and_check_the_old_password(tmp_path, make_hash, algorithm):
    original = make_hash()
    report = report_of(tmp_path, [user_doc("ann@example.com", original)])
    user = User.objects.get(email="ann@example.com")
    text = original.decode("ascii") if isinstance(original, bytes) else original
    assert user.password == f"{algorithm}${text}"
    assert identify_hasher(user.password).algorithm == algorithm
    assert user.check_password(OLD_PASSWORD)
    assert report["users"]["imported"] == 1
    assert report["users"]["passwords"] == {algorithm: 1}
    assert report["users_needing_password_reset"] == []


def test_a_plain_text_password_is_hashed_at_import(tmp_path):
    report = report_of(
        tmp_path,
        [user_doc("ann@example.com", "early-plain-pw"), user_doc("bob@example.com", "plain$$older-plain")],
    )
    ann, bob = User.objects.get(email="ann@example.com"), User.objects.get(email="bob@example.com")
    assert "early-plain-pw" not in ann.password and ann.check_password("early-plain-pw")
    assert bob.check_password("older-plain")
    assert report["users"]["passwords"] == {"plain_text": 2}


@pytest.mark.parametrize(
    "stored",
    [
        "5f4dcc3b5aa765d61d8327deb882cf99",  # unsalted MD5
        "$6$rounds=5000$salt$" + "x" * 86,  # crypt(3) SHA-512
        "sha1$abcd$" + "0" * 40,  # werkzeug < 3 sha1
        "pbkdf2:sha256$abcdefgh$" + "0" * 64,  # werkzeug < 0.15: no iteration count
        "pbkdf2:whirlpool9:1000$abcd$00ff",  # a digest hashlib does not have
        "$2x$04$" + "a" * 53,  # a bcrypt version bcrypt does not check
        "{SSHA}c2FsdGVkaGFzaA==",
        12345,
        None,
    ],
    ids=[
        "md5",
        "sha512-crypt",
        "werkzeug-sha1",
        "pbkdf2-no-count",
        "unknown-digest",
        "bcrypt-2x",
        "ldap",
        "int",
        "none",
    ],
)
def test_an_unknown_format_gets_an_unusable_password_and_is_listed_for_a_reset(tmp_path, stored):
    document = user_doc("Ann@Example.com", stored)
    report = report_of(tmp_path, [document])
    user = User.objects.get(email="ann@example.com")
    assert not user.has_usable_password()
    assert report["users"]["imported"] == 1
    assert report["users"]["needing_password_reset"] == 1
    [entry] = report["users_needing_password_reset"]
    assert entry["source_id"] == str(document["_id"])
    assert entry["email"] == "ann@example.com"
    assert entry["reason"]
    if isinstance(stored, str):
        # Nothing of the stored value is ever repeated in a report.
        assert stored[8:] not in json.dumps(report)


def test_users_keep_names_and_get_the_registration_time_of_their_objectid(tmp_path):
    document = user_doc("  Ann.Lee@Example.COM ", first_name="Ann", last_name="Lee")
    report_of(tmp_path, [document])
    user = User.objects.get()
    assert user.email == "ann.lee@example.com"  # normalised as registration does
    assert (user.first_name, user.last_name) == ("Ann", "Lee")
    assert user.date_joined == document["_id"].generation_time
    assert not user.is_staff and user.is_active
    assert LegacyUserImport.objects.get().user == user


def test_missing_or_null_names_are_empty(tmp_path):
    document = user_doc("ann@example.com", first_name=None)
    del document["last_name"]
    report_of(tmp_path, [document])
    assert (User.objects.get().first_name, User.objects.get().last_name) == ("", "")


def test_a_second_user_with_the_same_email_in_another_case_is_reported(tmp_path):
    first, second = user_doc("ann@example.com"), user_doc("ANN@example.COM")
    report = report_of(tmp_path, [first, second])
    assert User.objects.count() == 1
    assert problem_reasons(report) == {str(second["_id"]): "duplicate_email"}
    assert str(first["_id"]) in report["problems"][0]["message"]


def test_an_email_registered_in_the_shop_is_not_taken_over(tmp_path):
    shop_user = UserFactory(email="ann@example.com")
    document = user_doc("Ann@example.com")
    report = report_of(tmp_path, [document])
    assert list(User.objects.all()) == [shop_user]
    assert problem_reasons(report) == {str(document["_id"]): "email_taken"}


@pytest.mark.parametrize(
    ("document", "message"),
    [
        ({"_id": ObjectId(), "first_name": "Ann"}, "email: This field is required."),
        ({"_id": ObjectId(), "email": "not-an-email"}, "email: Enter a valid email address."),
        ({"_id": ObjectId(), "email": 42}, "email: Must be a string."),
        (
            {"_id": ObjectId(), "email": "a@example.com", "first_name": ["Ann"]},
            "first_name: Must be a string.",
        ),
        (
            {"_id": ObjectId(), "email": "a@example.com", "last_name": "x" * 151},
            "last_name: Ensure this field",
        ),
        ({"_id": "not-an-id", "email": "a@example.com"}, "_id: not an ObjectId: 'not-an-id'."),
        ({"_id": 17, "email": "a@example.com"}, "_id: not an ObjectId: 17."),
        ({"email": "a@example.com"}, "_id: missing."),
    ],
    ids=["no-email", "bad-email", "email-number", "name-list", "name-too-long", "bad-id", "int-id", "no-id"],
)
def test_a_bad_document_is_reported_with_its_source_id_and_nothing_is_written(tmp_path, document, message):
    good = user_doc("bob@example.com")
    report = report_of(tmp_path, [document, good])
    assert list(User.objects.values_list("email", flat=True)) == ["bob@example.com"]
    assert LegacyUserImport.objects.count() == 1
    [problem] = report["problems"]
    assert problem["reason"] == "invalid_document"
    assert problem["message"].startswith(message)
    assert (problem["collection"], problem["position"], problem["line"]) == ("users", 1, 1)
    assert problem["source_id"] == (
        str(document["_id"])
        if isinstance(document.get("_id"), ObjectId)
        else document.get("_id") and repr(document["_id"])
    )


def test_a_24_hex_text_id_is_read_as_that_objectid(tmp_path):
    object_id = ObjectId()
    report_of(tmp_path, [user_doc("ann@example.com", _id=str(object_id))])
    assert LegacyUserImport.objects.get().source_id == str(object_id)


def test_the_same_id_twice_imports_the_first_and_reports_the_second(tmp_path):
    object_id = ObjectId()
    report = report_of(
        tmp_path, [user_doc("ann@example.com", _id=object_id), user_doc("bob@example.com", _id=object_id)]
    )
    assert list(User.objects.values_list("email", flat=True)) == ["ann@example.com"]
    assert [problem["reason"] for problem in report["problems"]] == ["duplicate_id"]
